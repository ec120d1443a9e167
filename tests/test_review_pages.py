"""The duplicate review pages: who sees which pair, merge and keep apart by
plain POST (and htmx), undo, errors as 400 pages, and escaping."""

import pytest
from django.urls import reverse

from leadgate.intake.merge import merge
from leadgate.intake.models import DuplicateCandidate, Merge
from leadgate.leads.models import Handoff, Lead
from leadgate.leads.transitions import advance
from tests.factories import hand_off, make_lead

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def make_pair(owner_a, owner_b=None, score=92.0, **fields):
    """Two leads (of `owner_a` and `owner_b`) on the review list."""
    a = make_lead(owner=owner_a, **fields)
    b = make_lead(owner=owner_b or owner_a, **fields)
    return DuplicateCandidate.objects.create(
        lead=b, candidate=a, score=score, reasons=["name 93% alike", "same account"]
    )


def listed(response):
    return [item["pair"] for item in response.context["pairs"]]


def merge_url(pair):
    return reverse("duplicate-merge", args=[pair.pk])


def test_it_shows_a_manager_every_open_pair_highest_score_first(client, alice, charlie, mia):
    low = make_pair(alice, score=89)
    high = make_pair(charlie, score=97)
    client.force_login(mia)
    response = client.get(reverse("duplicates"))
    assert response.status_code == 200
    assert listed(response) == [high, low]
    page = response.content.decode()
    for lead in (low.lead, low.candidate):
        assert lead.email in page
        assert reverse("lead", args=[lead.pk]) in page
    assert "same account" in page


def test_it_shows_a_qualifier_only_pairs_of_leads_they_can_see(client, alice, bob, charlie):
    ours = make_pair(alice, bob)
    make_pair(alice, charlie)  # one of the two is charlie's, on another team
    make_pair(charlie)
    client.force_login(alice)
    assert listed(client.get(reverse("duplicates"))) == [ours]


def test_it_hides_resolved_pairs(client, alice, mia):
    pair = make_pair(alice)
    DuplicateCandidate.objects.filter(pk=pair.pk).update(status="kept_apart")
    client.force_login(mia)
    assert listed(client.get(reverse("duplicates"))) == []


def test_it_pages_the_list(client, alice, mia):
    for n in range(26):
        make_pair(alice, score=90 + n / 100)
    client.force_login(mia)
    first = client.get(reverse("duplicates"))
    second = client.get(reverse("duplicates") + "?page=2")
    assert (len(listed(first)), first.context["has_next"]) == (25, True)
    assert (len(listed(second)), second.context["has_next"]) == (1, False)


def test_it_refuses_the_list_to_a_sales_rep(client, sam):
    client.force_login(sam)
    assert client.get(reverse("duplicates")).status_code == 403


def test_it_links_the_list_in_the_nav_for_qualifiers_only(client, alice, sam):
    client.force_login(alice)
    assert reverse("duplicates") in client.get(reverse("desk")).content.decode()
    client.force_login(sam)
    assert reverse("duplicates") not in client.get(reverse("inbox")).content.decode()


def test_it_gives_an_outsider_404_when_merging_a_pair_they_cannot_see(client, alice, charlie):
    pair = make_pair(alice)
    client.force_login(charlie)
    response = client.post(merge_url(pair))
    assert response.status_code == 404
    assert Lead.objects.filter(pk__in=[pair.lead_id, pair.candidate_id]).count() == 2
    assert not Merge.objects.exists()


def test_it_gives_404_when_only_one_of_the_leads_is_visible(client, alice, charlie):
    pair = make_pair(alice, charlie)
    client.force_login(alice)
    assert client.post(merge_url(pair)).status_code == 404
    assert client.post(reverse("duplicate-keep-apart", args=[pair.pk])).status_code == 404


def test_it_merges_by_post_and_undoes_by_post(client, alice):
    pair = make_pair(alice)
    older, newer = pair.candidate, pair.lead
    client.force_login(alice)
    response = client.post(merge_url(pair), {"reason": "same person"})
    record = Merge.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("merge", args=[record.pk])
    assert (record.survivor_id, record.merged_lead_id) == (older.pk, newer.pk)  # the older
    assert (record.by, record.reason) == (alice, "same person")
    assert not Lead.objects.filter(pk=newer.pk).exists()
    page = client.get(response["Location"]).content.decode()
    assert f"Merged lead {newer.pk} into lead {older.pk}." in page
    assert reverse("merge-undo", args=[record.pk]) in page

    response = client.post(reverse("merge-undo", args=[record.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("lead", args=[newer.pk])
    assert Lead.objects.filter(pk=newer.pk).exists()
    record.refresh_from_db()
    assert record.undone_by == alice


def test_it_merges_into_the_lead_the_user_chose(client, alice):
    pair = make_pair(alice)
    client.force_login(alice)
    client.post(merge_url(pair), {"survivor": str(pair.lead_id)})
    record = Merge.objects.get()
    assert (record.survivor_id, record.merged_lead_id) == (pair.lead_id, pair.candidate_id)
    assert "duplicate review: score 92" in record.reason


def test_it_refuses_a_survivor_outside_the_pair_with_400(client, alice):
    pair = make_pair(alice)
    stranger = make_lead(owner=alice)
    client.force_login(alice)
    response = client.post(merge_url(pair), {"survivor": str(stranger.pk)})
    assert response.status_code == 400
    assert "choose one of the two leads" in response.content.decode()
    assert not Merge.objects.exists()


def test_it_shows_a_merge_error_as_400_not_500(client, alice, sam):
    pair = make_pair(alice)
    for lead in (pair.lead, pair.candidate):
        hand_off(lead, alice, sam)
    client.force_login(alice)
    response = client.post(merge_url(pair))
    assert response.status_code == 400
    assert "pending handoff" in response.content.decode()
    assert Handoff.objects.filter(status="pending").count() == 2
    assert not Merge.objects.exists()


def test_it_refuses_to_merge_backwards_with_400(client, alice):
    pair = make_pair(alice)
    advance(pair.lead, "working", by=alice)
    client.force_login(alice)
    response = client.post(merge_url(pair), {"survivor": str(pair.candidate_id)})
    assert response.status_code == 400
    assert "further along" in response.content.decode()


def test_it_keeps_a_pair_apart_and_records_who_and_when(client, alice):
    pair = make_pair(alice)
    client.force_login(alice)
    response = client.post(reverse("duplicate-keep-apart", args=[pair.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("duplicates")
    pair.refresh_from_db()
    assert (pair.status, pair.resolved_by) == ("kept_apart", alice)
    assert pair.resolved_at is not None
    assert Lead.objects.filter(pk__in=[pair.lead_id, pair.candidate_id]).count() == 2


def test_it_refuses_to_resolve_a_pair_twice_with_400(client, alice):
    pair = make_pair(alice)
    client.force_login(alice)
    client.post(reverse("duplicate-keep-apart", args=[pair.pk]))
    assert client.post(reverse("duplicate-keep-apart", args=[pair.pk])).status_code == 400
    assert client.post(merge_url(pair)).status_code == 400
    assert not Merge.objects.exists()


def test_it_swaps_the_pair_for_an_undo_button_with_htmx(client, alice):
    pair = make_pair(alice)
    client.force_login(alice)
    response = client.post(merge_url(pair), **HTMX)
    record = Merge.objects.get()
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="pair-{pair.pk}"' in page
    assert reverse("merge-undo", args=[record.pk]) in page
    assert "<html" not in page


def test_it_escapes_lead_data_on_the_review_page(client, alice, mia):
    make_pair(alice, first_name='<script>alert("x")</script>', company_name="<b>Acme</b>")
    client.force_login(mia)
    page = client.get(reverse("duplicates")).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<b>Acme</b>" not in page


def test_it_escapes_the_merged_lead_on_the_merges_page(client, alice):
    survivor = make_lead(owner=alice)
    merged = make_lead(owner=alice, first_name="<img src=x onerror=alert(1)>")
    merge(survivor, merged, by=alice, reason="<i>dupe</i>")
    client.force_login(alice)
    page = client.get(reverse("merges")).content.decode()
    assert "<img src=x" not in page and "<i>dupe</i>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_it_lists_all_merges_for_a_manager_and_own_ones_for_a_qualifier(client, alice, bob, mia):
    mine = merge(make_lead(owner=alice), make_lead(owner=alice), by=alice)
    theirs = merge(make_lead(owner=bob), make_lead(owner=bob), by=bob)
    client.force_login(mia)
    managed = client.get(reverse("merges")).context["merges"]
    assert [item["merge"] for item in managed] == [theirs, mine]
    client.force_login(alice)
    own = client.get(reverse("merges")).context["merges"]
    assert [item["merge"] for item in own] == [mine]


def test_it_lets_a_manager_undo_a_qualifiers_merge(client, alice, mia):
    record = merge(make_lead(owner=alice), make_lead(owner=alice), by=alice)
    client.force_login(mia)
    assert client.post(reverse("merge-undo", args=[record.pk])).status_code == 302
    assert Lead.objects.filter(pk=record.merged_lead_id).exists()


def test_it_gives_404_to_a_qualifier_undoing_someone_elses_merge(client, alice, bob):
    record = merge(make_lead(owner=alice), make_lead(owner=alice), by=alice)
    client.force_login(bob)
    assert client.post(reverse("merge-undo", args=[record.pk])).status_code == 404
    assert client.get(reverse("merge", args=[record.pk])).status_code == 404
    assert not Lead.objects.filter(pk=record.merged_lead_id).exists()


def test_it_refuses_a_second_undo_with_400(client, alice):
    record = merge(make_lead(owner=alice), make_lead(owner=alice), by=alice)
    client.force_login(alice)
    client.post(reverse("merge-undo", args=[record.pk]))
    response = client.post(reverse("merge-undo", args=[record.pk]))
    assert response.status_code == 400
    assert "undone already" in response.content.decode()
    assert Lead.objects.filter(pk=record.merged_lead_id).count() == 1


def test_it_undoes_with_htmx_in_place(client, alice):
    record = merge(make_lead(owner=alice), make_lead(owner=alice), by=alice)
    client.force_login(alice)
    response = client.post(reverse("merge-undo", args=[record.pk]), **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="merge-{record.pk}-undo"' in page and "Undone" in page
    assert "<html" not in page


def test_it_refuses_get_on_the_actions(client, alice):
    pair = make_pair(alice)
    client.force_login(alice)
    assert client.get(merge_url(pair)).status_code == 405


def test_it_shows_what_moved_and_what_was_set_aside_on_the_merge_page(client, alice):
    from leadgate.scoring.models import LeadScore

    pair = make_pair(alice)
    for lead in (pair.lead, pair.candidate):
        LeadScore.objects.create(lead=lead, fit=10, engagement=0, grade="B2")
    client.force_login(alice)
    response = client.post(merge_url(pair), {"reason": "same person"})
    page = client.get(response["Location"]).content.decode()
    assert "1 inquiry" in page  # moved, in words
    assert "Set aside" in page and "1 lead score" in page
