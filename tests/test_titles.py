"""Title parsing: seniority and department from job titles (pure, no database)."""

import dataclasses

import pytest

from leadgate.lib.titles import (
    C_LEVEL,
    DEPARTMENTS,
    DIRECTOR,
    EXECUTIVE,
    FINANCE,
    HR,
    INDIVIDUAL,
    IT,
    MANAGER,
    MARKETING,
    OPERATIONS,
    OTHER,
    SALES,
    SENIORITIES,
    STUDENT,
    UNKNOWN,
    VP,
    Title,
    classify_token,
    parse_title,
)

REAL_WORLD_TITLES = [
    # English
    ("CEO", C_LEVEL, EXECUTIVE),
    ("Founder", C_LEVEL, EXECUTIVE),
    ("Co-Founder & CEO", C_LEVEL, EXECUTIVE),
    ("Owner", C_LEVEL, EXECUTIVE),
    ("President", C_LEVEL, EXECUTIVE),
    ("Managing Director", C_LEVEL, EXECUTIVE),
    ("CFO", C_LEVEL, FINANCE),
    ("CTO", C_LEVEL, IT),
    ("COO", C_LEVEL, OPERATIONS),
    ("CMO", C_LEVEL, MARKETING),
    ("Chief Revenue Officer", C_LEVEL, SALES),
    ("Chief Technology Officer", C_LEVEL, IT),
    ("Chief People Officer", C_LEVEL, HR),
    ("Chief Financial Officer", C_LEVEL, FINANCE),
    ("EVP, Global Sales", VP, SALES),
    ("SVP Marketing", VP, MARKETING),
    ("VP Engineering", VP, IT),
    ("Vice-President, Finance", VP, FINANCE),
    ("Vice President of Operations", VP, OPERATIONS),
    ("Director of Sales", DIRECTOR, SALES),
    ("Dir. Marketing", DIRECTOR, MARKETING),
    ("Head of People", DIRECTOR, HR),
    ("Head of IT", DIRECTOR, IT),
    ("Executive Director, Human Resources", DIRECTOR, HR),
    ("Sales Manager", MANAGER, SALES),
    ("Sr. Mgr, Accounts Payable", MANAGER, FINANCE),
    ("Mngr IT Infrastructure", MANAGER, IT),
    ("Team Lead, Customer Success", MANAGER, SALES),
    ("Engineering Manager", MANAGER, IT),
    ("Senior Software Engineer", INDIVIDUAL, IT),
    ("Jr. Data Analyst", INDIVIDUAL, IT),
    ("Account Executive", INDIVIDUAL, SALES),
    ("SDR", INDIVIDUAL, SALES),
    ("Business Development Representative", INDIVIDUAL, SALES),
    ("Marketing Specialist", INDIVIDUAL, MARKETING),
    ("Senior Accountant", INDIVIDUAL, FINANCE),
    ("Recruiter", INDIVIDUAL, HR),
    ("Logistics Coordinator", MANAGER, OPERATIONS),
    ("Assistant to the VP", INDIVIDUAL, OTHER),
    ("Executive Assistant", INDIVIDUAL, OTHER),
    ("Marketing Intern", STUDENT, MARKETING),
    ("Software Engineering Intern", STUDENT, IT),
    ("Graduate Student", STUDENT, OTHER),
    # French
    ("PDG", C_LEVEL, EXECUTIVE),
    ("Directeur Général", C_LEVEL, EXECUTIVE),
    ("Directrice Marketing", DIRECTOR, MARKETING),
    ("Directeur Commercial", DIRECTOR, SALES),
    ("Responsable marketing", MANAGER, MARKETING),
    ("Responsable des Ressources Humaines", MANAGER, HR),
    ("Ingénieur logiciel", INDIVIDUAL, IT),
    ("Développeur Web", INDIVIDUAL, IT),
    ("Comptable", INDIVIDUAL, FINANCE),
    ("Chef de projet informatique", MANAGER, IT),
    ("Stagiaire communication", STUDENT, MARKETING),
    # German
    ("Geschäftsführer", C_LEVEL, EXECUTIVE),
    ("Geschäftsführerin", C_LEVEL, EXECUTIVE),
    ("Vizepräsident Vertrieb", VP, SALES),
    ("Direktor Finanzen", DIRECTOR, FINANCE),
    ("Vertriebsleiter", MANAGER, SALES),
    ("Marketingleiterin", MANAGER, MARKETING),
    ("Leiter Einkauf", MANAGER, OPERATIONS),
    ("Personalleiter", MANAGER, HR),
    ("Softwareentwickler", INDIVIDUAL, IT),
    ("Werkstudent Marketing", STUDENT, MARKETING),
    ("Praktikant Vertrieb", STUDENT, SALES),
    # Spanish
    ("Director General", C_LEVEL, EXECUTIVE),
    ("Director de Ventas", DIRECTOR, SALES),
    ("Gerente de Marketing", MANAGER, MARKETING),
    ("Jefe de Recursos Humanos", MANAGER, HR),
    ("Ingeniero de Software", INDIVIDUAL, IT),
    ("Analista Financiero", INDIVIDUAL, FINANCE),
    ("Becario de Ventas", STUDENT, SALES),
]


@pytest.mark.parametrize(("title", "seniority", "department"), REAL_WORLD_TITLES)
def test_it_reads_real_world_titles(title, seniority, department):
    parsed = parse_title(title)
    assert (parsed.seniority, parsed.department) == (seniority, department), parsed.matched


def test_it_covers_at_least_forty_titles_in_four_languages():
    assert len(REAL_WORLD_TITLES) >= 40


@pytest.mark.parametrize(
    "title", ["VP SALES", "vp sales", "V.P. Sales", "vp-sales", " VP / Sales "]
)
def test_it_ignores_case_and_punctuation(title):
    assert (parse_title(title).seniority, parse_title(title).department) == (VP, SALES)


def test_it_folds_accents():
    assert parse_title("Directeur General") == parse_title("Directeur Général")


@pytest.mark.parametrize("title", ["", "   ", "???", "-", "n/a", "N.A.", "none", "123"])
def test_it_returns_unknown_for_empty_or_placeholder_titles(title):
    assert parse_title(title) == Title(UNKNOWN, OTHER, [])


def test_it_treats_none_as_empty():
    assert parse_title(None).seniority == UNKNOWN  # type: ignore[arg-type]


def test_it_reads_unrecognised_words_as_an_individual_contributor():
    parsed = parse_title("Qwzx Blorp")
    assert (parsed.seniority, parsed.department) == (INDIVIDUAL, OTHER)


def test_it_does_not_crash_on_junk():
    parsed = parse_title("💼 ~~~ ///// <script>alert(1)</script> " * 20)
    assert parsed.seniority in SENIORITIES and parsed.department in DEPARTMENTS


def test_it_explains_a_decided_title():
    parsed = parse_title("VP Engineering")
    assert parsed.matched
    assert any("vp" in m and "seniority" in m for m in parsed.matched)
    assert any("engineering" in m and "department" in m for m in parsed.matched)


def test_it_explains_which_parts_of_a_german_compound_decided():
    assert any("leiter" in m for m in parse_title("Vertriebsleiter").matched)


def test_it_keeps_the_highest_level_mentioned():
    assert parse_title("Senior Manager, Engineering").seniority == MANAGER


def test_it_does_not_read_assistant_to_the_vp_as_a_vp():
    assert parse_title("Assistant to the Vice President of Sales").seniority == INDIVIDUAL


def test_it_takes_a_level_off_for_associate_and_assistant():
    assert parse_title("Associate Director").seniority == MANAGER
    assert parse_title("Assistant Vice President").seniority == DIRECTOR


def test_it_reads_head_of_as_director():
    assert parse_title("Head of Growth").seniority == DIRECTOR


def test_it_lets_weak_level_words_count_only_alone():
    assert parse_title("Partner").seniority == C_LEVEL
    assert parse_title("Partner Manager").seniority == MANAGER


def test_it_prefers_the_core_department_over_a_hint():
    assert parse_title("Sales Engineer").department == SALES


def test_it_gives_a_c_level_title_without_function_the_executive_department():
    assert parse_title("Chief Officer").department == EXECUTIVE


def test_it_does_not_read_lead_generation_as_a_lead():
    parsed = parse_title("Lead Generation Specialist")
    assert (parsed.seniority, parsed.department) == (INDIVIDUAL, MARKETING)


def test_it_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse_title("CEO").seniority = VP  # type: ignore[misc]


@pytest.mark.parametrize(
    ("token", "kind"),
    [("VP", "RES"), ("Leiter", "RES"), ("senior", "RES"), ("marketing", "FUN"),
     ("Vertrieb", "FUN"), ("Paris", None), ("the", None)],
)
def test_it_classifies_single_words(token, kind):
    assert classify_token(token) == kind
