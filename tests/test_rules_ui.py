"""The rule-editing pages: who may use them, drafts, validation, history, preview
and activation."""

import json

import pytest
from django.urls import reverse

from leadgate.leads.models import Lead
from leadgate.scoring.models import Rule, RuleSet
from leadgate.scoring.rules import score_leads
from tests.factories import make_lead, make_user

pytestmark = pytest.mark.django_db

SETTINGS = {
    "note": "", "half_life_days": "30", "fit_a": "50", "fit_b": "30", "fit_c": "15",
    "engagement_1": "40", "engagement_2": "20", "engagement_3": "5",
    "mql_min_fit": "B", "mql_min_engagement": "2", "mql_hot": "on",
}


@pytest.fixture
def draft(mia):
    return RuleSet.new_version(None, created_by=mia, note="draft under test")


def edit_data(ruleset, rules=None, **settings):
    """The POST of the edit page: the settings and `rules` (dicts; each may hold
    "id" for an existing rule and "DELETE")."""
    data = {**SETTINGS, **settings}
    rules = rules if rules is not None else [
        {"id": rule.pk, "kind": rule.kind, "name": rule.name, "field": rule.field,
         "operator": rule.operator, "value": _json(rule.value), "points": rule.points,
         "half_life_days": rule.half_life_days or ""}
        for rule in ruleset.rules.order_by("kind", "pk")
    ]
    initial = sum(1 for rule in rules if rule.get("id"))
    data.update({"rules-TOTAL_FORMS": len(rules), "rules-INITIAL_FORMS": initial,
                 "rules-MIN_NUM_FORMS": 0, "rules-MAX_NUM_FORMS": 1000})
    for n, rule in enumerate(rules):
        for key, value in rule.items():
            data[f"rules-{n}-{key}"] = value
    return data


def _json(value):
    return "" if value is None else json.dumps(value)


def fit_rule(**fields):
    return {"kind": "fit", "name": "Germany", "field": "lead.country", "operator": "eq",
            "value": '"DE"', "points": "50", "half_life_days": "", **fields}


def test_it_shows_the_versions_to_a_manager(client, mia):
    client.force_login(mia)
    response = client.get(reverse("rulesets"))
    assert response.status_code == 200
    active = RuleSet.active_one()
    assert f"In force: <a href=\"{reverse('ruleset', args=[active.version])}\">" in (
        response.content.decode())


def test_it_lets_marketing_in(client):
    client.force_login(make_user("marta", "marketing"))
    assert client.get(reverse("rulesets")).status_code == 200


@pytest.mark.parametrize("user", ["alice", "sam"])
def test_it_refuses_the_pages_to_qualifiers_and_sales(client, request, user):
    client.force_login(request.getfixturevalue(user))
    version = RuleSet.active_one().version
    count = RuleSet.objects.count()
    assert client.get(reverse("rulesets")).status_code == 403
    assert client.get(reverse("ruleset", args=[version])).status_code == 403
    assert client.post(reverse("ruleset-new"), {"note": "x"}).status_code == 403
    assert client.post(reverse("ruleset-preview", args=[version])).status_code == 403
    assert client.post(reverse("ruleset-activate", args=[version])).status_code == 403
    assert RuleSet.objects.count() == count


def test_it_sends_anonymous_visitors_to_log_in(client, db):
    response = client.get(reverse("rulesets"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_shows_the_scoring_link_to_managers_only(client, mia, alice):
    client.force_login(mia)
    assert reverse("rulesets") in client.get(reverse("webforms")).content.decode()
    client.force_login(alice)
    assert reverse("rulesets") not in client.get(reverse("desk")).content.decode()


def test_it_creates_a_draft_copying_the_rules(client, mia):
    active = RuleSet.active_one()
    client.force_login(mia)
    response = client.post(reverse("ruleset-new"), {"note": "more for VPs"})
    draft = RuleSet.objects.get(version=active.version + 1)
    assert response.status_code == 302
    assert response["Location"] == reverse("ruleset", args=[draft.version])
    assert (draft.note, draft.created_by, draft.active, draft.editable) == (
        "more for VPs", mia, False, True)
    fields = ("kind", "name", "field", "operator", "value", "points")
    assert list(draft.rules.order_by("pk").values_list(*fields)) == list(
        active.rules.order_by("pk").values_list(*fields))


def test_it_saves_the_edited_rules_and_settings(client, mia, draft):
    client.force_login(mia)
    first, *others = draft.rules.order_by("kind", "pk")
    data = edit_data(draft, fit_a="60")
    data["rules-0-points"] = "77"
    data["rules-1-DELETE"] = "on"
    response = client.get(reverse("ruleset", args=[draft.version]))
    assert response.status_code == 200
    response = client.post(reverse("ruleset", args=[draft.version]), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.fit_a == 60
    assert Rule.objects.get(pk=first.pk).points == 77
    assert not Rule.objects.filter(pk=others[0].pk).exists()
    assert draft.rules.count() == len(others)


def test_it_adds_a_rule_to_a_draft(client, mia, draft):
    client.force_login(mia)
    count = draft.rules.count()
    response = client.post(reverse("ruleset", args=[draft.version]),
                           edit_data(draft, rules=[fit_rule(value='["DE", "AT"]')]))
    assert response.status_code == 302
    assert draft.rules.count() == count + 1
    assert list(draft.rules.filter(name="Germany").values_list(
        "field", "operator", "value", "points")) == [("lead.country", "eq", ["DE", "AT"], 50)]


def test_it_refuses_a_rule_on_an_unknown_field(client, mia, draft):
    client.force_login(mia)
    response = client.post(reverse("ruleset", args=[draft.version]),
                           edit_data(draft, rules=[fit_rule(field="lead.shoe_size")]))
    assert response.status_code == 400
    rule_form = response.context["formset"].forms[0]
    assert rule_form.errors["field"] == ["lead has no field 'shoe_size'"]
    assert 'value="lead.shoe_size"' in response.content.decode()  # the input is kept
    assert not draft.rules.filter(field="lead.shoe_size").exists()


def test_it_refuses_a_value_that_is_not_json(client, mia, draft):
    client.force_login(mia)
    count = draft.rules.count()
    response = client.post(reverse("ruleset", args=[draft.version]),
                           edit_data(draft, rules=[fit_rule(value="DE")], note="changed"))
    assert response.status_code == 400
    [error] = response.context["formset"].forms[0].errors["value"]
    assert error.startswith("value is not valid JSON")
    assert draft.rules.count() == count
    draft.refresh_from_db()
    assert draft.note == "draft under test"  # nothing saved, settings included


def test_it_refuses_cut_offs_out_of_order(client, mia, draft):
    client.force_login(mia)
    response = client.post(reverse("ruleset", args=[draft.version]),
                           edit_data(draft, fit_b="70", engagement_3="25"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["fit_b"] == ["fit_b (70) must not be above fit_a (50): grades are ordered"]
    assert errors["engagement_3"][0].startswith("engagement_3 (25) must not be above")
    draft.refresh_from_db()
    assert (draft.fit_b, draft.engagement_3) == (30, 5)


def test_it_keeps_a_version_that_was_in_force_read_only(client, mia):
    history = RuleSet.active_one()
    client.force_login(mia)
    page = client.get(reverse("ruleset", args=[history.version]))
    assert page.status_code == 200
    assert page.context.get("formset") is None  # no edit form on history
    response = client.post(reverse("ruleset", args=[history.version]),
                           edit_data(history, fit_a="99"))
    assert response.status_code == 409
    assert "was put in force, so it is history" in response.content.decode()
    history.refresh_from_db()
    assert history.fit_a != 99


def test_it_previews_the_grade_changes(client, mia):
    empty = RuleSet.objects.create(version=RuleSet.active_one().version + 1)
    empty.activate()  # no rules: every lead is D4
    for country in ("DE", "DE", "FR"):
        make_lead(country=country)
    score_leads(Lead.objects.all())
    draft = RuleSet.new_version(None, created_by=mia, note="")
    Rule.objects.create(ruleset=draft, kind="fit", name="Germany", field="lead.country",
                        operator="eq", value="DE", points=50)
    client.force_login(mia)
    response = client.post(reverse("ruleset-preview", args=[draft.version]),
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.context["preview"]["changes"] == {"D4": {"A4": 2}}
    html = response.content.decode()
    assert '<strong id="preview-leads">3</strong>' in html
    assert '<strong id="preview-changed">2</strong>' in html
    assert '<th scope="row">D4</th><td class="num">2</td>' in html
    assert not RuleSet.objects.get(pk=draft.pk).active


def test_it_shows_the_preview_on_the_page_without_htmx(client, mia, draft):
    make_lead(country="DE")
    client.force_login(mia)
    response = client.post(reverse("ruleset-preview", args=[draft.version]))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<strong id="preview-leads">1</strong>' in html
    assert 'id="ruleset-form"' in html  # the whole draft page, with the preview in it


def test_it_activates_a_draft(client, mia, draft):
    old = RuleSet.active_one()
    client.force_login(mia)
    page = client.get(reverse("ruleset", args=[draft.version])).content.decode()
    assert "every lead is rescored" in page
    response = client.post(reverse("ruleset-activate", args=[draft.version]))
    assert response.status_code == 302
    assert RuleSet.active_one() == draft
    draft.refresh_from_db()
    assert not draft.editable
    assert not RuleSet.objects.get(pk=old.pk).active


def test_it_rolls_back_to_an_older_version_which_stays_read_only(client, mia, draft):
    old = RuleSet.active_one()
    draft.activate()
    client.force_login(mia)
    response = client.post(reverse("ruleset-activate", args=[old.version]))
    assert response.status_code == 302
    assert RuleSet.active_one() == old
    assert client.get(reverse("ruleset", args=[old.version])).context.get("formset") is None


def test_it_escapes_user_text(client, mia):
    RuleSet.new_version(created_by=mia, note="<script>alert(1)</script>")
    client.force_login(mia)
    html = client.get(reverse("rulesets")).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_it_keeps_a_version_once_in_force_read_only_in_the_admin(client, draft):
    from leadgate.leads.models import User

    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    active = RuleSet.active_one()
    rule = active.rules.first()
    page = client.get(f"/admin/scoring/ruleset/{active.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    refused = client.post(f"/admin/scoring/ruleset/{active.pk}/change/",
                          {"note": "changed in force"})
    assert refused.status_code == 403
    assert (RuleSet.objects.get(pk=active.pk).note, Rule.objects.get(pk=rule.pk).points) == (
        active.note, rule.points)
    assert 'name="_save"' in client.get(
        f"/admin/scoring/ruleset/{draft.pk}/change/").content.decode()
