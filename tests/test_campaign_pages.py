"""Sources, campaigns and their costs in the web app: marketing, managers
and admins list and edit them; anyone else is refused."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from leadgate.intake.models import Campaign, CampaignCost, Source
from tests.factories import make_campaign, make_source, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer(db):
    return make_user("mark", "marketing")


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def campaign(db):
    return make_campaign(make_source("Paid search"), "Spring webinar")


def add_cost(campaign, start, end, amount, currency="USD"):
    return CampaignCost.objects.create(campaign=campaign, period_start=start, period_end=end,
                                       amount=Decimal(amount), currency=currency)


def test_it_lists_sources_with_their_campaigns_and_costs_per_month(marketer, campaign):
    add_cost(campaign, date(2026, 11, 1), date(2026, 11, 30), "12500")
    add_cost(campaign, date(2026, 10, 1), date(2026, 10, 30), "800.5")
    page = client_of(marketer).get("/intake/campaigns/").content.decode()
    assert "Paid search" in page and "Spring webinar" in page
    assert "November 2026" in page and "12,500 USD" in page
    assert "800.50 USD" in page  # a period that is not a whole month: its dates
    assert '<time datetime="2026-10-30">Oct 30, 2026</time>' in page
    assert "13,300.50 USD" in page  # the campaign's total


def test_it_shows_amounts_in_the_configured_currency(marketer, campaign, settings):
    settings.LEADGATE_CURRENCY = "EUR"
    add_cost(campaign, date(2026, 11, 1), date(2026, 11, 30), "900", currency="EUR")
    page = client_of(marketer).get("/intake/campaigns/").content.decode()
    assert "900 EUR" in page


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_it_lets_managers_and_admins_open_the_campaigns(role, campaign):
    assert client_of(make_user(f"u-{role}", role)).get("/intake/campaigns/").status_code == 200


def test_it_refuses_the_campaigns_to_a_qualifier(alice, campaign):
    client = client_of(alice)
    assert client.get("/intake/campaigns/").status_code == 403
    assert client.post("/intake/sources/new", {"name": "X", "kind": "web"}).status_code == 403
    assert not Source.objects.filter(name="X").exists()


def test_it_refuses_cost_changes_to_a_sales_rep(sam, campaign):
    cost = add_cost(campaign, date(2026, 11, 1), date(2026, 11, 30), "100")
    response = client_of(sam).post(f"/intake/costs/{cost.pk}/edit",
                                   {"month": "2026-11", "amount": "1", "currency": "USD"})
    assert response.status_code == 403
    cost.refresh_from_db()
    assert cost.amount == Decimal("100")


def test_it_links_the_campaigns_from_the_header_for_marketing_only(marketer, alice):
    assert 'href="/intake/campaigns/"' in client_of(marketer).get("/intake/forms/").content.decode()
    assert 'href="/intake/campaigns/"' not in client_of(alice).get("/desk/").content.decode()


def test_it_adds_a_source(marketer):
    response = client_of(marketer).post("/intake/sources/new",
                                        {"name": "  Trade   fair ", "kind": "event"})
    source = Source.objects.get(name="Trade fair")
    assert response.status_code == 302 and response["Location"].endswith(f"#source-{source.pk}")
    assert source.kind == "event"


def test_it_names_the_field_when_a_source_name_is_taken(marketer, campaign):
    response = client_of(marketer).post("/intake/sources/new",
                                        {"name": "Paid search", "kind": "paid"})
    assert response.status_code == 400
    assert response.context["form"].errors == {"name": ["another source has this name"]}
    assert 'id="id_name-error"' in response.content.decode()


def test_it_renames_a_source(marketer, campaign):
    client_of(marketer).post(f"/intake/sources/{campaign.source_id}/edit",
                             {"name": "Google Ads", "kind": "paid"})
    assert Source.objects.get(pk=campaign.source_id).name == "Google Ads"


def test_it_adds_a_campaign_under_a_source(marketer, campaign):
    client = client_of(marketer)
    form = client.get(f"/intake/sources/{campaign.source_id}/campaigns/new")
    assert form.context["form"]["source"].value() == campaign.source_id
    client.post(f"/intake/sources/{campaign.source_id}/campaigns/new", {
        "name": "Autumn push", "source": campaign.source_id,
        "starts_on": "2026-09-01", "ends_on": "2026-11-30"})
    made = Campaign.objects.get(name="Autumn push")
    assert made.source_id == campaign.source_id and made.ends_on == date(2026, 11, 30)


def test_it_names_the_end_date_when_a_campaign_ends_before_it_starts(marketer, campaign):
    response = client_of(marketer).post(f"/intake/campaigns/{campaign.pk}/edit", {
        "name": "Spring webinar", "source": campaign.source_id,
        "starts_on": "2026-05-01", "ends_on": "2026-04-01"})
    assert response.status_code == 400
    assert response.context["form"].errors == {"ends_on": ["the campaign ends before it starts"]}


def test_it_names_the_field_when_a_campaign_name_is_taken(marketer, campaign):
    other = make_campaign(campaign.source, "Other")
    response = client_of(marketer).post(f"/intake/campaigns/{other.pk}/edit", {
        "name": "Spring webinar", "source": campaign.source_id})
    assert response.context["form"].errors == {"name": ["another campaign has this name"]}


def test_it_adds_a_cost_for_a_month(marketer, campaign):
    response = client_of(marketer).post(f"/intake/campaigns/{campaign.pk}/costs/new", {
        "month": "2026-02", "amount": "4200.00", "currency": "usd"})
    cost = CampaignCost.objects.get(campaign=campaign)
    assert response.status_code == 302 and response["Location"].endswith(f"#cost-{cost.pk}")
    assert (cost.period_start, cost.period_end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert cost.amount == Decimal("4200") and cost.currency == "USD"


def test_it_adds_a_cost_for_a_period_by_its_dates(marketer, campaign):
    client_of(marketer).post(f"/intake/campaigns/{campaign.pk}/costs/new", {
        "period_start": "2026-03-10", "period_end": "2026-04-09", "amount": "310",
        "currency": "USD"})
    cost = CampaignCost.objects.get(campaign=campaign)
    assert (cost.period_start, cost.period_end) == (date(2026, 3, 10), date(2026, 4, 9))


def test_it_offers_the_configured_currency_for_a_new_cost(marketer, campaign, settings):
    settings.LEADGATE_CURRENCY = "EUR"
    form = client_of(marketer).get(f"/intake/campaigns/{campaign.pk}/costs/new").context["form"]
    assert form["currency"].value() == "EUR"


def test_it_changes_a_months_cost(marketer, campaign):
    cost = add_cost(campaign, date(2026, 11, 1), date(2026, 11, 30), "100")
    client = client_of(marketer)
    assert client.get(f"/intake/costs/{cost.pk}/edit").context["form"]["month"].value() == "2026-11"
    client.post(f"/intake/costs/{cost.pk}/edit",
                {"month": "2026-11", "amount": "150.25", "currency": "USD"})
    cost.refresh_from_db()
    assert cost.amount == Decimal("150.25")


def test_it_names_the_month_when_the_campaign_has_a_cost_for_it_already(marketer, campaign):
    add_cost(campaign, date(2026, 11, 1), date(2026, 11, 30), "100")
    response = client_of(marketer).post(f"/intake/campaigns/{campaign.pk}/costs/new", {
        "month": "2026-11", "amount": "5", "currency": "USD"})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["month"]
    assert "already has a cost from Nov 1, 2026 to Nov 30, 2026" in response.content.decode()
    assert CampaignCost.objects.count() == 1


def test_it_names_the_start_when_a_period_overlaps_another_cost(marketer, campaign):
    add_cost(campaign, date(2026, 11, 1), date(2026, 11, 30), "100")
    response = client_of(marketer).post(f"/intake/campaigns/{campaign.pk}/costs/new", {
        "period_start": "2026-11-15", "period_end": "2026-12-15", "amount": "5",
        "currency": "USD"})
    assert list(response.context["form"].errors) == ["period_start"]


def test_it_takes_the_same_month_for_another_campaign(marketer, campaign):
    add_cost(campaign, date(2026, 11, 1), date(2026, 11, 30), "100")
    other = make_campaign(campaign.source, "Other")
    client_of(marketer).post(f"/intake/campaigns/{other.pk}/costs/new", {
        "month": "2026-11", "amount": "5", "currency": "USD"})
    assert other.costs.count() == 1


def test_it_names_the_end_when_a_period_ends_before_it_starts(marketer, campaign):
    response = client_of(marketer).post(f"/intake/campaigns/{campaign.pk}/costs/new", {
        "period_start": "2026-11-15", "period_end": "2026-11-01", "amount": "5",
        "currency": "USD"})
    assert response.context["form"].errors == {"period_end": ["the period ends before it starts"]}


@pytest.mark.parametrize(("data", "field"), [
    ({"amount": "5", "currency": "USD"}, "month"),
    ({"period_start": "2026-11-01", "amount": "5", "currency": "USD"}, "period_end"),
    ({"month": "2026-11", "period_start": "2026-11-01", "amount": "5", "currency": "USD"},
     "month"),
    ({"month": "November", "amount": "5", "currency": "USD"}, "month"),
    ({"month": "2026-13", "amount": "5", "currency": "USD"}, "month"),
    ({"month": "2026-11", "amount": "-5", "currency": "USD"}, "amount"),
    ({"month": "2026-11", "amount": "lots", "currency": "USD"}, "amount"),
    ({"month": "2026-11", "amount": "5", "currency": "dollars"}, "currency"),
])
def test_it_names_the_field_of_a_wrong_cost(marketer, campaign, data, field):
    response = client_of(marketer).post(f"/intake/campaigns/{campaign.pk}/costs/new", data)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert not CampaignCost.objects.exists()


def test_it_escapes_names_on_the_campaigns_page(marketer):
    make_campaign(make_source("<b>src</b>"), "<script>x</script>")
    page = client_of(marketer).get("/intake/campaigns/").content.decode()
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
