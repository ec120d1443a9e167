"""Search (leads.search) when many leads match: the candidates read in
batches on SQLite (the newest matches first), the few shown loaded whole,
and whether more matched than were shown."""

import pytest

from leadgate.leads import search as search_module
from leadgate.leads.search import search
from tests.factories import make_account, make_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of two matches, then up to six (SQLite; PostgreSQL has none)."""
    monkeypatch.setattr(search_module, "SQLITE_BATCHES", (2, 6))


def test_it_finds_a_qualifiers_lead_beyond_the_first_batch(small_batches, alice, bob, charlie):
    ours = make_lead(owner=alice, first_name="Grace", last_name="Hopper")
    for _ in range(3):  # newer matches bob may not open
        make_lead(owner=charlie, first_name="Grace", last_name="Hopper")
    assert [lead.pk for lead in search(bob, "hopper").leads] == [ours.pk]


def test_it_finds_every_visible_lead_spread_over_the_batches(small_batches, alice, bob,
                                                              charlie):
    ours = []
    for _ in range(3):
        ours.append(make_lead(owner=alice, first_name="Grace", last_name="Hopper"))
        make_lead(owner=charlie, first_name="Grace", last_name="Hopper")
    found = search(bob, "hopper")
    assert sorted(lead.pk for lead in found.leads) == sorted(lead.pk for lead in ours)
    assert not found.more_leads


def test_it_stops_at_the_candidates_when_the_first_batch_holds_them(small_batches, monkeypatch,
                                                                    alice, mia):
    monkeypatch.setattr(search_module, "CANDIDATES", 1)
    for _ in range(4):
        make_lead(owner=alice, first_name="Grace", last_name="Hopper")
    found = search(mia, "hopper", limit=5)
    assert len(found.leads) == 2  # CANDIDATES + 1 read, to know there are more
    assert found.more_leads


def test_it_says_when_more_leads_matched_than_are_shown(alice, mia):
    for _ in range(3):
        make_lead(owner=alice, first_name="Grace", last_name="Hopper")
    assert search(mia, "hopper", limit=2).more_leads
    assert not search(mia, "hopper", limit=3).more_leads


def test_it_shows_the_newest_first_among_equally_good_matches(alice, mia):
    older = make_lead(owner=alice, first_name="Grace", last_name="Hopper")
    newer = make_lead(owner=alice, first_name="Grace", last_name="Hopper")
    assert [lead.pk for lead in search(mia, "hopper").leads] == [newer.pk, older.pk]


def test_it_loads_the_shown_leads_with_their_account_and_owner(django_assert_num_queries,
                                                               alice, mia):
    make_lead(owner=alice, first_name="Grace", last_name="Hopper",
              account=make_account("Hopper Compilers", "hopper.example"))
    found = search(mia, "hopper")
    with django_assert_num_queries(0):
        assert [(lead.account.name, lead.owner.username) for lead in found.leads] == [
            ("Hopper Compilers", "alice")]


def test_it_ranks_an_account_whose_name_starts_with_the_word_first(mia):
    make_account("Acme Hopper Works", "acme-works.example")
    make_account("Hopper Compilers", "compilers.example")
    assert [a.name for a in search(mia, "hopper").accounts] == [
        "Hopper Compilers", "Acme Hopper Works"]


def test_it_reads_one_batch_when_whoever_sees_everything_finds_few(django_assert_num_queries,
                                                                   small_batches, alice, mia):
    make_lead(owner=alice, first_name="Grace", last_name="Hopper")
    assert mia.sees_everything  # her roles read (and kept) before counting
    with django_assert_num_queries(3):  # the leads' batch, the lead shown, the accounts' batch
        assert len(search(mia, "hopper").leads) == 1
