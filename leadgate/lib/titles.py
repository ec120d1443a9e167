"""Job title parsing: seniority and department from what people type as their title.

Pure Python, no Django: ``parse_title("VP Engineering")`` returns
``Title(seniority="vp", department="it/engineering", matched=[...])``.

Everything is driven by word tables below (word -> level, word -> department),
so adding a language or an abbreviation is one line. Titles are folded first
(lower case, accents removed, punctuation turned into spaces), so "Directeur
Général", "directeur general" and "DIRECTEUR-GÉNÉRAL" are the same title.

Decisions (documented in docs/benchmarks.md as well):

- An empty title, or one with no letters, or a placeholder such as "n/a" or
  "test", has seniority ``UNKNOWN`` and department ``other``.
- A non-empty title with no seniority word is an individual contributor
  ("Accountant", "Software Engineer", or anything we do not know).
- The highest level mentioned wins ("Senior Manager" -> manager), except:
  a student word (intern, Werkstudent, stagiaire...) always means student/other;
  "assistant to ..." is an individual whatever follows ("Assistant to the VP");
  "assistant"/"associate" right before a level takes one level off
  ("Associate Director" -> manager, "Assistant Vice President" -> director).
- Weak level words (partner, principal, officer, executive, staff, member...)
  only count when no other level word is present ("Partner Manager" -> manager).
- Department: the strongest department word wins (c-suite words > core nouns
  such as sales/finance > hints such as software/data), ties go to the first
  one; a c-level title with no department word is "executive".
- German compounds are split where both halves (or a known suffix such as
  -leiter, -direktor, -entwickler) are in the tables: "Vertriebsleiter" ->
  Vertrieb (sales) + Leiter (manager).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Seniority levels, highest first.
C_LEVEL = "c-level"
VP = "vp"
DIRECTOR = "director"
MANAGER = "manager"
INDIVIDUAL = "individual"
STUDENT = "student/other"
UNKNOWN = "unknown"

SENIORITIES = (C_LEVEL, VP, DIRECTOR, MANAGER, INDIVIDUAL, STUDENT, UNKNOWN)
_RANK = {C_LEVEL: 5, VP: 4, DIRECTOR: 3, MANAGER: 2, INDIVIDUAL: 1, STUDENT: 0}
_BY_RANK = {rank: level for level, rank in _RANK.items()}

# Departments.
SALES = "sales"
MARKETING = "marketing"
IT = "it/engineering"
FINANCE = "finance"
OPERATIONS = "operations"
HR = "hr"
EXECUTIVE = "executive"
OTHER = "other"

DEPARTMENTS = (SALES, MARKETING, IT, FINANCE, OPERATIONS, HR, EXECUTIVE, OTHER)

# Department word strengths: c-suite abbreviations and founder-like words beat
# core nouns, which beat hints ("Sales Engineer" is sales, not engineering).
STRONG, CORE, HINT = 3, 2, 1


def _words(text: str) -> list[str]:
    return text.split()


def _level_table(spec: dict[str, str]) -> dict[str, str]:
    return {word: level for level, words in spec.items() for word in _words(words)}


# word -> seniority level. Multi-word forms live in PHRASES below.
SENIORITY_WORDS: dict[str, str] = _level_table(
    {
        C_LEVEL: """
            ceo cfo cto coo cmo cio cro cso cdo cco cpo chro cxo ciso cao
            chief founder cofounder founders owner coowner president presidente
            chairman chairwoman chairperson chair pdg dg
            geschaftsfuhrer geschaftsfuhrerin gf inhaber inhaberin grunder grunderin
            vorstand vorstandsvorsitzender fondateur fondatrice gerant gerante
            fundador fundadora propietario propietaria dueno socio
            entrepreneur proprietor
            """,
        VP: """
            vp svp evp avp vice vizeprasident vizeprasidentin vicepresident
            vicepresidente vicepresidenta
            """,
        DIRECTOR: """
            director directors directora directeur directrice direktor direktorin dir
            head heads gm diretor diretora prokurist bereichsleiter bereichsleiterin
            """,
        MANAGER: """
            manager managers mgr mngr mgmt leiter leiterin leitung teamleiter
            teamleiterin responsable gerente jefe jefa chef cheffe lead leader
            pm supervisor supervisora superviseur foreman encargado encargada
            coordinator coordinador coordinadora coordinateur coordinatrice
            koordinator koordinatorin
            """,
        INDIVIDUAL: """
            sr senior snr jr junior associate specialist specialiste especialista
            spezialist spezialistin engineer engineers ingenieur ingenieure ingenieurin
            ingeniero ingeniera analyst analyste analista consultant consultante
            consultor consultora berater beraterin representative rep sdr bdr ae
            assistant assistante asistente assistent assistentin asst
            developer developpeur developpeuse desarrollador desarrolladora
            entwickler entwicklerin programmer programador programmeur programmierer
            accountant comptable contador contadora buchhalter buchhalterin
            administrator administrateur administrador technician technicien
            tecnico techniker designer architect architecte arquitecto architekt
            scientist recruiter clerk agent advisor adviser conseiller conseillere
            asesor asesora mitarbeiter mitarbeiterin employee empleado employe
            sachbearbeiter sachbearbeiterin referent referentin
            ejecutivo ejecutiva vendedor vendedora verkaufer verkauferin
            commerciale auditor auditeur controller
            nurse teacher instructor trainer tutor coach secretary secretaire secretaria
            receptionist counsel attorney lawyer avocat abogado anwalt paralegal
            physician doctor surgeon dentist pharmacist therapist professor lecturer
            researcher economist editor writer journalist translator producer
            operator driver worker mechanic electrician inspector buyer planner
            estimator cashier artist photographer librarian contractor freelancer
            freelance selbststandig independant independiente expert strategist
            tester coder webmaster counselor educator marketer salesperson salesman
            trader banker broker treasurer
            """,
        STUDENT: """
            intern interns internship student students trainee apprentice
            werkstudent werkstudentin praktikant praktikantin azubi auszubildender
            auszubildende stagiaire stage alternant alternante apprenti etudiant
            etudiante becario becaria practicante pasante estudiante graduate
            volunteer retired unemployed
            """,
    }
)

# Level words that only count when no other level word is present.
WEAK_SENIORITY_WORDS: dict[str, str] = _level_table(
    {
        C_LEVEL: "partner partners board",
        MANAGER: "management",
        INDIVIDUAL: "principal officer executive exec staff member fellow",
    }
)

# Words that qualify a level without setting it ("Regional Director", "Group CFO",
# "Deputy Head", "Engineer II"): seniority words for classify_token, and shown
# nowhere else.
SENIORITY_MODIFIERS = frozenset(
    _words(
        """
        deputy acting interim regional global group general managing co
        i ii iii iv v adjoint adjointe adjunto adjunta stellvertretender
        stellvertretende founding part full time adjunct visiting independent
        """
    )
)

# "assistant"/"associate" right before one of these levels takes one level off.
DOWNGRADERS = frozenset(_words("assistant asst associate assoc"))
ASSISTANT_WORDS = frozenset(_words("assistant assistante asistente assistent assistentin asst"))
ASSISTANT_TO = frozenset(_words("to of for de del der des du a al"))


def _dept_table(spec: dict[tuple[str, int], str]) -> dict[str, tuple[str, int]]:
    return {word: key for key, words in spec.items() for word in _words(words)}


# word -> (department, strength).
DEPARTMENT_WORDS: dict[str, tuple[str, int]] = _dept_table(
    {
        (EXECUTIVE, STRONG): """
            ceo founder cofounder founders owner coowner president presidente chairman
            chairwoman chairperson pdg dg geschaftsfuhrer geschaftsfuhrerin gf inhaber
            inhaberin grunder grunderin vorstand vorstandsvorsitzender fondateur
            fondatrice gerant gerante fundador fundadora propietario propietaria dueno
            entrepreneur proprietor
            """,
        (FINANCE, STRONG): "cfo",
        (IT, STRONG): "cto cio ciso",
        (OPERATIONS, STRONG): "coo",
        (MARKETING, STRONG): "cmo",
        (SALES, STRONG): "cro",
        (HR, STRONG): "chro",
        (SALES, CORE): """
            sales sale vertrieb vertriebs verkauf ventes vente ventas venta revenue
            commercial commerciale comercial sdr bdr ae bizdev presales presale
            """,
        (MARKETING, CORE): """
            marketing mktg mercadotecnia werbung publicite pr communications
            communication comms kommunikation comunicacion brand branding growth
            seo sem advertising
            """,
        (IT, CORE): """
            it engineering ingenieria technology technologie tecnologia tech
            software informatique informatik informatica devops sre
            infrastructure entwicklung desarrollo developpement ti
            """,
        (FINANCE, CORE): """
            finance finances financial finanzen finanz finanzas financiero financiera
            financier accounting accountant comptabilite comptable contabilidad contador
            contadora buchhaltung buchhalter controlling controller treasury tesoreria
            tax taxes audit auditor fiscal bookkeeper bookkeeping payroll
            rechnungswesen treasurer
            """,
        (OPERATIONS, CORE): """
            operations operation ops operational operating logistics logistik logistique
            logistica procurement purchasing einkauf achats compras production produktion
            manufacturing fertigung facilities facility betrieb operaciones exploitation
            supply warehouse lager
            """,
        (HR, CORE): """
            hr rh rrhh people talent recruiting recruitment recruiter personnel
            personal personalwesen humaines humanos human
            """,
        (IT, HINT): """
            engineer engineers ingenieur ingenieure ingenieurin ingeniero ingeniera
            developer developpeur developpeuse desarrollador desarrolladora entwickler
            entwicklerin programmer programador programmeur programmierer logiciel
            data network networks security systems system sistemas web cloud
            architect architecte arquitecto architekt technical technician technicien
            tecnico techniker information qa database tester coder webmaster
            mechanical electrical civil
            test testing application applications solutions computer server
            """,
        (SALES, HINT): """
            account accounts client clients salesperson salesman vendedor vendedora
            verkaufer verkauferin
            """,
        (MARKETING, HINT): "content digital social media community event events market marketer",
        (OPERATIONS, HINT): """
            quality support service services office administration admin administrative
            customer process planning maintenance retail store delivery
            """,
        # Functions outside the eight departments: recognised, department "other".
        (OTHER, 0): """
            legal law medical clinical health healthcare research product project
            program programme design creative education training learning strategy
            strategic compliance risk regulatory consulting advisory investment
            banking insurance estate property construction environmental science
            nursing pharmacy editorial contract contracts government public policy
            safety business development corporate enterprise internal relations
            field department team professional care division acquisition
            intelligence control
            """,
    }
)

# Multi-word forms, matched before single words (after stopwords are removed).
# phrase -> (seniority or None, department or None, department strength)
PHRASES: dict[tuple[str, ...], tuple[str | None, str | None, int]] = {
    tuple(_words(phrase)): value
    for phrase, value in {
        "chief executive officer": (C_LEVEL, EXECUTIVE, STRONG),
        "chief executive": (C_LEVEL, EXECUTIVE, STRONG),
        "managing director": (C_LEVEL, EXECUTIVE, STRONG),
        "managing partner": (C_LEVEL, EXECUTIVE, STRONG),
        "directeur general": (C_LEVEL, EXECUTIVE, STRONG),
        "directrice generale": (C_LEVEL, EXECUTIVE, STRONG),
        "director general": (C_LEVEL, EXECUTIVE, STRONG),
        "directora general": (C_LEVEL, EXECUTIVE, STRONG),
        "consejero delegado": (C_LEVEL, EXECUTIVE, STRONG),
        "president directeur general": (C_LEVEL, EXECUTIVE, STRONG),
        "co founder": (C_LEVEL, EXECUTIVE, STRONG),
        "co fondateur": (C_LEVEL, EXECUTIVE, STRONG),
        "co fundador": (C_LEVEL, EXECUTIVE, STRONG),
        "co owner": (C_LEVEL, EXECUTIVE, STRONG),
        "c level": (C_LEVEL, None, 0),
        "board member": (C_LEVEL, EXECUTIVE, STRONG),
        "board directors": (C_LEVEL, EXECUTIVE, STRONG),
        "general manager": (DIRECTOR, EXECUTIVE, CORE),
        "gerente general": (DIRECTOR, EXECUTIVE, CORE),
        "chief staff": (DIRECTOR, EXECUTIVE, CORE),
        "vice president": (VP, None, 0),
        "vice presidente": (VP, None, 0),
        "vice presidenta": (VP, None, 0),
        "vice president e": (VP, None, 0),
        "executive director": (DIRECTOR, None, 0),
        "team lead": (MANAGER, None, 0),
        "team leader": (MANAGER, None, 0),
        "tech lead": (MANAGER, IT, CORE),
        "chef projet": (MANAGER, None, 0),
        "chef service": (MANAGER, None, 0),
        "account executive": (INDIVIDUAL, SALES, CORE),
        "account manager": (MANAGER, SALES, CORE),
        "executive assistant": (INDIVIDUAL, None, 0),
        "human resources": (None, HR, CORE),
        "ressources humaines": (None, HR, CORE),
        "recursos humanos": (None, HR, CORE),
        "people operations": (None, HR, CORE),
        "talent acquisition": (None, HR, CORE),
        "business development": (None, SALES, CORE),
        "desarrollo negocio": (None, SALES, CORE),
        "developpement commercial": (None, SALES, CORE),
        "customer success": (None, SALES, CORE),
        "lead generation": (None, MARKETING, CORE),
        "demand generation": (None, MARKETING, CORE),
        "accounts payable": (None, FINANCE, CORE),
        "accounts receivable": (None, FINANCE, CORE),
        "supply chain": (None, OPERATIONS, CORE),
        "customer service": (None, OPERATIONS, CORE),
        "information technology": (None, IT, CORE),
        "r d": (None, IT, CORE),
        "business intelligence": (None, IT, CORE),
        "investor relations": (None, FINANCE, CORE),
        "public relations": (None, MARKETING, CORE),
        "employee relations": (None, HR, CORE),
    }.items()
}
_MAX_PHRASE = max(len(p) for p in PHRASES)

STOPWORDS = frozenset(
    _words(
        """
        of the and to for in at on a an with
        de du des la le les l d et en pour au aux
        del los las el y para
        der die das des und fur im am von
        """
    )
)

# Placeholders people type when a form insists on a title.
PLACEHOLDERS = frozenset(
    "na,n a,none,null,nil,unknown,test,tbd,xxx,x,nope,no,title,job title,-".split(",")
)

# Suffixes that make a German compound's level ("Vertriebsleiter").
_COMPOUND_MIN = 3
_LINKERS = ("s", "es", "")


@dataclass(frozen=True)
class Title:
    """What a title says: seniority, department and the words that decided them."""

    seniority: str
    department: str
    matched: list[str] = field(default_factory=list)


def fold(text: str) -> str:
    """Lower case, accents removed, dotted abbreviations joined ("C.E.O." -> "ceo")."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("ß", "ss").lower()
    return re.sub(r"\b(?:[a-z]\.){2,}", lambda m: m.group().replace(".", "") + " ", text)


def tokenize(text: str) -> list[str]:
    """Folded words: split on spaces and any punctuation (/, -, comma, &, brackets...)."""
    return re.findall(r"[a-z0-9]+", fold(text))


@dataclass(frozen=True)
class _Hit:
    surface: str
    position: int
    seniority: str | None = None
    weak: bool = False
    department: str | None = None
    strength: int = 0


def _word_hit(word: str, position: int, surface: str | None = None) -> _Hit | None:
    surface = surface or word
    level, weak = SENIORITY_WORDS.get(word), False
    if level is None and word in WEAK_SENIORITY_WORDS:
        level, weak = WEAK_SENIORITY_WORDS[word], True
    dept, strength = DEPARTMENT_WORDS.get(word, (None, 0))
    if level is None and dept is None:
        return None
    return _Hit(surface, position, level, weak, dept, strength)


def _feminine(word: str) -> str | None:
    """German feminine forms not in the tables: "Leiterin" -> "leiter"."""
    if len(word) > 6 and word.endswith("in"):
        base = word[:-2]
        if base in SENIORITY_WORDS or base in DEPARTMENT_WORDS:
            return base
    return None


def _split_compound(word: str) -> list[str] | None:
    """Split a German compound into known parts, or None.

    Both halves known ("vertriebs|leiter" -> vertrieb + leiter), or a known
    level suffix of at least five letters with a prefix of at least four
    ("abteilungs|leiter" -> leiter).
    """
    if len(word) < 7:
        return None

    def known(part: str) -> str | None:
        if part in SENIORITY_WORDS or part in DEPARTMENT_WORDS:
            return part
        return _feminine(part)

    suffix_only: list[str] | None = None
    for cut in range(_COMPOUND_MIN, len(word) - _COMPOUND_MIN + 1):
        head, tail = word[:cut], word[cut:]
        right = known(tail)
        if right is None:
            continue
        for linker in _LINKERS:
            if linker and not head.endswith(linker):
                continue
            stem = head[: len(head) - len(linker)] if linker else head
            left = known(stem) if len(stem) >= _COMPOUND_MIN else None
            if left is not None:
                return [left, right]
        if (
            suffix_only is None
            and len(tail) >= 5
            and len(head) >= 4
            and right in SENIORITY_WORDS
        ):
            suffix_only = [right]
    return suffix_only


def _hits(tokens: list[str]) -> list[_Hit]:
    hits: list[_Hit] = []
    i = 0
    while i < len(tokens):
        for size in range(min(_MAX_PHRASE, len(tokens) - i), 1, -1):
            phrase = tuple(tokens[i : i + size])
            if phrase in PHRASES:
                level, dept, strength = PHRASES[phrase]
                hits.append(_Hit(" ".join(phrase), i, level, False, dept, strength))
                i += size
                break
        else:
            word = tokens[i]
            hit = _word_hit(word, i)
            if hit is None and (base := _feminine(word)):
                hit = _word_hit(base, i, word)
            if hit is not None:
                hits.append(hit)
            elif parts := _split_compound(word):
                for part in parts:
                    part_hit = _word_hit(part, i, f"{word}[{part}]")
                    if part_hit is not None:
                        hits.append(part_hit)
            i += 1
    return hits


def _downgrade(level: str) -> str:
    return _BY_RANK[max(_RANK[level] - 1, _RANK[INDIVIDUAL])]


def parse_title(title: str) -> Title:
    """Seniority and department of a job title, with the words that decided them."""
    raw = tokenize(title or "")
    if not raw or not any(ch.isalpha() for ch in "".join(raw)) or " ".join(raw) in PLACEHOLDERS:
        return Title(UNKNOWN, OTHER, [])

    matched: list[str] = []
    # "Assistant to the VP": whatever follows says whom they assist, not their level.
    assistant_to = any(
        word in ASSISTANT_WORDS and nxt in ASSISTANT_TO
        for word, nxt in zip(raw, raw[1:], strict=False)
    )
    tokens = [t for t in raw if t not in STOPWORDS] or raw
    hits = _hits(tokens)

    seniority = INDIVIDUAL
    students = [h for h in hits if h.seniority == STUDENT]
    if students:
        seniority = STUDENT
        matched.append(f"{students[0].surface} -> seniority:{STUDENT}")
    elif assistant_to:
        seniority = INDIVIDUAL
        matched.append(f"assistant to -> seniority:{INDIVIDUAL}")
    else:
        levels = [h for h in hits if h.seniority and not h.weak] or [
            h for h in hits if h.seniority
        ]
        if levels:
            best = max(levels, key=lambda h: (_RANK[h.seniority or INDIVIDUAL], -h.position))
            seniority = best.seniority or INDIVIDUAL
            before = tokens[best.position - 1] if best.position > 0 else ""
            if before in DOWNGRADERS and _RANK[seniority] > _RANK[INDIVIDUAL]:
                seniority = _downgrade(seniority)
                matched.append(f"{before} {best.surface} -> seniority:{seniority}")
            else:
                matched.append(f"{best.surface} -> seniority:{seniority}")
        else:
            matched.append(f"(no level word) -> seniority:{INDIVIDUAL}")

    department = OTHER
    depts = [h for h in hits if h.department]
    if depts:
        best = max(depts, key=lambda h: (h.strength, -h.position))
        department = best.department or OTHER
        matched.append(f"{best.surface} -> department:{department}")
    elif seniority == C_LEVEL:
        department = EXECUTIVE
        matched.append(f"(c-level, no function word) -> department:{EXECUTIVE}")
    return Title(seniority, department, matched)


def classify_token(token: str) -> str | None:
    """How the parser reads one word: "RES" (a level word), "FUN" (a function word) or None.

    Uses the same tables as :func:`parse_title`, including German compounds and
    feminine forms. A word that is both (e.g. "engineer") is RES.
    """
    words = tokenize(token)
    if not words:
        return None
    if len(words) > 1:
        hits = _hits([w for w in words if w not in STOPWORDS] or words)
    else:
        hits = _hits(words)
    if any(h.seniority for h in hits):
        return "RES"
    if any(h.department for h in hits):
        return "FUN"
    if len(words) == 1 and (words[0] in DOWNGRADERS or words[0] in SENIORITY_MODIFIERS):
        return "RES"
    return None
