"""Search (leads.search) and the account page: any part of a name, email,
phone, company or domain finds the lead, through the database's index,
and only what the viewer may open."""

import pytest

from leadgate.leads.models import Lead
from leadgate.leads.search import search, words
from tests.factories import hand_off, make_account, make_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(alice):
    return make_lead(owner=alice, first_name="Ada", last_name="Lovelace",
                     email="ada@analytical.example", phone="+4915011303882",
                     company_name="Analytical Engines", domain="analytical.example",
                     account=make_account("Analytical Engines Ltd", "analytical.example"))


def names(found):
    return [lead.name for lead in found.leads]


@pytest.mark.parametrize("query", [
    "ovel", "LOVELACE", "ada lov", "ada@analytical", "+49 150 113", "0113038", "Engines",
    "analytical.example"])
def test_it_finds_a_lead_by_any_part_of_what_one_remembers(ada, mia, query):
    assert names(search(mia, query)) == ["Ada Lovelace"]


def test_it_wants_every_word_to_match(ada, mia):
    assert names(search(mia, "ada babbage")) == []


def test_it_ignores_words_too_short_to_look_up():
    assert words("Al de la Cruz") == ["cruz"]


def test_it_finds_a_name_changed_since_the_lead_came_in(ada, mia):
    Lead.objects.filter(pk=ada.pk).update(last_name="King")
    assert names(search(mia, "king")) == ["Ada King"]
    assert names(search(mia, "lovelace")) == []


def test_it_forgets_a_deleted_lead(ada, mia):
    ada.delete()
    assert names(search(mia, "lovelace")) == []


def test_it_shows_a_qualifier_only_the_leads_they_may_open(ada, bob, charlie):
    assert names(search(bob, "lovelace")) == ["Ada Lovelace"]  # alice's teammate
    assert names(search(charlie, "lovelace")) == []
    assert search(charlie, "analytical").accounts == []


def test_it_shows_a_sales_rep_the_leads_handed_to_them(ada, alice, sam):
    other = make_lead(owner=alice, first_name="Ada", last_name="Byron")
    hand_off(ada, alice, sam)
    assert names(search(sam, "ada")) == ["Ada Lovelace"]
    assert other.pk not in [lead.pk for lead in search(sam, "ada").leads]


def test_it_ranks_a_name_that_starts_with_the_word_first(alice, mia):
    make_lead(owner=alice, first_name="Mary", last_name="Adams")
    make_lead(owner=alice, first_name="Ada", last_name="Lovelace")
    assert names(search(mia, "ada")) == ["Ada Lovelace", "Mary Adams"]


def test_it_finds_the_account(ada, mia):
    assert [a.name for a in search(mia, "analytical").accounts] == ["Analytical Engines Ltd"]


def test_it_answers_the_header_box_with_a_short_list(client, ada, alice):
    client.force_login(alice)
    page = client.get("/search/?q=lovel", HTTP_HX_REQUEST="true").content.decode()
    assert f'href="/leads/{ada.pk}/"' in page
    assert "<html" not in page
    assert "All results for" in page


def test_it_says_how_many_letters_it_needs(client, alice):
    client.force_login(alice)
    assert "at least 3 letters" in client.get("/search/?q=ad").content.decode()


def test_it_escapes_what_was_typed(client, alice):
    client.force_login(alice)
    page = client.get("/search/?q=<script>alert(1)</script>").content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;" in page


def test_it_shows_the_account_with_its_leads_handoffs_and_outcomes(client, ada, alice, sam, mia):
    hand_off(ada, alice, sam)
    client.force_login(mia)
    page = client.get(f"/accounts/{ada.account_id}/").content.decode()
    assert "Analytical Engines Ltd" in page
    assert f'href="/leads/{ada.pk}/"' in page
    assert "waiting" in page  # the open handoff


def test_it_hides_an_account_from_a_qualifier_without_its_leads(client, ada, charlie):
    client.force_login(charlie)
    assert client.get(f"/accounts/{ada.account_id}/").status_code == 404
