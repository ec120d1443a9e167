"""Country names, spellings and codes -> ISO 3166-1 alpha-2 ("U.S." -> "US").

`country_code()` is what intake (forms, API, imports) calls. A name is matched
on a key that ignores case, accents, dots and apostrophes, "&" against "and",
and a leading "the" ("The Netherlands", "U.S.A.", "Türkiye", "ESPAÑA").

The table below is ISO 3166-1: every country's alpha-2 and alpha-3 codes, its
short, common and official English names, and its names in German, French,
Spanish, Italian, Dutch and Portuguese. It was generated from pycountry's copy
of Debian's iso-codes (`databases/iso3166-1.json` and the `iso3166-1.mo`
translations, pycountry as of July 2025), one country a line (an indented line
goes on the one above), each name once. Names written "Korea, Republic of" are
also known the other way round ("Republic of Korea"). ALIASES adds by hand the
abbreviations and everyday names that ISO does not list (U.K., UAE, Holland,
England, Russia, Turkey, Ivory Coast...) and names in the countries' own
languages (Sverige, Polska, Éire...).
"""

from __future__ import annotations

import re
import unicodedata

ISO_3166 = """
AD AND Andorra; Principality of Andorra; Andorre
AE ARE United Arab Emirates; Vereinigte Arabische Emirate; Émirats arabes unis; Emiratos Árabes
    Unidos; Emirati Arabi Uniti; Verenigde Arabische Emiraten; Emirados Árabes Unidos
AF AFG Afghanistan; Islamic Republic of Afghanistan; Afganistán; Afeganistão
AG ATG Antigua and Barbuda; Antigua und Barbuda; Antigua-et-Barbuda; Antigua y Barbuda; Antigua
    e Barbuda; Antigua en Barbuda
AI AIA Anguilla; Anguila
AL ALB Albania; Republic of Albania; Albanien; Albanie
AM ARM Armenia; Republic of Armenia; Armenien; Arménie
AO AGO Angola; Republic of Angola
AQ ATA Antarctica; Antarktis; Antarctique; Antártida; Antartide
AR ARG Argentina; Argentine Republic; Argentinien; Argentine; Argentinië
AS ASM American Samoa; Amerikanisch-Samoa; Samoa américaines; Samoa Estadounidense; Samoa
    americane; Amerikaans-Samoa; Samoa Americana
AT AUT Austria; Republic of Austria; Österreich; Autriche; Oostenrijk
AU AUS Australia; Australien; Australie
AW ABW Aruba
AX ALA Åland Islands; Åland-Inseln; Åland, Îles; Islas Äland; Isole Åland; Ålandseilanden; Ilhas
    Alanda
AZ AZE Azerbaijan; Republic of Azerbaijan; Aserbaidschan; Azerbaïdjan; Azerbaiyán; Azerbaigian;
    Azerbeidzjan; Azerbaijão
BA BIH Bosnia and Herzegovina; Republic of Bosnia and Herzegovina; Bosnien und Herzegowina;
    Bosnie-Herzégovine; Bosnia y Herzegovina; Bosnia-Erzegovina; Bosnië en Herzegovina; Bósnia e
    Herzegovina
BB BRB Barbados; Barbade
BD BGD Bangladesh; People's Republic of Bangladesh; Bangladesch; Bangladés; Bangladeche
BE BEL Belgium; Kingdom of Belgium; Belgien; Belgique; Bélgica; Belgio; België
BF BFA Burkina Faso; Burquina Faso
BG BGR Bulgaria; Republic of Bulgaria; Bulgarien; Bulgarie; Bulgarije
BH BHR Bahrain; Kingdom of Bahrain; Bahreïn; Baréin; Barém
BI BDI Burundi; Republic of Burundi
BJ BEN Benin; Republic of Benin; Benim
BL BLM Saint Barthélemy; San Bartolomé
BM BMU Bermuda; Bermudes; Islas Bermudas; Bermudas
BN BRN Brunei Darussalam; Brunei
BO BOL Bolivia, Plurinational State of; Bolivia; Plurinational State of Bolivia; Bolivien,
    Plurinationaler Staat; Bolivie, état plurinational de; Bolivia, Estado plurinacional de;
    Bolivia, Stato Plurinazionale della; Bolivia, Multinationale Staat; Bolívia, Estado
    Plurinacional da
BQ BES Bonaire, Sint Eustatius and Saba; Bonaire, Sint Eustatius und Saba; Bonaire,
    Saint-Eustache et Saba; Islas BES (Caribe Neerlandés); Paesi Bassi caraibici; Bonaire, Sint
    Eustatius en Saba; Bonaire, Santo Eustáquio e Saba
BR BRA Brazil; Federative Republic of Brazil; Brasilien; Brésil; Brasil; Brasile; Brazilië
BS BHS Bahamas; Commonwealth of the Bahamas
BT BTN Bhutan; Kingdom of Bhutan; Bhoutan; Bután; Butão
BV BVT Bouvet Island; Bouvet-Insel; Île Bouvet; Isla Bouvet; Isola Bouvet; Bouveteiland; Ilha
    Bouvet
BW BWA Botswana; Republic of Botswana; Botsuana
BY BLR Belarus; Republic of Belarus; Bielorrusia; Bielorussia; Wit-Rusland
BZ BLZ Belize; Belice
CA CAN Canada; Kanada
CC CCK Cocos (Keeling) Islands; Kokos-(Keeling-)Inseln; Cocos (Keeling), Îles; Islas Cocos
    (Keeling); Isole Cocos (Keeling); Cocoseilanden (Keelingeilanden); Ilhas Cocos
CD COD Congo, The Democratic Republic of the; Demokratische Republik Kongo; République
    démocratique du Congo; Congo, República Democrática del; Repubblica democratica del Congo;
    Congo, Democratische Republiek; Congo, República Democrática do
CF CAF Central African Republic; Zentralafrikanische Republik; République centrafricaine;
    República Centroafricana; Repubblica Centrafricana; Centraal-Afrikaanse Republiek; República
    Centro-Africana
CG COG Congo; Republic of the Congo; Kongo; République du Congo
CH CHE Switzerland; Swiss Confederation; Schweiz; Suisse; Suiza; Svizzera; Zwitserland; Suíça
CI CIV Côte d'Ivoire; Republic of Côte d'Ivoire; Costa de Marfíl; Costa d'Avorio; Ivoorkust;
    Costa do Marfim
CK COK Cook Islands; Cookinseln; Îles Cook; Islas Cook; Isole Cook; Cookeilanden; Ilhas Cook
CL CHL Chile; Republic of Chile; Chili; Cile
CM CMR Cameroon; Republic of Cameroon; Kamerun; Cameroun; Camerún; Kameroen; Camarões
CN CHN China; People's Republic of China; Chine; Cina
CO COL Colombia; Republic of Colombia; Kolumbien; Colombie
CR CRI Costa Rica; Republic of Costa Rica
CU CUB Cuba; Republic of Cuba; Kuba
CV CPV Cabo Verde; Republic of Cabo Verde; Kap Verde; Cap-Vert; Capo Verde; Kaapverdië
CW CUW Curaçao; Curazao
CX CXR Christmas Island; Weihnachtsinseln; Christmas, Île; Isla de Navidad; Isola di Natale;
    Christmaseiland; Ilha Natal
CY CYP Cyprus; Republic of Cyprus; Zypern; Chypre; Chipre; Cipro
CZ CZE Czechia; Czech Republic; Tschechien; Tchéquie; Chequia; Cechia; Tsjechië
DE DEU Germany; Federal Republic of Germany; Deutschland; Allemagne; Alemania; Germania;
    Duitsland; Alemanha
DJ DJI Djibouti; Republic of Djibouti; Dschibuti; Yibuti; Gibuti
DK DNK Denmark; Kingdom of Denmark; Dänemark; Dinamarca; Danimarca; Denemarken
DM DMA Dominica; Commonwealth of Dominica; Dominique
DO DOM Dominican Republic; Dominikanische Republik; République dominicaine; República
    Dominicana; Repubblica Dominicana; Dominicaanse Republiek
DZ DZA Algeria; People's Democratic Republic of Algeria; Algerien; Algérie; Algerije; Argélia
EC ECU Ecuador; Republic of Ecuador; Équateur; Equador
EE EST Estonia; Republic of Estonia; Estland; Estonie
EG EGY Egypt; Arab Republic of Egypt; Ägypten; Égypte; Egipto; Egitto; Egito
EH ESH Western Sahara; Westsahara; Sahara occidental; Sahara occidentale; Westelijke Sahara;
    Saara Ocidental
ER ERI Eritrea; the State of Eritrea; Érythrée; Eritreia
ES ESP Spain; Kingdom of Spain; Spanien; Espagne; España; Spagna; Spanje; Espanha
ET ETH Ethiopia; Federal Democratic Republic of Ethiopia; Äthiopien; Éthiopie; Etiopía
FI FIN Finland; Republic of Finland; Finnland; Finlande; Finlandia
FJ FJI Fiji; Republic of Fiji; Fidschi; Fidji; Fiyi; Figi
FK FLK Falkland Islands (Malvinas); Falklandinseln (Malwinen); Malouines, Îles (Falkland); Islas
    Falkland (Malvinas); Isole Falkland (Malvine); Falklandeilanden (Malvinas); Ilhas Falkland
    (Malvinas)
FM FSM Micronesia, Federated States of; Federated States of Micronesia; Mikronesien, Föderierte
    Staaten von; Micronésie, États fédérés de; Micronesia, Estados Federados de; Micronesia;
    Micronésia, Estados Federados da
FO FRO Faroe Islands; Färöer-Inseln; Îles Féroé; Islas Feroe; Isole Fær Øer; Faeröer; Ilhas
    Faroé
FR FRA France; French Republic; Frankreich; Francia; Frankrijk; França
GA GAB Gabon; Gabonese Republic; Gabun; Gabão
GB GBR United Kingdom; United Kingdom of Great Britain and Northern Ireland; Vereinigtes
    Königreich; Royaume-Uni; Reino Unido; Regno Unito; Verenigd Koninkrijk
GD GRD Grenada; Grenade; Granada
GE GEO Georgia; Georgien; Géorgie
GF GUF French Guiana; Französisch-Guyana; Guyane française; Guayana Francesa; Guyana francese;
    Frans-Guyana; Guiana Francesa
GG GGY Guernsey; Guernesey
GH GHA Ghana; Republic of Ghana; Gana
GI GIB Gibraltar; Gibilterra
GL GRL Greenland; Grönland; Groënland; Groenlandia; Gronelândia
GM GMB Gambia; Republic of the Gambia; Gambie
GN GIN Guinea; Republic of Guinea; Guinée; Guiné
GP GLP Guadeloupe; Guadalupe; Guadalupa
GQ GNQ Equatorial Guinea; Republic of Equatorial Guinea; Äquatorialguinea; Guinée Équatoriale;
    Guinea Ecuatorial; Guinea equatoriale; Equatoriaal-Guinea; Guiné Equatorial
GR GRC Greece; Hellenic Republic; Griechenland; Grèce; Grecia; Griekenland
GS SGS South Georgia and the South Sandwich Islands; South Georgia und die Südlichen
    Sandwichinseln; Géorgie du Sud et les îles Sandwich du Sud; Islas Georgias del Sur y
    Sándwich del Sur; Georgia del Sud e Isole Sandwich Australi; Zuid-Georgia en de Zuidelijke
    Sandwicheilanden; Ilhas Geórgia do Sul e Sandwich do Sul
GT GTM Guatemala; Republic of Guatemala
GU GUM Guam
GW GNB Guinea-Bissau; Republic of Guinea-Bissau; Guinée-Bissau; Guinea-Bisáu; Guiné-Bissáu
GY GUY Guyana; Republic of Guyana; Guiana
HK HKG Hong Kong; Hong Kong Special Administrative Region of China; Hongkong
HM HMD Heard Island and McDonald Islands; Heard und McDonaldinseln; Îles Heard-et-MacDonald;
    Islas Heard y McDonald; Isole Heard e McDonald; Heardeiland en McDonaldeilanden; Ilha Heard
    e Ilhas McDonald
HN HND Honduras; Republic of Honduras
HR HRV Croatia; Republic of Croatia; Kroatien; Croatie; Croacia; Croazia; Kroatië
HT HTI Haiti; Republic of Haiti
HU HUN Hungary; Ungarn; Hongrie; Hungría; Ungheria; Hongarije
ID IDN Indonesia; Republic of Indonesia; Indonesien; Indonésie
IE IRL Ireland; Irland; Irlande; Irlanda; Ierland
IL ISR Israel; State of Israel; Israele
IM IMN Isle of Man; Insel Man; Île de Man; Isla de Man; Isola di Man; Eiland Man; Ilha de Man
IN IND India; Republic of India; Indien; Inde
IO IOT British Indian Ocean Territory; Britisches Territorium im Indischen Ozean; Territoire
    britannique de l'océan Indien; Territorio Británico del Océano Índico; Territorio britannico
    dell'Oceano Indiano; Brits Indische Oceaanterritorium; Território Britânico do Oceano Índico
IQ IRQ Iraq; Republic of Iraq; Irak; Iraque
IR IRN Iran, Islamic Republic of; Iran; Islamic Republic of Iran; Iran, Islamische Republik;
    Iran, République islamique d'; Irán, República islámica de; Irão, República Islâmica do
IS ISL Iceland; Republic of Iceland; Island; Islande; Islandia; Islanda; IJsland
IT ITA Italy; Italian Republic; Italien; Italie; Italia
JE JEY Jersey
JM JAM Jamaica; Jamaika; Jamaïque; Giamaica
JO JOR Jordan; Hashemite Kingdom of Jordan; Jordanien; Jordanie; Jordania; Giordania
JP JPN Japan; Japon; Giappone; Japão
KE KEN Kenya; Republic of Kenya; Kenia; Quénia
KG KGZ Kyrgyzstan; Kyrgyz Republic; Kirgisistan; Kirghizistan; Kirguistán; Kirgizië; Quirguistão
KH KHM Cambodia; Kingdom of Cambodia; Kambodscha; Cambodge; Camboya; Cambogia; Cambodja; Camboja
KI KIR Kiribati; Republic of Kiribati
KM COM Comoros; Union of the Comoros; Komoren; Comores; Comores, Islas; Comore; Comoren
KN KNA Saint Kitts and Nevis; St. Kitts und Nevis; Saint-Christophe-et-Niévès; San Cristóbal y
    Nieves; Saint Kitts e Nevis; Saint Kitts en Nevis; São Cristóvão e Nevis
KP PRK Korea, Democratic People's Republic of; North Korea; Democratic People's Republic of
    Korea; Korea, Demokratische Volksrepublik; Corée, République populaire démocratique de;
    Corea, República Democrática Popular de; Corea del Nord; Korea, Democratische
    Volksrepubliek; Coreia, República Popular Democrática da
KR KOR Korea, Republic of; South Korea; Korea, Republik; Corée, République de; Corea, República
    de; Corea del sud; Korea, Republiek; Coreia, República da
KW KWT Kuwait; State of Kuwait; Koweït; Koeweit
KY CYM Cayman Islands; Cayman-Inseln; Îles Caïmans; Islas Caimán; Isole Cayman; Kaaimaneilanden;
    Ilhas Caimão
KZ KAZ Kazakhstan; Republic of Kazakhstan; Kasachstan; Kazajistán; Kazakistan; Kazachstan;
    Cazaquistão
LA LAO Lao People's Democratic Republic; Laos; Laos, Demokratische Volksrepublik; Lao,
    République démocratique populaire; República Democrática Popular de Lao; Laos Democratische
    Volksrepubliek; República Democrática Popular do Laos
LB LBN Lebanon; Lebanese Republic; Libanon; Liban; Líbano
LC LCA Saint Lucia; St. Lucia; Sainte-Lucie; Santa Lucía
LI LIE Liechtenstein; Principality of Liechtenstein
LK LKA Sri Lanka; Democratic Socialist Republic of Sri Lanka
LR LBR Liberia; Republic of Liberia
LS LSO Lesotho; Kingdom of Lesotho; Lesoto
LT LTU Lithuania; Republic of Lithuania; Litauen; Lituanie; Lituania; Litouwen
LU LUX Luxembourg; Grand Duchy of Luxembourg; Luxemburg; Luxemburgo; Lussemburgo
LV LVA Latvia; Republic of Latvia; Lettland; Lettonie; Letonia; Lettonia; Letland
LY LBY Libya; Libyen; Libye; Libia; Libië
MA MAR Morocco; Kingdom of Morocco; Marokko; Maroc; Marruecos; Marocco; Marrocos
MC MCO Monaco; Principality of Monaco
MD MDA Moldova, Republic of; Moldova; Republic of Moldova; Moldau, Republik; Moldova, République
    de; Moldavia, República de; Moldavia; Moldavië, Republiek; Moldávia, República da
ME MNE Montenegro
MF MAF Saint Martin (French part); Saint Martin (Französischer Teil); Saint-Martin (partie
    française); San Martín (zona francesa); Saint-Martin (Francia); Sint-Maarten (Frans deel);
    São Martin (Território Francês)
MG MDG Madagascar; Republic of Madagascar; Madagaskar
MH MHL Marshall Islands; Republic of the Marshall Islands; Marshallinseln; Îles Marshall; Islas
    Marshall; Isole Marshall; Marshalleilanden; Ilhas Marshall
MK MKD North Macedonia; Republic of North Macedonia; Nordmazedonien; Macédoine du Nord;
    Macedonia del Norte; Macedonia del Nord; Noord-Macedonië; Macedónia do Norte
ML MLI Mali; Republic of Mali
MM MMR Myanmar; Republic of Myanmar; Birmanie; Birmania
MN MNG Mongolia; Mongolei; Mongolie
MO MAC Macao; Macao Special Administrative Region of China; Macau
MP MNP Northern Mariana Islands; Commonwealth of the Northern Mariana Islands; Nördliche
    Marianen; Îles Mariannes du Nord; Islas Marianas del Norte; Isole Marianne Settentrionali;
    Noordelijke Marianen; Ilhas Marianas do Norte
MQ MTQ Martinique; Martinica
MR MRT Mauritania; Islamic Republic of Mauritania; Mauretanien; Mauritanie
MS MSR Montserrat; Monserrate
MT MLT Malta; Republic of Malta; Malte
MU MUS Mauritius; Republic of Mauritius; Maurice; Mauricio; Maurizio; Maurícia
MV MDV Maldives; Republic of Maldives; Malediven; Islas Maldivas; Maldive; Maldiven; Maldivas
MW MWI Malawi; Republic of Malawi; Malaui
MX MEX Mexico; United Mexican States; Mexiko; Mexique; Messico
MY MYS Malaysia; Malaisie; Malasia; Maleisië
MZ MOZ Mozambique; Republic of Mozambique; Mosambik; Mozambico; Moçambique
NA NAM Namibia; Republic of Namibia; Namibie
NC NCL New Caledonia; Neukaledonien; Nouvelle-Calédonie; Nueva Caledonia; Nuova Caledonia;
    Nieuw-Caledonië; Nova Caledónia
NE NER Niger; Republic of the Niger
NF NFK Norfolk Island; Norfolkinsel; Île Norfolk; Isla Norfolk; Isola Norfolk; Norfolk; Ilha
    Norfolk
NG NGA Nigeria; Federal Republic of Nigeria
NI NIC Nicaragua; Republic of Nicaragua
NL NLD Netherlands; Kingdom of the Netherlands; Niederlande; Pays-Bas; Países Bajos; Paesi
    Bassi; Nederland; Países Baixos
NO NOR Norway; Kingdom of Norway; Norwegen; Norvège; Noruega; Norvegia; Noorwegen
NP NPL Nepal; Federal Democratic Republic of Nepal
NR NRU Nauru; Republic of Nauru
NU NIU Niue; Nioue
NZ NZL New Zealand; Neuseeland; Nouvelle-Zélande; Nueva Zelanda; Nuova Zelanda; Nieuw-Zeeland;
    Nova Zelândia
OM OMN Oman; Sultanate of Oman; Omã
PA PAN Panama; Republic of Panama
PE PER Peru; Republic of Peru; Pérou
PF PYF French Polynesia; Französisch-Polynesien; Polynésie française; Polinesia Francesa;
    Polinesia francese; Frans-Polynesië
PG PNG Papua New Guinea; Independent State of Papua New Guinea; Papua-Neuguinea;
    Papouasie-Nouvelle-Guinée; Papúa Nueva Guinea; Papua Nuova Guinea; Papoea-Nieuw-Guinea;
    Papua Nova Guiné
PH PHL Philippines; Republic of the Philippines; Philippinen; Filipinas; Filippine; Filipijnen
PK PAK Pakistan; Islamic Republic of Pakistan; Paquistão
PL POL Poland; Republic of Poland; Polen; Pologne; Polonia
PM SPM Saint Pierre and Miquelon; St. Pierre und Miquelon; Saint-Pierre-et-Miquelon; San Pedro y
    Miquelon; Saint-Pierre e Miquelon; Saint-Pierre en Miquelon
PN PCN Pitcairn; Îles Pitcairn; Pitcairneilanden
PR PRI Puerto Rico; Porto Rico; Portorico
PS PSE Palestine, State of; the State of Palestine; Palästina, Staat; Palestine, État de;
    Palestina, Estado de; Palestina, Stato di; Palestina, Staat; Palestina, Estado da
PT PRT Portugal; Portuguese Republic; Portogallo
PW PLW Palau; Republic of Palau; Palaos
PY PRY Paraguay; Republic of Paraguay; Paraguai
QA QAT Qatar; State of Qatar; Katar; Catar
RE REU Réunion; Réunion, Île de la; Riunione; Ilha Reunião
RO ROU Romania; Rumänien; Roumanie; Rumanía; Roemenië; Roménia
RS SRB Serbia; Republic of Serbia; Serbien; Serbie; Servië; Sérvia
RU RUS Russian Federation; Russische Föderation; Russie, Fédération de; Federación Rusa; Russia;
    Rusland; Federação Russa
RW RWA Rwanda; Rwandese Republic; Ruanda
SA SAU Saudi Arabia; Kingdom of Saudi Arabia; Saudi-Arabien; Arabie saoudite; Arabia Saudí;
    Arabia Saudita; Saoedi-Arabië
SB SLB Solomon Islands; Salomoninseln; Salomon, Îles; Islas Salomón; Isole Salomone;
    Salomonseilanden; Ilhas Salomão
SC SYC Seychelles; Republic of Seychelles; Seychellen
SD SDN Sudan; Republic of the Sudan; Soudan; Soedan; Sudão
SE SWE Sweden; Kingdom of Sweden; Schweden; Suède; Suecia; Svezia; Zweden
SG SGP Singapore; Republic of Singapore; Singapur; Singapour; Singapura
SH SHN Saint Helena, Ascension and Tristan da Cunha; St. Helena, Ascension und Tristan da Cunha;
    Sainte-Hélène, Ascension et Tristan da Cunha; Santa Elena, Ascensión y Tristán de Acuña;
    Sant'Elena, Ascensione e Tristan da Cunha; Sint-Helena, Ascension en Tristan da Cunha; Santa
    Helena, Ascensão e Tristão da Cunha
SI SVN Slovenia; Republic of Slovenia; Slowenien; Slovénie; Eslovenia
SJ SJM Svalbard and Jan Mayen; Svalbard und Jan Mayen; Svalbard et île Jan Mayen; Svalbard y Jan
    Mayen; Svalbard e Jan Mayen; Spitsbergen en Jan Mayen
SK SVK Slovakia; Slovak Republic; Slowakei; Slovaquie; Eslovaquia; Slovacchia; Slowakije
SL SLE Sierra Leone; Republic of Sierra Leone; Sierra Leona; Serra Leoa
SM SMR San Marino; Republic of San Marino; Saint-Marin
SN SEN Senegal; Republic of Senegal
SO SOM Somalia; Federal Republic of Somalia; Somalie
SR SUR Suriname; Republic of Suriname; Surinam
SS SSD South Sudan; Republic of South Sudan; Südsudan; Soudan du Sud; Sudán del Sur; Sudan del
    sud; Zuid-Soedan; Sudão do Sul
ST STP Sao Tome and Principe; Democratic Republic of Sao Tome and Principe; São Tomé und
    Príncipe; Sao Tomé-et-Principe; Santo Tomé y Príncipe; São Tomé e Príncipe; Sao Tomé en
    Principe
SV SLV El Salvador; Republic of El Salvador; Salvador
SX SXM Sint Maarten (Dutch part); Saint-Martin (Niederländischer Teil); Saint-Martin (partie
    néerlandaise); Isla de San Martín (zona holandsea); Sint Maarten (Olanda); Sint Maarten
    (Nederlands deel); São Martinho (Países Baixos)
SY SYR Syrian Arab Republic; Syria; Syrien, Arabische Republik; Syrienne, République arabe;
    República árabe de Siria; Siria; Syrië; República Árabe Síria
SZ SWZ Eswatini; Kingdom of Eswatini; Esuatini; Suazilândia
TC TCA Turks and Caicos Islands; Turks- und Caicosinseln; Îles Turques-et-Caïques; Islas Turcas
    y Caicos; Isole Turks e Caicos; Turks- en Caicoseilanden; Ilhas Turcas e Caicos
TD TCD Chad; Republic of Chad; Tschad; Tchad; Ciad; Tsjaad; Chade
TF ATF French Southern Territories; Französische Süd- und Antarktisgebiete; Terres australes
    françaises; Territorios Franceses del Sur; Territori francesi meridionali; Franse Zuidelijke
    Gebieden; Territórios Franceses do Sul
TG TGO Togo; Togolese Republic
TH THA Thailand; Kingdom of Thailand; Thaïlande; Tailandia; Thailandia
TJ TJK Tajikistan; Republic of Tajikistan; Tadschikistan; Tadjikistan; Tayikistán; Tagikistan;
    Tadzjikistan; Tajiquistão
TK TKL Tokelau
TL TLS Timor-Leste; Democratic Republic of Timor-Leste; Timor oriental; Timor Est; Oost-Timor
TM TKM Turkmenistan; Turquemenistão
TN TUN Tunisia; Republic of Tunisia; Tunesien; Tunisie; Tunez; Tunesië
TO TON Tonga; Kingdom of Tonga
TR TUR Türkiye; Republic of Türkiye; Türkei; Turquie; Turquía; Turchia; Turkije
TT TTO Trinidad and Tobago; Republic of Trinidad and Tobago; Trinidad und Tobago;
    Trinité-et-Tobago; Trinidad y Tobago; Trinidad e Tobago; Trinidad en Tobago; Trindade e
    Tobago
TV TUV Tuvalu
TW TWN Taiwan, Province of China; Taiwan; Taiwan, Chinesische Provinz; Taïwan, province de
    Chine; Taiwán, Provincia de China; Taiwan, Repubblica di Cina; Taiwan, Província da China
TZ TZA Tanzania, United Republic of; Tanzania; United Republic of Tanzania; Tansania, Vereinigte
    Republik; Tanzanie, République unie de; Tanzania, República unida de; Tanzânia, República
    Unida da
UA UKR Ukraine; Ucrania; Ucraina; Oekraïne
UG UGA Uganda; Republic of Uganda; Ouganda; Oeganda
UM UMI United States Minor Outlying Islands; Îles mineures éloignées des États-Unis; Islas
    Ultramarinas Menores de Estados Unidos; Isole minori esterne degli Stati Uniti d'America;
    Kleine afgelegen eilanden van de Verenigde Staten; Ilhas Menores Distantes dos Estados
    Unidos
US USA United States; United States of America; Vereinigte Staaten; États-Unis; Estados Unidos;
    Stati Uniti; Verenigde Staten
UY URY Uruguay; Eastern Republic of Uruguay; Uruguai
UZ UZB Uzbekistan; Republic of Uzbekistan; Usbekistan; Ouzbékistan; Oezbekistan; Uzbequistão
VA VAT Holy See (Vatican City State); Heiliger Stuhl (Staat Vatikanstadt); Saint-Siège (état de
    la cité du Vatican); Santa Sede (Ciudad Estado del Vaticano); Santa Sede (Stato della Città
    del Vaticano); Vaticaanstad, Staat; Santa Sé (Estado da Cidade do Vaticano)
VC VCT Saint Vincent and the Grenadines; St. Vincent und die Grenadinen;
    Saint-Vincent-et-les-Grenadines; San Vicente y las Granadinas; Saint Vincent e Grenadine;
    Saint Vincent en de Grenadines; São Vicente e Granadinas
VE VEN Venezuela, Bolivarian Republic of; Venezuela; Bolivarian Republic of Venezuela;
    Venezuela, Bolivarische Republik; Vénézuela, république bolivarienne du; Venezuela,
    República Bolivariana de; Venezuela, Repubblica bolivariana del; Venezuela, Bolivariaanse
    Republiek; Venezuela, República Bolivariana da
VG VGB Virgin Islands, British; British Virgin Islands; Britische Jungferninseln; Îles Vierges
    britanniques; Islas Vírgenes, Británicas; Isole Vergini, Regno Unito; Maagdeneilanden,
    Britse; Ilhas Virgens, Britânicas
VI VIR Virgin Islands, U.S.; Virgin Islands of the United States; Amerikanische Jungferninseln;
    Îles Vierges, États-Unis; Islas Vírgenes, de EEUU; Isole Vergini, U.S.A.; Maagdeneilanden,
    Amerikaanse; Ilhas Virgens, Estados Unidos
VN VNM Viet Nam; Vietnam; Socialist Republic of Viet Nam; Vietname
VU VUT Vanuatu; Republic of Vanuatu
WF WLF Wallis and Futuna; Wallis und Futuna; Wallis et Futuna; Wallis y Futuna; Wallis e Futuna;
    Wallis en Futuna
WS WSM Samoa; Independent State of Samoa
YE YEM Yemen; Republic of Yemen; Jemen; Iémen
YT MYT Mayotte
ZA ZAF South Africa; Republic of South Africa; Südafrika; Afrique du Sud; Sudáfrica;
    Zuid-Afrika; África do Sul
ZM ZMB Zambia; Republic of Zambia; Sambia; Zambie
ZW ZWE Zimbabwe; Republic of Zimbabwe; Simbabwe; Zimbabue
"""

# Everyday names and abbreviations ISO does not list, and endonyms in Latin
# script; each maps to an alpha-2 code of the table (a test checks that none
# contradicts a name of the table).
ALIASES: dict[str, str] = {
    "US of A": "US", "America": "US", "EEUU": "US", "EE.UU.": "US",
    "U.K.": "GB", "UK": "GB", "Great Britain": "GB", "Britain": "GB", "England": "GB",
    "Scotland": "GB", "Wales": "GB", "Northern Ireland": "GB",
    "UAE": "AE", "U.A.E.": "AE", "Emirates": "AE", "Holland": "NL", "Czech": "CZ",
    "Korea": "KR", "S. Korea": "KR", "Korea South": "KR", "N. Korea": "KP", "DPRK": "KP",
    "Korea North": "KP", "Turkey": "TR", "Ivory Coast": "CI", "Cape Verde": "CV",
    "Swaziland": "SZ", "Burma": "MM", "East Timor": "TL", "Macedonia": "MK",
    "Vatican": "VA", "Vatican City": "VA", "Holy See": "VA", "DR Congo": "CD", "DRC": "CD",
    "Congo-Kinshasa": "CD", "Congo-Brazzaville": "CG", "Falklands": "FK", "Kosovo": "XK",
    "Saint Kitts": "KN", "PRC": "CN", "Philipines": "PH",
    # In their own languages
    "Sverige": "SE", "Norge": "NO", "Danmark": "DK", "Suomi": "FI", "Polska": "PL",
    "Česko": "CZ", "Magyarország": "HU", "Hellas": "GR", "Ellada": "GR", "Éire": "IE",
    "Nippon": "JP", "Nihon": "JP", "Hrvatska": "HR", "Slovensko": "SK", "Slovenija": "SI",
    "Srbija": "RS", "Lietuva": "LT", "Latvija": "LV", "Eesti": "EE", "Ukraina": "UA",
    "Rossiya": "RU", "Zhongguo": "CN", "Bharat": "IN", "Helvetia": "CH",
    "Confoederatio Helvetica": "CH", "Shqipëria": "AL",
}


def country_key(text: str) -> str:
    """What names are matched on: lower case, no accents, dots or apostrophes,
    "&" as "and", other punctuation as spaces, no leading "the", "St" as "Saint"."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[.'’]", "", text).replace("&", " and ")
    text = re.sub(r"[^a-z0-9]+", " ", text).strip().removeprefix("the ")
    return "saint " + text[3:] if text.startswith("st ") else text


def _table() -> dict[str, str]:
    """key -> alpha-2: codes first, then ISO names, then the aliases."""
    entries: list[list[str]] = []
    for line in ISO_3166.strip().splitlines():
        if line.startswith(" "):
            entries[-1][-1] += " " + line.strip()
        else:
            entries.append(line.split(" ", 2))
    codes: dict[str, str] = {}
    # Kosovo is not in ISO 3166-1; XK is the code everyone (EU, SWIFT) uses.
    codes["xk"] = "XK"
    for alpha_2, alpha_3, _ in entries:
        codes[alpha_2.lower()] = codes[alpha_3.lower()] = alpha_2
    names: dict[str, str] = {}
    for alpha_2, _, text in entries:
        for name in text.split("; "):
            head, comma, tail = name.partition(", ")
            for spelling in (name, f"{tail} {head}") if comma else (name,):
                names.setdefault(country_key(spelling), alpha_2)
    for alias, alpha_2 in ALIASES.items():
        names.setdefault(country_key(alias), alpha_2)
    return {**names, **codes}


COUNTRIES = _table()


def country_code(raw: str) -> str:
    """The ISO 3166-1 alpha-2 code of a country's name, spelling or code
    (alpha-2 or alpha-3), or "" when it names no country."""
    return COUNTRIES.get(country_key(raw or ""), "")
