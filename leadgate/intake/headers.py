"""How a column header (or a submitted key) is read: which field it names.

One reading for every channel: imports, forms and the API compare headers by
`header_key` ("Prénom", "PRENOM" and "prenom" alike; "HeadquartersCity" as
"headquarters city"), look the key up among a field's aliases (in English,
in `fields.FIELDS` and `importers.presets.ACCOUNT_FIELDS`, and in the common
European languages, `WORDS` here), and when that finds nothing, the key less
the words that only say whose or which value it is ("Headquarters City",
"HQ State", "Company Country", "Annual Revenue (USD)", "Employees (Total)").
A header may give the unit of its numbers ("Revenue ($M)", "Revenues_M"):
`unit_multiplier`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# The headers of a field in French, German, Spanish, Italian, Dutch and
# Portuguese (accents as written; they are ignored when comparing). A word
# that means two fields in two languages is given to the likelier one: "nome"
# and "nombre" are a first name (Italian, Spanish forms ask for "apellido",
# "cognome" beside them), "nom" a last name (French forms ask for "prénom").
# Left out as ambiguous: "titre", "Titel", "título" (also Mr/Dr, a civility
# or an academic title), "estado" and "état" (also a status), "stato".
WORDS: dict[str, tuple[str, ...]] = {
    "first_name": (
        "prénom", "vorname", "rufname", "nombre", "nombre de pila", "primer nombre", "nome",
        "nome di battesimo", "primo nome", "voornaam", "roepnaam", "primeiro nome",
        "nome próprio"),
    "last_name": (
        "nom", "nom de famille", "nachname", "familienname", "zuname", "apellido",
        "apellidos", "primer apellido", "cognome", "achternaam", "familienaam", "apelido",
        "sobrenome", "último nome"),
    "name": (
        "nom complet", "nom et prénom", "prénom et nom", "vollständiger name",
        "vor und nachname", "nombre completo", "nombre y apellidos", "nome completo",
        "nome e cognome", "naam", "volledige naam", "nome e apelido"),
    "email": (
        "courriel", "adresse e-mail", "adresse email", "adresse électronique", "mél",
        "e-mail-adresse", "email-adresse", "e-mail adresse", "correo", "correo electrónico",
        "dirección de correo", "posta elettronica", "indirizzo email", "indirizzo e-mail",
        "e-mailadres", "emailadres", "e-mail adres", "correio eletrônico",
        "correio electrónico", "endereço de email", "endereço de e-mail"),
    "phone": (
        "téléphone", "tél", "portable", "numéro de téléphone", "telefon", "telefonnummer",
        "handy", "mobil", "mobiltelefon", "mobilnummer", "teléfono", "móvil", "celular",
        "número de teléfono", "telefono", "cellulare", "numero di telefono", "telefoon",
        "telefoonnummer", "mobiel", "mobiele telefoon", "mobiel nummer", "telefone",
        "telemóvel", "número de telefone"),
    "company": (
        "société", "entreprise", "raison sociale", "nom de l'entreprise",
        "nom de la société", "compagnie", "firma", "firmenname", "unternehmen",
        "unternehmensname", "empresa", "compañía", "nombre de la empresa", "organización",
        "azienda", "società", "ragione sociale", "nome azienda", "impresa", "ditta",
        "bedrijf", "bedrijfsnaam", "organisatie", "onderneming", "companhia",
        "nome da empresa", "organização"),
    "title": (
        "fonction", "poste", "intitulé du poste", "berufsbezeichnung", "jobtitel",
        "funktion", "stellenbezeichnung", "cargo", "puesto", "título del puesto", "ruolo",
        "qualifica", "posizione", "mansione", "functie", "functietitel", "função"),
    "website": (
        "site web", "site internet", "site", "webseite", "internetseite", "internetadresse",
        "sitio web", "página web", "sito web", "sito", "sito internet", "webadres",
        "sítio web"),
    "country": ("pays", "land", "país", "paese", "nazione"),
    "city": (
        "ville", "localité", "stadt", "ort", "wohnort", "ciudad", "localidad", "población",
        "città", "comune", "località", "stad", "plaats", "woonplaats", "cidade",
        "localidade"),
    "state": (
        "région", "département", "état province", "bundesland", "bundesstaat", "kanton",
        "provincia", "región", "comunidad autónoma", "estado provincia", "regione",
        "provincie", "regio", "staat", "região", "província", "distrito"),
    "message": (
        "commentaire", "commentaires", "remarques", "nachricht", "kommentar", "anmerkungen",
        "bemerkung", "mensaje", "comentario", "comentarios", "messaggio", "commento",
        "bericht", "opmerking", "opmerkingen", "mensagem", "comentário", "comentários",
        "observações"),
    "industry": (
        "secteur", "secteur d'activité", "industrie", "branche", "sector", "industria",
        "settore", "setor", "indústria"),
    "employees": (
        "effectif", "effectifs", "salariés", "employés", "nombre d'employés",
        "nombre de salariés", "mitarbeiter", "mitarbeiterzahl", "anzahl mitarbeiter",
        "beschäftigte", "empleados", "número de empleados", "plantilla", "dipendenti",
        "numero di dipendenti", "addetti", "medewerkers", "werknemers", "aantal medewerkers",
        "funcionários", "empregados", "número de funcionários", "colaboradores"),
    "revenue": (
        "chiffre d'affaires", "umsatz", "jahresumsatz", "ingresos", "facturación",
        "fatturato", "ricavi", "omzet", "jaaromzet", "receita", "faturamento",
        "volume de negócios"),
}

# Words that say whose or which value a header holds, not what it is:
# "Headquarters City" is a city, "Company Country" a country, "Employees
# (Total)" employees. Units and currencies go too ("Revenue (USD)").
QUALIFIERS = frozenset(
    """
    headquarters headquarter hq office company account organization organisation
    corporate business primary main billing mailing registered contact lead total annual
    yearly estimated est approx approximate current latest global worldwide number no nr
    num of in the usd eur gbp chf dollars euros
    """.split()
)

# A header's unit for its numbers: "Revenue ($M)", "Revenues_M", "Umsatz (Mio. €)".
UNITS = {
    "k": 10**3, "000": 10**3, "000s": 10**3, "thousand": 10**3, "thousands": 10**3,
    "tausend": 10**3, "milliers": 10**3, "m": 10**6, "mm": 10**6, "mn": 10**6,
    "mio": 10**6, "million": 10**6, "millions": 10**6, "millionen": 10**6,
    "b": 10**9, "bn": 10**9, "billion": 10**9, "billions": 10**9, "mrd": 10**9,
    "milliard": 10**9, "milliards": 10**9, "milliarden": 10**9,
}


def header_key(text: str) -> str:
    """A header as compared: camelCase split, accents and case ignored,
    punctuation as spaces ("HeadquartersCity" -> "headquarters city",
    "Téléphone" -> "telephone", "E-mail" -> "e mail")."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", str(text))
    text = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def alias_table(aliases: dict[str, Iterable[str]]) -> dict[str, str]:
    """header key -> field, from each field's aliases (the field's own name
    first). A key given to two fields is a mistake in the tables: it fails
    here, when the module loads, not as a wrong guess in someone's import."""
    table: dict[str, str] = {}
    for name, names in aliases.items():
        for alias in names:
            key = header_key(alias)
            if table.setdefault(key, name) != name:
                raise ValueError(f"header {alias!r} is an alias of both {table[key]} "
                                 f"and {name}")
    return table


def lookup(header: str, table: dict[str, str]) -> str | None:
    """The field a header names: its key, else its key without qualifiers,
    units and numbers ("HQ State" -> "state", "Phone 2" -> "phone")."""
    key = header_key(header)
    if key in table:
        return table[key]
    words = [word for word in key.split()
             if word not in QUALIFIERS and word not in UNITS and not word.isdigit()]
    core = " ".join(words)
    # "Contact Name", "Organization Name": the name of someone else than the
    # field "name" means; only the header "Name" itself is that.
    if core == "name" or core == key:
        return None
    return table.get(core)


def unit_multiplier(header: str) -> int:
    """What a header says its numbers are counted in: "Revenue ($M)" ->
    1,000,000; 1 when it says nothing."""
    for word in header_key(header).split()[1:]:  # the first word is the field's name
        if word in UNITS:
            return UNITS[word]
    return 1
