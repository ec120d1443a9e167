"""Outcomes: an accepted lead becomes an opportunity and ends won or lost; by
the lead page, the API and a CRM export; and the refusals."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.http import HttpRequest
from django.test import Client
from openpyxl import Workbook

from leadgate.handoff import flow
from leadgate.handoff.outcomes import (
    AlreadyRecorded,
    OutcomeError,
    import_outcomes,
    record_outcome,
)
from leadgate.leads.lifecycle import IllegalMove
from leadgate.leads.models import Outcome
from leadgate.leads.transitions import advance
from leadgate.workspace.models import Qualification
from tests.api_helpers import api_post, make_key
from tests.factories import PASSWORD, make_lead

pytestmark = pytest.mark.django_db


def accepted_lead(owner, rep, **fields):
    lead = make_lead(owner=owner, **fields)
    advance(lead, "working", by=owner)
    Qualification.objects.create(lead=lead, cycle=lead.cycle, verdict="sales_ready", by=owner)
    flow.accept(flow.send(lead, by=owner, to_user=rep, dossier={}), by=rep)
    lead.refresh_from_db()
    return lead


@pytest.fixture
def lead(alice, sam):
    return accepted_lead(alice, sam)


@pytest.fixture(autouse=True)
def data_dir(tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"


# -- record_outcome ------------------------------------------------------------------


def test_it_makes_an_accepted_lead_an_opportunity(lead, sam):
    outcome = record_outcome(lead, kind="opportunity", by=sam, amount=Decimal("12000"))
    lead.refresh_from_db()
    assert (lead.stage, outcome.kind, outcome.amount) == ("opportunity", "opportunity", 12000)


def test_it_keeps_the_expected_close_stage_and_crm_id_of_an_opportunity(lead, sam):
    record_outcome(lead, kind="opportunity", by=sam, stage="Proposal",
                   expected_close=date(2031, 3, 31), external_id="006XYZ")
    stored = Outcome.objects.get(lead=lead)
    assert (stored.stage, stored.expected_close, stored.external_id, stored.reason) == (
        "Proposal", date(2031, 3, 31), "006XYZ", "")


def test_it_records_a_changed_forecast_as_a_new_row(lead, sam):
    record_outcome(lead, kind="opportunity", by=sam, stage="Proposal",
                   expected_close=date(2031, 3, 31))
    record_outcome(lead, kind="opportunity", by=sam, stage="Negotiation",
                   expected_close=date(2031, 4, 30))
    assert list(Outcome.objects.filter(lead=lead).order_by("pk").values_list(
        "stage", "expected_close")) == [("Proposal", date(2031, 3, 31)),
                                        ("Negotiation", date(2031, 4, 30))]


def test_it_skips_an_opportunity_with_the_same_forecast(lead, sam):
    record_outcome(lead, kind="opportunity", by=sam, stage="Proposal",
                   expected_close=date(2031, 3, 31))
    with pytest.raises(AlreadyRecorded):
        record_outcome(lead, kind="opportunity", by=sam, stage="Proposal",
                       expected_close=date(2031, 3, 31))


def test_it_recognises_an_event_recorded_before(lead, sam):
    first = record_outcome(lead, kind="opportunity", by=None, stage="Proposal",
                           event_id="evt_1")
    with pytest.raises(AlreadyRecorded) as already:
        record_outcome(lead, kind="opportunity", by=None, stage="Negotiation",
                       event_id="evt_1")
    assert already.value.outcome == first


def test_it_wins_an_opportunity_with_its_amount(lead, sam):
    record_outcome(lead, kind="opportunity", by=sam, amount=Decimal("12000"))
    won = record_outcome(lead, kind="won", by=sam)
    assert (won.kind, won.amount) == ("won", 12000)


def test_it_passes_a_win_of_an_accepted_lead_through_opportunity(lead, sam):
    record_outcome(lead, kind="won", by=sam, amount=Decimal("500"))
    kinds = list(Outcome.objects.filter(lead=lead).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["opportunity", "won"]


def test_it_records_a_loss_with_its_reason(lead, sam):
    lost = record_outcome(lead, kind="lost", by=sam, reason="went with a competitor")
    lead.refresh_from_db()
    assert (lead.stage, lost.reason) == ("lost", "went with a competitor")


def test_it_refuses_a_loss_without_a_reason(lead, sam):
    with pytest.raises(OutcomeError) as refused:
        record_outcome(lead, kind="lost", by=sam)
    assert refused.value.field == "reason"


def test_it_refuses_an_outcome_on_a_lead_never_accepted(alice, sam):
    with pytest.raises(OutcomeError) as refused:
        record_outcome(make_lead(owner=alice), kind="won", by=sam)
    assert refused.value.field == "stage"
    assert "never accepted" in str(refused.value)


def test_it_refuses_a_negative_amount(lead, sam):
    with pytest.raises(OutcomeError) as refused:
        record_outcome(lead, kind="opportunity", by=sam, amount=Decimal("-1"))
    assert refused.value.field == "amount"


def test_it_refuses_an_outcome_by_a_qualifier(lead, alice):
    with pytest.raises(IllegalMove) as refused:
        record_outcome(lead, kind="opportunity", by=alice)
    assert refused.value.field == "role"


# -- the lead page ----------------------------------------------------------------------


def login(user) -> Client:
    client = Client()
    # The log-in throttle (axes) counts attempts by request; a blank one will do.
    assert client.login(request=HttpRequest(), username=user.username, password=PASSWORD)
    return client


def test_it_records_a_win_from_the_form(lead, sam):
    response = login(sam).post(f"/sales/leads/{lead.pk}/outcome",
                               {"kind": "won", "amount": "9000", "closed_on": "2024-05-02"})
    assert response.status_code == 302
    won = Outcome.objects.get(lead=lead, kind="won")
    assert (won.amount, won.at.date().isoformat()) == (9000, "2024-05-02")


def test_it_shows_the_opportunitys_forecast_on_the_lead_timeline(lead, sam, alice):
    record_outcome(lead, kind="opportunity", by=sam, amount=Decimal("25000"),
                   stage="<b>Proposal</b>", expected_close=date(2031, 3, 31),
                   external_id="006XYZ")
    page = login(alice).get(f"/leads/{lead.pk}/").content.decode()
    assert "&lt;b&gt;Proposal&lt;/b&gt;" in page and "<b>Proposal" not in page
    assert "closing Mar 31, 2031" in page and "CRM 006XYZ" in page


def test_it_shows_the_form_again_when_a_loss_has_no_reason(lead, sam):
    response = login(sam).post(f"/sales/leads/{lead.pk}/outcome", {"kind": "lost"})
    assert response.status_code == 400
    assert 'id="outcome-reason-error"' in response.content.decode()


def test_it_refuses_the_form_for_a_qualifier(lead, alice):
    response = login(alice).post(f"/sales/leads/{lead.pk}/outcome", {"kind": "won"})
    assert response.status_code == 403


def test_it_hides_another_reps_lead_from_the_form(alice, sam):
    from tests.factories import make_user

    other = accepted_lead(alice, make_user("rita", "sales"))
    response = login(sam).get(f"/sales/leads/{other.pk}/outcome")
    assert response.status_code == 404


def test_it_shows_the_outcome_form_to_the_rep(lead, sam):
    response = login(sam).get(f"/sales/leads/{lead.pk}/outcome")
    assert 'id="outcome-form"' in response.content.decode()


# -- the API ----------------------------------------------------------------------------


def test_it_records_an_opportunity_by_api(lead, sam):
    response = api_post(make_key(sam), f"/leads/{lead.pk}/outcome",
                        {"kind": "opportunity", "amount": "25000.50", "stage": "Proposal",
                         "expected_close": "2031-01-15"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["stage"], body["amount"], body["crm_stage"], body["expected_close"]) == (
        "opportunity", "25000.50", "Proposal", "2031-01-15")


def test_it_answers_422_naming_stage_for_a_lead_never_accepted(alice, sam):
    other = make_lead(owner=alice)
    response = api_post(make_key(alice), f"/leads/{other.pk}/outcome", {"kind": "won"})
    assert (response.status_code, response.json()["field"]) == (422, "stage")


def test_it_answers_422_naming_reason_for_a_loss_without_one(lead, sam):
    response = api_post(make_key(sam), f"/leads/{lead.pk}/outcome", {"kind": "lost"})
    assert (response.status_code, response.json()["field"]) == (422, "reason")


def test_it_answers_409_to_the_same_win_twice(lead, sam):
    key = make_key(sam)
    api_post(key, f"/leads/{lead.pk}/outcome", {"kind": "won", "amount": 10})
    response = api_post(key, f"/leads/{lead.pk}/outcome", {"kind": "won", "amount": 10})
    assert (response.status_code, response.json()["field"]) == (409, "kind")


def test_it_replays_an_outcome_retried_with_its_idempotency_key(lead, sam):
    key = make_key(sam)
    from tests.api_helpers import bearer

    answers = [
        Client().post(f"/api/v1/leads/{lead.pk}/outcome", {"kind": "won", "amount": 10},
                      content_type="application/json", HTTP_IDEMPOTENCY_KEY="o-1", **bearer(key))
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert Outcome.objects.filter(lead=lead, kind="won").count() == 1


def test_it_hides_an_unknown_lead_from_the_outcome_api(sam):
    response = api_post(make_key(sam), "/leads/999999/outcome", {"kind": "won"})
    assert response.status_code == 404


# -- importing a CRM export ----------------------------------------------------------


def write_csv(tmp_path, rows, name="opportunities.csv"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    target = tmp_path / name
    target.write_text(buffer.getvalue(), encoding="utf-8")
    return target


def test_it_imports_a_win_matched_by_lead_id(lead, tmp_path):
    path = write_csv(tmp_path, [["Lead ID", "Stage", "Amount", "Close Date"],
                                [str(lead.pk), "Closed Won", "$12,500.00", "2024-06-30"]])
    result = import_outcomes(path)
    assert (result.recorded, Outcome.objects.get(lead=lead, kind="won").amount) == (1, 12500)


def test_it_imports_a_loss_matched_by_email(lead, tmp_path):
    path = write_csv(tmp_path, [["Email", "Status", "Loss Reason"],
                                [lead.email.upper(), "Closed Lost", "price"]])
    import_outcomes(path)
    assert Outcome.objects.get(lead=lead, kind="lost").reason == "price"


def test_it_imports_a_win_matched_by_the_opportunity_id(lead, sam, tmp_path):
    record_outcome(lead, kind="opportunity", by=sam, external_id="006XYZ")
    path = write_csv(tmp_path, [["Opportunity ID", "Stage Name", "Amount"],
                                ["006XYZ", "Closed Won", "700"]])
    result = import_outcomes(path)
    assert result.recorded == 1
    lead.refresh_from_db()
    assert lead.stage == "won"


def test_it_imports_an_xlsx_export(lead, tmp_path):
    book = Workbook()
    book.active.append(["Lead ID", "Deal Stage", "Amount"])
    book.active.append([lead.pk, "appointmentscheduled", 3000])
    book.save(tmp_path / "deals.xlsx")
    import_outcomes(tmp_path / "deals.xlsx")
    lead.refresh_from_db()
    assert lead.stage == "opportunity"


def test_it_skips_rows_already_recorded_on_a_second_import(lead, tmp_path):
    path = write_csv(tmp_path, [["Lead ID", "Stage"], [str(lead.pk), "Closed Won"]])
    import_outcomes(path)
    again = import_outcomes(path)
    assert (again.recorded, again.skipped, Outcome.objects.filter(kind="won").count()) == (
        0, 1, 1)


def test_it_writes_refused_rows_to_the_row_error_csv(lead, alice, tmp_path):
    never = make_lead(owner=alice)
    path = write_csv(tmp_path, [["Email", "Stage", "Reason"],
                                ["nobody@nowhere.example", "Closed Won", ""],
                                [never.email, "Closed Won", ""],
                                [lead.email, "Closed Lost", ""],
                                [lead.email, "Closed Won", "=cmd|' /C calc'!A0"]])
    result = import_outcomes(path)
    with open(result.errors_path, encoding="utf-8") as handle:
        errors = list(csv.reader(handle))
    assert [(row[0], row[1]) for row in errors[1:]] == [("2", "email"), ("3", "stage"),
                                                      ("4", "reason")]
    assert result.recorded == 1


def test_it_neutralises_formulas_in_the_row_error_csv(alice, tmp_path):
    path = write_csv(tmp_path, [["Email", "Stage"], ["=HYPERLINK(\"x\")@a.example", "Won"]])
    result = import_outcomes(path)
    with open(result.errors_path, encoding="utf-8") as handle:
        row = list(csv.reader(handle))[1]
    assert row[3].startswith("'=")


def test_it_writes_nothing_on_a_dry_run(lead, tmp_path):
    path = write_csv(tmp_path, [["Lead ID", "Stage"], [str(lead.pk), "Closed Won"]])
    result = import_outcomes(path, dry_run=True)
    lead.refresh_from_db()
    assert (result.recorded, lead.stage) == (1, "accepted")


def test_it_refuses_a_file_without_a_column_to_match_on(tmp_path):
    from leadgate.handoff.outcomes import OutcomeImportError

    path = write_csv(tmp_path, [["Name", "Stage"], ["Ada", "Won"]])
    with pytest.raises(OutcomeImportError):
        import_outcomes(path)


def test_it_imports_outcomes_by_command(lead, tmp_path):
    path = write_csv(tmp_path, [["Lead ID", "Stage"], [str(lead.pk), "Closed Won"]])
    out = io.StringIO()
    call_command("import_outcomes", str(path), stdout=out)
    assert "1 recorded" in out.getvalue()


def test_it_reports_a_dry_run_by_command(lead, tmp_path):
    path = write_csv(tmp_path, [["Lead ID", "Stage"], [str(lead.pk), "Closed Won"]])
    out = io.StringIO()
    call_command("import_outcomes", str(path), "--dry-run", stdout=out)
    lead.refresh_from_db()
    assert ("dry run: 1 rows: 1 recorded" in out.getvalue(), lead.stage) == (True, "accepted")


def test_it_imports_an_open_opportunity_with_its_forecast(lead, tmp_path):
    path = write_csv(tmp_path, [["Lead ID", "Opportunity ID", "Stage", "Amount", "Close Date"],
                                [str(lead.pk), "006ABC", "Proposal/Price Quote", "900",
                                 "2031-05-31"]])
    import_outcomes(path)
    stored = Outcome.objects.get(lead=lead)
    assert (stored.kind, stored.stage, stored.expected_close, stored.external_id) == (
        "opportunity", "Proposal/Price Quote", date(2031, 5, 31), "006ABC")
