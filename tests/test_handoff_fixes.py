"""Issue 16's fixes of the handoff pages, below the browser: call lengths and
amounts as people read them, the dossier's sentences and labels, the rep
picker's placeholder, the inbox's outcome of an accepted handoff, and the
Admin link."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from leadgate.handoff.dossier import section_item, sentence
from leadgate.handoff.flow import accept
from leadgate.handoff.handoff_views import HandoffForm
from leadgate.handoff.outcomes import record_outcome
from leadgate.handoff.views import dossier_summary, furthest_outcomes
from leadgate.leads.models import Handoff, User
from leadgate.workspace.templatetags.figures import amount, call_length
from tests.factories import hand_off, make_lead

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("seconds", "text"), [
    (270, "4 min 30 s"), (45, "45 s"), (60, "1 min"), (3900, "1 h 5 min"), (0, ""), (None, ""),
])
def test_it_reads_a_call_length_in_minutes_and_seconds(seconds, text):
    assert call_length(seconds) == text


def test_it_writes_amounts_with_thousands_separators_and_the_currency(settings):
    settings.LEADGATE_CURRENCY = "EUR"
    assert amount(Decimal("12500000.00")) == "12,500,000 EUR"
    assert amount(Decimal("99.5"), "USD") == "99.50 USD"
    assert amount(None) == ""


def test_it_ends_a_sentence_on_a_company_name_with_one_full_stop():
    assert sentence("Grace Hopper at Stroopwafel B.V.") == "Grace Hopper at Stroopwafel B.V."
    assert sentence("Grace Hopper at US Navy") == "Grace Hopper at US Navy."


def test_it_does_not_repeat_the_section_as_the_label_of_its_item():
    assert section_item("timeframe", "Timeframe", "this quarter") == "this quarter"
    assert section_item("pains", "Need", "a faster close") == "Need: a faster close"


def test_it_shows_the_composed_summary_whole_and_alone_in_the_inbox():
    story = "x" * 300
    dossier = {"version": 1, "summary": story, "timeframe": ["this quarter"]}
    assert dossier_summary(dossier) == [("summary", story)]


def test_it_offers_a_placeholder_in_the_rep_picker_only_when_none_is_chosen(sam):
    assert [label for _, label in HandoffForm().fields["to_user"].choices] == [
        "Choose a sales rep…", "sam"]
    chosen = HandoffForm(initial={"to_user": sam.pk})
    assert [label for _, label in chosen.fields["to_user"].choices] == ["sam"]


def test_it_finds_the_furthest_outcome_of_an_accepted_handoff(alice, sam):
    lead = make_lead(owner=alice, stage="working")
    handoff = accept(hand_off(lead, alice, sam), by=sam)
    record_outcome(lead, kind="opportunity", by=sam, amount=Decimal("10"))
    record_outcome(lead, kind="lost", by=sam, reason="went with a competitor")
    handoff = Handoff.objects.get(pk=handoff.pk)
    furthest_outcomes([handoff])
    assert handoff.outcome.kind == "lost"


def admin_links(user: User) -> int:
    client = Client()
    client.force_login(user)
    return client.get("/desk/").content.decode().count('href="/admin/"')


def test_it_shows_the_admin_link_to_a_superuser(mia):
    User.objects.filter(pk=mia.pk).update(is_staff=True, is_superuser=True)
    assert admin_links(User.objects.get(pk=mia.pk)) == 1


def test_it_hides_the_admin_link_from_staff_without_a_permission(mia):
    User.objects.filter(pk=mia.pk).update(is_staff=True)
    assert admin_links(mia) == 0
    mia.user_permissions.add(Permission.objects.get(codename="view_lead"))
    assert admin_links(User.objects.get(pk=mia.pk)) == 1
