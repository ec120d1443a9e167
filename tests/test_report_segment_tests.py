"""The segment tests report, checked against a plain recomputation from the
assignments and the stage history of a known test; its verdict held back
until the arms have the leads the test needs; the nurture emails' variants;
and starting and stopping a test from its pages."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from leadgate.leads.lifecycle import CLOSED, FUNNEL, Stage
from leadgate.leads.models import Lead, StageChange
from leadgate.leads.transitions import advance
from leadgate.lib.proportions import difference, sample_size
from leadgate.reports import facts
from leadgate.reports.segment_tests import ArmResult, verdict
from leadgate.routing import experiments
from leadgate.routing.experiments import ArmSpec
from leadgate.routing.models import Arm, Experiment, ExperimentAssignment
from leadgate.workspace.models import CallScript
from tests.api_helpers import api_get, make_key
from tests.factories import hand_off, make_lead
from tests.test_nurture_ui import figures  # noqa: F401 - an A/B email step with its results

START = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
REACHED = FUNNEL[FUNNEL.index(Stage.QUALIFIED):]


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def history(alice, sam, mia):
    """A response-time test over 24 leads: some qualified after joining,
    one qualified before (does not count), some still open, some closed."""
    with at(START):
        experiment = experiments.start(
            name="5 minutes or an hour", kind="response_time", goal="qualified", by=mia,
            arms=[ArmSpec("5 minutes", "5"), ArmSpec("1 hour", "60")])
    early = make_lead(owner=alice)
    with at(START):
        hand_off(early, alice, sam)
    for n in range(24):
        moment = START + timedelta(days=n, hours=1)
        with at(moment):
            lead = early if n == 0 else make_lead(owner=alice)
            experiments.assign([lead], experiments.INTAKE, now=moment)
        with at(moment + timedelta(hours=2)):
            lead.refresh_from_db()
            if n % 3 == 0 and n:
                hand_off(lead, alice, sam)
            elif n % 3 == 1:
                advance(lead, "disqualified", by=alice, reason="no budget")
    with at(NOW):
        facts.rebuild()
    return experiment


def plain(experiment):
    """Per arm label: (leads, converted, still open), from the raw rows."""
    found = {}
    for row in ExperimentAssignment.objects.filter(experiment=experiment).select_related("arm"):
        converted = StageChange.objects.filter(
            lead_id=row.lead_id, cycle__gte=row.cycle, to_stage__in=REACHED,
            at__gte=row.at).exists()
        lead = Lead.objects.get(pk=row.lead_id)
        still_open = not converted and lead.cycle == row.cycle and lead.stage not in CLOSED
        leads, done, opened = found.get(row.arm.label, (0, 0, 0))
        found[row.arm.label] = (leads + 1, done + converted, opened + still_open)
    return found


def report(client, user, query=""):
    client.force_login(user)
    with at(NOW):
        return client.get(f"/reports/tests/?format=json{query}").json()


def rows(answer, table):
    return next(t for t in answer["tables"] if t["id"] == table)["rows"]


@pytest.mark.django_db
def test_it_counts_each_arms_conversions_as_the_raw_rows_do(client, mia, history):
    arms = rows(report(client, mia), "arms")
    expected = plain(history)
    assert {row["arm"]: (row["leads"], row["converted"], row["open"]) for row in arms} == expected
    assert sum(leads for leads, _done, _open in expected.values()) == 24
    assert sum(done for _leads, done, _open in expected.values()) == 7  # not the early one


@pytest.mark.django_db
def test_it_compares_each_arm_with_the_control(client, mia, history):
    control, other = rows(report(client, mia), "arms")
    diff = difference(other["converted"], other["leads"], control["converted"], control["leads"])
    assert other["p_value"] == round(diff.p_value, 4)
    assert (other["difference"], other["low"], other["high"]) == (diff.diff, diff.low, diff.high)
    assert control["p_value"] is None
    assert control["rate"]["k"] == control["converted"]


@pytest.mark.django_db
def test_it_narrows_the_arms_to_the_filters_segment(client, mia, history, charlie):
    arms = rows(report(client, mia, f"&team={charlie.team_id}"), "arms")
    assert [row["leads"] for row in arms] == [0, 0]


@pytest.mark.django_db
def test_it_lists_every_test_with_its_state(client, mia, history):
    with at(NOW):
        experiments.stop(history, reason="enough")
        script = CallScript.objects.create(name="Pain first")
        experiments.start(name="Scripts", kind="script", goal="won", arms=[
            ArmSpec("Usual", str(CallScript.objects.create(name="Usual").pk)),
            ArmSpec("Pain", str(script.pk))])
    tests = rows(report(client, mia), "tests")
    assert [(row["name"], row["state"], row["leads"]) for row in tests] == [
        ("Scripts", "running", 0), ("5 minutes or an hour", "stopped", 24)]


def _arms(*counts):
    experiment = Experiment(name="t", kind="response_time", goal="qualified", min_effect=0.05)
    return experiment, [ArmResult(Arm(label=label), leads, done, 0)
                        for label, (leads, done) in zip("AB", counts, strict=True)]


def test_it_gives_no_verdict_before_each_arm_has_the_leads_it_needs():
    experiment, arms = _arms((100, 10), (100, 30))
    judged = verdict(experiment, arms)
    assert judged.needed == sample_size(0.10, 0.15)
    assert judged.fewest == 100
    assert "no verdict yet" in judged.text
    assert judged.p_value < 0.05  # significant already, and still no verdict


def test_it_names_the_better_arm_once_both_have_the_leads():
    experiment, arms = _arms((1000, 100), (1000, 160))
    assert verdict(experiment, arms).text.startswith("B converts best")


def test_it_finds_no_difference_when_the_arms_convert_alike():
    experiment, arms = _arms((1000, 100), (1000, 104))
    assert verdict(experiment, arms).text.startswith("No difference of 5 points")


@pytest.mark.django_db
def test_it_shows_the_nurture_emails_variants(client, mia, figures):  # noqa: F811
    client.force_login(mia)
    emails = rows(client.get("/reports/tests/?format=json").json(), "emails")
    assert [(row["variant"], row["sent"], row["clicked"]["k"]) for row in emails] == [
        ("A", 1, 1), ("B", 2, 0)]


@pytest.mark.django_db
def test_it_starts_a_test_from_the_form(client, mia):
    client.force_login(mia)
    page = client.get("/reports/tests/new/?kind=response_time")
    assert page.status_code == 200
    answer = client.post("/reports/tests/new/?kind=response_time", {
        "name": "Hot leads: 5 minutes or 1 hour", "goal": "qualified", "min_effect": "5",
        "arms-TOTAL_FORMS": "4", "arms-INITIAL_FORMS": "0",
        "arms-0-label": "5 minutes", "arms-0-value": "5", "arms-0-weight": "1",
        "arms-1-label": "1 hour", "arms-1-value": "60", "arms-1-weight": "1",
        "conditions-TOTAL_FORMS": "1", "conditions-INITIAL_FORMS": "0",
        "conditions-0-field": "inquiry.hot", "conditions-0-operator": "eq",
        "conditions-0-value": "yes"})
    experiment = Experiment.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/reports/tests/?test={experiment.pk}"
    assert experiment.conditions == [{"field": "inquiry.hot", "operator": "eq", "value": True}]
    assert [(arm.label, arm.value) for arm in experiment.arms.all()] == [
        ("5 minutes", "5"), ("1 hour", "60")]
    assert experiment.created_by == mia


@pytest.mark.django_db
def test_it_names_the_arm_the_form_cannot_take(client, mia):
    client.force_login(mia)
    answer = client.post("/reports/tests/new/?kind=response_time", {
        "name": "Only one", "goal": "qualified", "min_effect": "5",
        "arms-TOTAL_FORMS": "4", "arms-INITIAL_FORMS": "0",
        "arms-0-label": "5 minutes", "arms-0-value": "5",
        "conditions-TOTAL_FORMS": "0", "conditions-INITIAL_FORMS": "0"})
    assert answer.status_code == 400
    assert "arms: from 2 to 4 arms" in answer.content.decode()
    assert not Experiment.objects.exists()


@pytest.mark.django_db
def test_it_stops_a_test_for_a_manager(client, mia, history):
    client.force_login(mia)
    client.post(f"/reports/tests/{history.pk}/stop/", {"reason": "enough leads"})
    history.refresh_from_db()
    assert (history.running, history.stop_reason) == (False, "enough leads")


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["/reports/tests/new/", "/reports/tests/new/?kind=script"])
def test_it_keeps_qualifiers_from_starting_tests(client, alice, page):
    client.force_login(alice)
    assert client.get(page).status_code == 403


@pytest.mark.django_db
def test_it_keeps_qualifiers_from_stopping_tests(client, alice, history):
    client.force_login(alice)
    assert client.post(f"/reports/tests/{history.pk}/stop/").status_code == 403
    history.refresh_from_db()
    assert history.running


@pytest.mark.django_db
def test_it_answers_the_api_as_the_page_does(client, mia, history):
    body = api_get(make_key(scopes=("read",)), "/reports/tests").json()
    assert rows(body, "arms") == rows(report(client, mia), "arms")


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["first", "999999"])
def test_it_names_a_test_it_cannot_show(value):
    answer = api_get(make_key(scopes=("read",)), "/reports/tests", test=value)
    assert answer.status_code == 422
    assert answer.json()["field"] == "test"
