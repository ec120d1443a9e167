"""The lead definition page: the MQL rule and sales-ready questions in force,
who may read it, who agrees to it, and its versions."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from leadgate.reports.definition import agree, current_definition, history, status
from leadgate.reports.models import DefinitionAgreement
from leadgate.scoring.models import RuleSet
from leadgate.workspace.frameworks import default_framework
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PAGE = "lead-definition"


def named(user, first, last):
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])
    return user


def agreement_status(page):
    """The words of the page's agreement line, tags stripped."""
    line = re.search(r'<p id="agreement-status">(.*?)</p>', page, re.S).group(1)
    return re.sub(r"<[^>]+>", "", line)


def new_version(**settings):
    """A new rule set version put in force, with these MQL settings."""
    ruleset = RuleSet.new_version()
    for name, value in settings.items():
        setattr(ruleset, name, value)
    ruleset.save()
    ruleset.activate()
    return ruleset


def test_it_shows_the_active_mql_rule_and_the_short_term_questions(client, alice):
    new_version(mql_min_fit="A", mql_min_engagement=2, mql_hot=False)
    client.force_login(alice)
    page = client.get(reverse(PAGE)).content.decode()
    assert "A lead is an MQL when it scores fit A and engagement 2 or better (grade A1, A2)." \
        in page
    for question in default_framework().questions:  # BANT: need, authority, timeframe
        assert (question["help"] in page) == question["short_term"]


def test_it_shows_the_grade_cut_offs(client, alice):
    new_version(fit_a=70, fit_b=40, fit_c=10)
    client.force_login(alice)
    page = client.get(reverse(PAGE)).content.decode()
    assert "A from 70 points, B from 40, C from 10, below that D" in page


def test_it_makes_a_new_digest_when_a_new_rule_set_version_is_put_in_force(mia):
    agree(mia)
    before = current_definition()
    new_version()
    after = current_definition()
    assert after.digest != before.digest
    assert status(after).agreements == ()
    assert DefinitionAgreement.objects.get(user=mia).digest == before.digest


def test_it_no_longer_counts_an_agreement_to_the_previous_version(client, mia, sam):
    agree(mia)
    agree(sam)
    new_version()
    client.force_login(mia)
    page = client.get(reverse(PAGE)).content.decode()
    assert agreement_status(page) == ("Not agreed yet: waiting for a manager and a sales lead "
                                      "to agree to this version.")
    assert "I agree to this definition" in page


def test_it_makes_a_new_digest_when_a_sales_ready_question_changes(mia):
    before = current_definition()
    framework = default_framework()
    framework.questions[0]["help"] = "What does the problem cost them per month?"
    framework.save()
    assert current_definition().digest != before.digest


def test_it_says_who_agreed_with_their_names(client, mia, sam):
    agree(named(mia, "Mia", "Moreau"))
    agree(named(sam, "Sam", "Sato"))
    client.force_login(sam)
    page = client.get(reverse(PAGE)).content.decode()
    today = f"{datetime.now(UTC):%b} {datetime.now(UTC).day}, {datetime.now(UTC).year}"
    assert agreement_status(page) == (f"Agreed by Mia Moreau (manager) on {today}, "
                                      f"Sam Sato (sales) on {today}.")


def test_it_says_a_sales_lead_is_missing_when_only_a_manager_agreed(client, mia):
    agree(mia)
    client.force_login(mia)
    page = client.get(reverse(PAGE)).content.decode()
    # No full name: the username.
    assert re.fullmatch(r"Agreed by mia \(manager\) on \w+ \d+, \d{4}; waiting for a sales lead\.",
                        agreement_status(page))


def test_it_records_the_agreement_of_a_manager_who_clicks_agree(client, mia):
    client.force_login(mia)
    digest = current_definition().digest
    response = client.post(reverse(PAGE), {"digest": digest}, follow=True)
    assert response.redirect_chain == [(reverse(PAGE), 302)]
    assert "You agreed to the lead definition" in response.content.decode()
    agreement = DefinitionAgreement.objects.get(user=mia)
    assert (agreement.digest, agreement.role) == (digest, "manager")
    assert agreement.text["ruleset_version"] == RuleSet.active_one().version


def test_it_records_a_sales_rep_as_sales(client, sam):
    client.force_login(sam)
    client.post(reverse(PAGE))
    assert DefinitionAgreement.objects.get(user=sam).role == "sales"


def test_it_stores_one_agreement_when_agreeing_twice(client, mia):
    client.force_login(mia)
    client.post(reverse(PAGE))
    response = client.post(reverse(PAGE), follow=True)
    assert DefinitionAgreement.objects.filter(user=mia).count() == 1
    assert "You had already agreed" in response.content.decode()


def test_it_refuses_an_agreement_to_a_definition_changed_meanwhile(client, mia):
    read = current_definition().digest
    new_version()
    client.force_login(mia)
    response = client.post(reverse(PAGE), {"digest": read}, follow=True)
    assert "The definition changed since you opened the page" in response.content.decode()
    assert not DefinitionAgreement.objects.exists()


def test_it_lets_a_qualifier_read_the_definition(client, alice):
    client.force_login(alice)
    response = client.get(reverse(PAGE))
    assert response.status_code == 200
    assert "I agree to this definition" not in response.content.decode()


def test_it_refuses_a_qualifiers_agreement(client, alice):
    client.force_login(alice)
    assert client.post(reverse(PAGE)).status_code == 403
    assert not DefinitionAgreement.objects.exists()


def test_it_lets_marketing_read_but_not_agree(client):
    client.force_login(make_user("mark", "marketing"))
    assert client.get(reverse(PAGE)).status_code == 200
    assert client.post(reverse(PAGE)).status_code == 403


def test_it_refuses_a_user_without_a_role(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="x"))
    assert client.get(reverse(PAGE)).status_code == 403


def test_it_sends_an_anonymous_visitor_to_log_in(client):
    response = client.get(reverse(PAGE))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_refuses_an_anonymous_agreement(client):
    assert client.post(reverse(PAGE)).status_code == 302
    assert not DefinitionAgreement.objects.exists()


def test_it_links_the_page_in_the_menu_of_a_sales_rep(client, sam):
    client.force_login(sam)
    page = client.get(reverse("inbox")).content.decode()
    assert f'href="{reverse(PAGE)}"' in page


def test_it_lists_the_versions_ever_in_force_newest_first(mia):
    first = RuleSet.active_one()
    agree(mia)
    second = new_version()
    RuleSet.new_version(note="a draft, never in force")
    versions = history()
    assert [v.version for v in versions][:2] == [second.version, first.version]
    assert all(RuleSet.objects.get(version=v.version).activated_at for v in versions)
    assert [a.role for a in versions[1].agreements] == ["manager"]
    assert versions[0].agreements == ()


def test_it_shows_dates_in_the_viewers_time_zone(client, mia):
    agreement, _ = agree(mia)
    agreement.at = datetime(2026, 1, 1, 20, 0, tzinfo=UTC)
    agreement.save()
    mia.time_zone = "Pacific/Auckland"  # 09:00 the next day
    mia.save(update_fields=["time_zone"])
    client.force_login(mia)
    page = client.get(reverse(PAGE)).content.decode()
    assert agreement_status(page).startswith("Agreed by mia (manager) on Jan 2, 2026;")


def test_it_escapes_a_question_label_and_a_framework_name(client, alice):
    framework = default_framework()
    framework.name = "<b>BANT</b>"
    framework.questions[0]["label"] = "<script>alert('need')</script>"
    framework.save()
    client.force_login(alice)
    page = client.get(reverse(PAGE)).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;need&#x27;)&lt;/script&gt;" in page
    assert "<b>BANT</b>" not in page
