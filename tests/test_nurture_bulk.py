"""Enrolling a list: each line answered (enrolled, already, not found,
refused with the reason), a bad line never stopping the others; only leads
the person can see."""

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leadgate.leads.lifecycle import Stage
from leadgate.nurture import engine
from leadgate.nurture.bulk import enroll_many, lines_of
from leadgate.nurture.models import Enrollment
from tests.factories import make_lead, make_user
from tests.nurture_factories import make_cadence

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def cadence(time_machine, db):
    time_machine.move_to(T0, tick=False)
    return make_cadence(name="Long-term")


def test_it_reads_the_first_column_of_a_csv_without_its_header():
    assert lines_of('email,name\n"a@x.example",A\n\n12,B\n') == ["a@x.example", "12"]


def test_it_answers_each_line(cadence, alice, mia):
    by_id, by_email = make_lead(owner=alice), make_lead(owner=alice, email="Grace@Navy.example")
    assert by_email.email != "grace@navy.example"  # matched whatever the case
    already = make_lead(owner=alice)
    engine.enroll(already, trigger="manual", cadence=cadence)
    won = make_lead(owner=alice, stage=Stage.WON)
    lines = enroll_many([str(by_id.pk), "grace@navy.example", str(already.pk), "999999",
                         str(won.pk)], cadence, by=mia)
    assert [line.outcome for line in lines] == [
        "enrolled", "enrolled", "already", "not found", "refused"]
    assert lines[4].detail.startswith("stage: cannot move from 'won'")
    assert Enrollment.objects.filter(trigger="bulk").count() == 2


def test_it_finds_only_the_leads_the_person_can_see(cadence, alice, charlie):
    lead = make_lead(owner=alice)
    [line] = enroll_many([str(lead.pk)], cadence, by=charlie)
    assert line.outcome == "not found"
    assert not Enrollment.objects.filter(lead=lead).exists()


def test_it_enrolls_a_csv_file_from_the_page(client, cadence, alice):
    marketer = make_user("marta", "marketing")
    lead = make_lead(owner=alice)
    client.force_login(marketer)
    page = client.post(f"/nurture/{cadence.pk}/enroll", {
        "leads": "", "file": SimpleUploadedFile("list.csv", f"id\n{lead.pk}\n".encode())})
    assert page.status_code == 200
    assert "1 enrolled" in page.content.decode()
    assert Enrollment.objects.get(lead=lead).enrolled_by == marketer


def test_it_names_the_field_when_the_list_is_empty(client, cadence, mia):
    client.force_login(mia)
    page = client.post(f"/nurture/{cadence.pk}/enroll", {"leads": "  \n"})
    assert page.status_code == 400
    assert "leads: give lead ids or email addresses" in page.content.decode()


def test_it_refuses_a_sales_rep(client, cadence, sam):
    client.force_login(sam)
    assert client.get(f"/nurture/{cadence.pk}/enroll").status_code == 403
