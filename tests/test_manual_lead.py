"""A lead entered by hand goes through intake like any other: matched to the
lead the person already is, with the field at fault named when intake
refuses it, and queued to be scored and routed."""

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from leadgate.intake.models import Inquiry
from leadgate.leads.models import Lead
from tests.factories import make_account, make_campaign, make_lead, make_source, make_user

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ada(**changes):
    data = {"first_name": "ada", "last_name": "LOVELACE", "email": "Ada@Analytical.example",
            "phone": "", "title": "CTO", "company": "Analytical Engines",
            "website": "analytical.example", "country": "United Kingdom", "message": "met at booth"}
    data.update(changes)
    return data


def test_it_receives_a_lead_entered_by_a_manager_and_opens_it(mia):
    response = client_of(mia).post("/intake/leads/new", ada())
    lead = Lead.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    assert (lead.first_name, lead.last_name, lead.email, lead.country) == (
        "Ada", "Lovelace", "ada@analytical.example", "GB")
    inquiry = lead.inquiries.get()
    assert inquiry.channel == Inquiry.Channel.MANUAL
    assert inquiry.payload["message"] == "met at booth"
    assert lead.account is not None and lead.account.domain == "analytical.example"


def test_it_queues_a_new_lead_for_scoring_and_routing(mia):
    client_of(mia).post("/intake/leads/new", ada())
    assert DBTaskResult.objects.count() == 1


def test_it_records_who_entered_the_lead(mia):
    client_of(mia).post("/intake/leads/new", ada())
    assert Lead.objects.get().stage_changes.get().by == mia


def test_it_adds_the_inquiry_to_the_lead_the_person_already_is(mia, alice):
    known = make_lead(owner=alice, email="ada@analytical.example")
    response = client_of(mia).post("/intake/leads/new", ada(email="ADA@analytical.example"))
    assert Lead.objects.count() == 1
    assert response["Location"] == f"/leads/{known.pk}/"
    assert known.inquiries.filter(channel="manual").count() == 1


def test_it_does_not_open_another_teams_lead_to_a_qualifier(charlie, alice):
    known = make_lead(owner=alice, email="ada@analytical.example")
    response = client_of(charlie).post("/intake/leads/new", ada(), follow=True)
    assert response.redirect_chain[-1][0] == "/intake/leads/new"
    assert "a lead of someone else already" in response.content.decode()
    assert known.inquiries.filter(channel="manual").count() == 1
    known.refresh_from_db()
    assert known.title == ""  # an outsider writes nothing onto it


def test_it_tells_a_qualifier_that_routing_gives_the_new_lead_an_owner(alice):
    response = client_of(alice).post("/intake/leads/new", ada(), follow=True)
    assert "routing gives it an owner" in response.content.decode()
    assert Lead.objects.count() == 1


def test_it_marks_the_inquiry_hot_with_its_source_and_campaign(mia):
    campaign = make_campaign(make_source("Events"), "Expo 2026")
    client_of(mia).post("/intake/leads/new", ada(source=campaign.source_id,
                                                 campaign=campaign.pk, is_hot="on"))
    inquiry = Inquiry.objects.get()
    assert (inquiry.is_hot, inquiry.source, inquiry.campaign) == (True, campaign.source, campaign)


def test_it_names_the_campaign_when_it_is_of_another_source(mia):
    campaign = make_campaign(make_source("Events"), "Expo 2026")
    response = client_of(mia).post("/intake/leads/new", ada(source=make_source("Web").pk,
                                                            campaign=campaign.pk))
    assert response.status_code == 400 and list(response.context["form"].errors) == ["campaign"]


def test_it_names_the_email_when_there_is_neither_email_nor_phone(mia):
    response = client_of(mia).post("/intake/leads/new", ada(email="", phone=""))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["email"]
    assert not Lead.objects.exists()


def test_it_names_the_email_intake_refuses(mia):
    response = client_of(mia).post("/intake/leads/new", ada(email="ada@", phone=""))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["email"]
    assert 'id="id_email-error"' in response.content.decode()
    assert not Lead.objects.exists()


def test_it_refuses_a_sales_rep(sam):
    assert client_of(sam).post("/intake/leads/new", ada()).status_code == 403
    assert not Lead.objects.exists()


def test_it_fills_the_company_from_the_account_it_was_opened_from(mia):
    account = make_account("Babbage & Co", "babbage.example")
    form = client_of(mia).get(f"/intake/leads/new?account={account.pk}").context["form"]
    assert (form["company"].value(), form["website"].value()) == ("Babbage & Co",
                                                                  "babbage.example")


def test_it_fills_nothing_from_an_account_the_user_may_not_see(alice):
    account = make_account("Secret Co", "secret.example")
    form = client_of(alice).get(f"/intake/leads/new?account={account.pk}").context["form"]
    assert form["company"].value() is None


def test_it_links_the_new_lead_form_from_an_account_page(mia):
    account = make_account("Babbage & Co", "babbage.example")
    page = client_of(mia).get(f"/accounts/{account.pk}/").content.decode()
    assert f'href="/intake/leads/new?account={account.pk}"' in page


def test_it_lets_marketing_enter_a_lead():
    marketer = make_user("mark", "marketing")
    assert client_of(marketer).get("/intake/leads/new").status_code == 200
