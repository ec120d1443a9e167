"""Editing an account from its page: managers and admins change everything,
the account's owner its firmographics; errors name the field."""

from decimal import Decimal

import pytest
from django.test import Client

from leadgate.leads.models import Account
from tests.factories import make_account, make_lead, make_user

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def account(alice):
    account = make_account("Analytical Engines", "analytical.example")
    make_lead(owner=alice, account=account)
    return account


def fields(**changes):
    data = {"name": "Analytical Engines", "domain": "analytical.example", "website": "",
            "industry": "", "employees": "", "annual_revenue": "", "country": "", "city": "",
            "owner": ""}
    data.update(changes)
    return data


def test_it_saves_every_field_a_manager_changes(mia, alice, account):
    response = client_of(mia).post(f"/accounts/{account.pk}/edit", fields(
        name=" Analytical  Engines Ltd ", domain="https://www.engines.example/about",
        website="www.engines.example", industry="Machinery", employees="120",
        annual_revenue="4500000", country="Germany", city="Berlin", owner=alice.pk))
    assert response.status_code == 302 and response["Location"] == f"/accounts/{account.pk}/"
    account.refresh_from_db()
    assert (account.name, account.name_key, account.domain, account.website) == (
        "Analytical Engines Ltd", "analytical engines", "engines.example",
        "https://www.engines.example")
    assert (account.industry, account.employees, account.annual_revenue) == (
        "Machinery", 120, Decimal("4500000"))
    assert (account.country, account.city, account.owner) == ("DE", "Berlin", alice)


def test_it_names_the_domain_when_another_account_has_it(mia, account):
    other = make_account("Babbage & Co", "babbage.example")
    response = client_of(mia).post(f"/accounts/{account.pk}/edit",
                                   fields(domain="BABBAGE.example"))
    assert response.status_code == 400
    assert response.context["form"].errors == {"domain": [
        f"another account has the domain babbage.example: Babbage & Co (#{other.pk})"]}
    assert 'id="id_domain-error"' in response.content.decode()
    account.refresh_from_db()
    assert account.domain == "analytical.example"


def test_it_lets_two_accounts_have_no_domain(mia, account):
    Account.objects.create(name="No domain")
    client_of(mia).post(f"/accounts/{account.pk}/edit", fields(domain=""))
    assert Account.objects.filter(domain="").count() == 2


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": "  "}, "name"),
    ({"domain": "not a domain"}, "domain"),
    ({"website": "ftp://files.example"}, "website"),
    ({"country": "Atlantis"}, "country"),
    ({"employees": "-3"}, "employees"),
    ({"annual_revenue": "-1"}, "annual_revenue"),
    ({"annual_revenue": "a lot"}, "annual_revenue"),
])
def test_it_names_the_field_of_a_wrong_value(mia, account, changes, field):
    response = client_of(mia).post(f"/accounts/{account.pk}/edit", fields(**changes))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]


def test_it_lets_the_owner_correct_the_firmographics_but_not_give_the_account_away(
        alice, bob, account):
    account.owner = alice
    account.save()
    client = client_of(alice)
    assert "owner" not in client.get(f"/accounts/{account.pk}/edit").context["form"].fields
    client.post(f"/accounts/{account.pk}/edit", fields(employees="75", owner=bob.pk))
    account.refresh_from_db()
    assert account.employees == 75 and account.owner == alice


def test_it_refuses_a_qualifier_who_does_not_own_the_account(bob, account):
    # bob sees the account (a lead of his team's) but does not own it.
    response = client_of(bob).post(f"/accounts/{account.pk}/edit", fields(name="Mine"))
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.name == "Analytical Engines"


def test_it_hides_an_account_the_user_may_not_see(charlie, account):
    assert client_of(charlie).get(f"/accounts/{account.pk}/edit").status_code == 404


def test_it_refuses_marketing(account):
    marketer = make_user("mark", "marketing")
    assert client_of(marketer).get(f"/accounts/{account.pk}/edit").status_code == 403


def test_it_shows_the_edit_link_to_those_who_may_edit(mia, bob, account):
    assert "account-edit" in client_of(mia).get(f"/accounts/{account.pk}/").content.decode()
    assert "account-edit" not in client_of(bob).get(f"/accounts/{account.pk}/").content.decode()


def test_it_offers_qualifiers_and_sales_reps_as_owners_by_name(mia, alice, sam, account):
    alice.first_name, alice.last_name = "Alice", "Archer"
    alice.save()
    form = client_of(mia).get(f"/accounts/{account.pk}/edit").context["form"]
    owners = [label for value, label in form.fields["owner"].choices]
    assert owners[0] == "Nobody"
    assert "Alice Archer (Qualifiers EMEA)" in owners and "sam" in owners
    assert "mark" not in owners
