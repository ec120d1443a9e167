"""Web forms: the public endpoint `/f/<key>` and marketing's pages."""

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.http import HttpRequest
from django.test import Client

from leadgate.intake.forms_public import HONEYPOT_FIELD, MAX_BODY
from leadgate.intake.models import Inquiry, RateWindow, WebForm
from leadgate.leads.models import Lead
from tests.factories import PASSWORD, make_campaign
from tests.webform_helpers import ORIGIN, make_marketer, make_webform, post_form, post_json

pytestmark = pytest.mark.django_db

PERSON = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@analytical.example",
          "company": "Analytical Engines"}


@pytest.fixture
def webform():
    return make_webform()


@pytest.fixture
def client():
    return Client()


def stored() -> tuple[int, int]:
    return Lead.objects.count(), Inquiry.objects.count()


# -- taking submissions ---------------------------------------------------------------


def test_it_creates_a_lead_and_inquiry_from_a_form_encoded_post(client, webform):
    data = {"First name": "Ada", "last_name": "Lovelace", "E-mail": "Ada@Analytical.example",
            "utm_source": "newsletter", "company": "Analytical Engines"}
    response = post_form(client, webform, data)
    assert response.status_code == 200
    assert b"Thank you, we will be in touch shortly." in response.content
    inquiry = Inquiry.objects.get()
    assert inquiry.channel == "form" and inquiry.form == webform
    assert inquiry.campaign == webform.campaign and inquiry.source == webform.source
    assert inquiry.lead.email == "ada@analytical.example"
    assert inquiry.lead.first_name == "Ada"
    assert inquiry.payload["email"] == "Ada@Analytical.example"
    assert inquiry.payload["first_name"] == "Ada"
    assert inquiry.payload["utm_source"] == "newsletter"


def test_it_redirects_a_browser_post_to_the_forms_redirect_url(client):
    webform = make_webform(redirect_url="https://www.example.com/thanks")
    response = post_form(client, webform, PERSON)
    assert response.status_code == 303
    assert response["Location"] == "https://www.example.com/thanks"
    assert Inquiry.objects.count() == 1


def test_it_takes_a_json_post_and_answers_without_ids(client, webform):
    response = post_json(client, webform, {**PERSON, "score_hint": 3, "is_hot": True})
    assert response.status_code == 201
    # No ids: they would tell the public whether an address is already a lead.
    assert response.json() == {"status": "ok", "message": webform.thank_you}
    assert Inquiry.objects.get().payload["score_hint"] == 3


def test_it_takes_a_multipart_post(client, webform):
    response = client.post(f"/f/{webform.key}", {**PERSON, "notes_extra": "x"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 201
    assert Inquiry.objects.get().payload["notes_extra"] == "x"


def test_it_marks_the_inquiry_hot_when_the_form_is_hot(client):
    webform = make_webform(is_hot=True)
    post_json(client, webform, PERSON)
    assert Inquiry.objects.get().is_hot


def test_it_merges_a_second_post_with_the_same_email_into_the_same_lead(client, webform):
    post_json(client, webform, PERSON)
    post_json(client, webform, {"email": "ADA@analytical.example", "message": "call me"})
    lead = Lead.objects.get()
    assert Inquiry.objects.filter(lead=lead).count() == 2


def test_it_answers_a_filled_honeypot_like_a_success_and_stores_nothing(client, webform):
    response = post_json(client, webform, {**PERSON, HONEYPOT_FIELD: "http://spam.example"})
    assert response.status_code == 201
    assert response.json()["status"] == "ok"
    page = post_form(client, webform, {**PERSON, HONEYPOT_FIELD: "spam"})
    assert page.status_code == 200 and b"Thank you" in page.content
    assert stored() == (0, 0)


# -- rate limit ------------------------------------------------------------------------


def test_it_limits_posts_per_address_and_allows_them_again_a_minute_later(
    client, webform, settings
):
    settings.LEADGATE_FORM_RATE_LIMIT = 3
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, 15, tzinfo=UTC), tick=False) as clock:
        for n in range(3):
            assert post_json(client, webform, {"email": f"p{n}@acme.example"}).status_code == 201
        refused = post_json(client, webform, {"email": "p9@acme.example"})
        assert refused.status_code == 429
        assert refused["Retry-After"] == "45"
        assert refused.json()["field"] == "rate"
        assert not Lead.objects.filter(email="p9@acme.example").exists()
        clock.shift(60)
        assert post_json(client, webform, {"email": "p9@acme.example"}).status_code == 201


def test_it_counts_the_rate_per_client_address_in_the_database(client, webform, settings):
    settings.LEADGATE_FORM_RATE_LIMIT = 1
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC), tick=False):
        assert post_json(client, webform, {"email": "a@acme.example"}).status_code == 201
        assert post_json(client, webform, {"email": "b@acme.example"}).status_code == 429
        other = Client(REMOTE_ADDR="203.0.113.9")
        assert post_json(other, webform, {"email": "c@acme.example"}).status_code == 201
    assert sorted(RateWindow.objects.values_list("count", flat=True)) == [1, 2]


def test_it_ignores_x_forwarded_for_unless_told_to_trust_it(client, webform, settings):
    settings.LEADGATE_FORM_RATE_LIMIT = 1
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC), tick=False):
        post_json(client, webform, {"email": "a@acme.example"}, **{"X-Forwarded-For": "1.2.3.4"})
        spoofed = post_json(client, webform, {"email": "b@acme.example"},
                            **{"X-Forwarded-For": "5.6.7.8"})
    assert spoofed.status_code == 429


def test_it_prunes_old_rate_windows(client, webform):
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC), tick=False) as clock:
        post_json(client, webform, {"email": "a@acme.example"})
        clock.shift(3600)
        post_json(client, webform, {"email": "b@acme.example"})
    assert RateWindow.objects.count() == 1


# -- CORS ------------------------------------------------------------------------------


def test_it_refuses_a_post_from_an_origin_not_allowed_and_stores_nothing(client, webform):
    response = post_form(client, webform, PERSON, Origin="https://evil.example")
    assert response.status_code == 403
    assert b"https://evil.example" in response.content
    assert "Access-Control-Allow-Origin" not in response
    assert stored() == (0, 0)


def test_it_reflects_an_allowed_origin_in_the_cors_headers(client, webform):
    response = post_json(client, webform, PERSON, Origin=ORIGIN)
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in response["Vary"]


def test_it_answers_the_preflight_of_an_allowed_origin(client, webform):
    response = client.options(f"/f/{webform.key}", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Content-Type" in response["Access-Control-Allow-Headers"]
    assert int(response["Access-Control-Max-Age"]) > 0


def test_it_answers_the_preflight_of_another_origin_without_cors_headers(client, webform):
    response = client.options(f"/f/{webform.key}", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Methods" not in response


def test_it_gives_the_embed_the_forms_definition(client):
    webform = make_webform(fields=["email", "message"], consent_text="You may call me.")
    response = client.get(f"/f/{webform.key}", headers={"Origin": ORIGIN})
    body = response.json()
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert [f["name"] for f in body["fields"]] == ["email", "message"]
    assert body["action"] == f"http://testserver/f/{webform.key}"
    assert body["consent_text"] == "You may call me."


# -- bad input -------------------------------------------------------------------------


def test_it_refuses_another_content_type_with_415_naming_it(client, webform):
    response = client.generic("POST", f"/f/{webform.key}", "email=a@b.example",
                              content_type="text/plain")
    assert response.status_code == 415
    assert "text/plain" in response.json()["detail"]


def test_it_refuses_a_body_over_64_kb_with_413(client, webform):
    body = json.dumps({"email": "a@acme.example", "message": "x" * MAX_BODY})
    response = post_json(client, webform, body)
    assert response.status_code == 413
    assert response.json()["field"] == "body"
    page = post_form(client, webform, {"email": "a@acme.example", "message": "x" * MAX_BODY})
    assert page.status_code == 413 and b"larger than 64 KB" in page.content
    assert stored() == (0, 0)


def test_it_refuses_malformed_json_naming_the_body(client, webform):
    response = post_json(client, webform, '{"email": "a@acme.example"')
    assert response.status_code == 400
    assert response.json()["field"] == "body"


def test_it_refuses_json_that_is_not_an_object(client, webform):
    response = post_json(client, webform, '["a@acme.example"]')
    assert response.status_code == 400
    assert response.json()["field"] == "body"


def test_it_refuses_a_post_without_email_or_phone_naming_email(client, webform):
    response = post_json(client, webform, {"first_name": "Ada"})
    assert response.status_code == 400
    assert response.json()["field"] == "email"
    page = post_form(client, webform, {"first_name": "Ada"})
    assert page.status_code == 400
    assert b"Email" in page.content and b"required" in page.content
    assert stored() == (0, 0)


def test_it_refuses_a_field_over_its_length_naming_it(client, webform):
    response = post_json(client, webform, {**PERSON, "company": "x" * 201})
    assert response.status_code == 400
    assert response.json()["field"] == "company"


@pytest.mark.parametrize("body", [
    '{"email": "a\\u0000@acme.example", "x\\u0000": "\\ud800"}',
    '{"email": NaN}',
    '{"email": 12345}',
    '{"email": ["a@acme.example"], "phone": {"n": 1}}',
    '{"a":' * 5000 + "1" + "}" * 5000,
    "\xff\xfe not utf-8",
    '{"email": "' + "9" * 5000 + '"}',
])
def test_it_never_answers_hostile_json_with_a_server_error(client, webform, body):
    response = post_json(client, webform, body.encode("latin-1", "replace")
                         if body.startswith("\xff") else body)
    assert response.status_code < 500


def test_it_keeps_a_nul_character_out_of_the_stored_payload(client, webform):
    response = post_json(client, webform, {"email": "a@acme.example", "remark": "a\u0000b"})
    assert response.status_code == 201
    assert Inquiry.objects.get().payload["remark"] == "ab"


# -- consent ---------------------------------------------------------------------------


def test_it_requires_consent_when_the_form_asks_for_it(client):
    webform = make_webform(consent_text="I agree to be contacted.")
    response = post_json(client, webform, PERSON)
    assert response.status_code == 400
    assert response.json()["field"] == "consent"
    assert stored() == (0, 0)


def test_it_records_consent_with_its_text_and_time(client):
    webform = make_webform(consent_text="I agree to be contacted.")
    at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    with time_machine.travel(at, tick=False):
        response = post_form(client, webform, {**PERSON, "consent": "yes"})
    assert response.status_code == 200
    inquiry = Inquiry.objects.get()
    assert inquiry.consent_text == "I agree to be contacted."
    assert inquiry.consent_at == at


# -- unknown forms ---------------------------------------------------------------------


def test_it_answers_404_for_an_inactive_form(client):
    webform = make_webform(active=False)
    assert post_json(client, webform, PERSON).status_code == 404
    assert client.post("/f/no-such-key", PERSON).status_code == 404
    assert stored() == (0, 0)


# -- marketing's pages -----------------------------------------------------------------


def login(client: Client, username: str) -> Client:
    # The log-in throttle (axes) counts attempts by request; a blank one will do.
    assert client.login(request=HttpRequest(), username=username, password=PASSWORD)
    return client


def test_it_lets_marketing_create_a_form_on_the_page(client):
    make_marketer()
    campaign = make_campaign()
    response = login(client, "max").post("/intake/forms/new", {
        "name": "Demo request", "field_names": "email, first_name, company, phone",
        "source": campaign.source_id, "campaign": campaign.pk, "is_hot": "on",
        "thank_you": "Thanks!", "allowed_origins": "https://www.example.com/\nhttp://localhost:8000",
        "consent_text": "", "redirect_url": "", "active": "on",
    })
    webform = WebForm.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/intake/forms/{webform.pk}/"
    assert webform.fields == ["email", "first_name", "company", "phone"]
    assert webform.origins == ["https://www.example.com", "http://localhost:8000"]
    assert webform.is_hot and webform.campaign == campaign


def test_it_explains_bad_fields_and_origins_on_the_form_page(client):
    make_marketer()
    response = login(client, "max").post("/intake/forms/new", {
        "name": "Demo", "field_names": "email, shoe_size", "thank_you": "Thanks!",
        "allowed_origins": "www.example.com/contact", "active": "on",
    })
    assert response.status_code == 400
    assert b"not intake fields: shoe_size" in response.content
    assert b"www.example.com/contact is not an origin" in response.content
    assert not WebForm.objects.exists()


def test_it_lets_marketing_edit_a_form(client, webform):
    make_marketer()
    response = login(client, "max").post(f"/intake/forms/{webform.pk}/edit", {
        "name": "Contact", "field_names": "phone", "thank_you": "Ta", "active": "",
        "allowed_origins": ORIGIN,
    })
    assert response.status_code == 302
    webform.refresh_from_db()
    assert webform.fields == ["phone"] and not webform.active


def test_it_forbids_the_form_pages_to_a_qualifier(client, alice, webform):
    login(client, "alice")
    assert client.get("/intake/forms/").status_code == 403
    assert client.get("/intake/forms/new").status_code == 403
    assert client.post("/intake/forms/new", {"name": "x"}).status_code == 403
    assert client.get(f"/intake/forms/{webform.pk}/").status_code == 403


def test_it_lists_forms_for_a_manager(client, mia, webform):
    response = login(client, "mia").get("/intake/forms/")
    assert response.status_code == 200
    assert webform.key.encode() in response.content


def test_it_shows_the_snippet_with_the_key_and_escapes_the_form_name(client, mia):
    webform = make_webform(name="<script>alert(1)</script>", consent_text="I <b>agree</b>")
    response = login(client, "mia").get(f"/intake/forms/{webform.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert webform.key in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    snippet = response.context["snippet"]["html"]
    assert f'action="http://testserver/f/{webform.key}"' in snippet
    assert f'name="{HONEYPOT_FIELD}"' in snippet
    assert "I &lt;b&gt;agree&lt;/b&gt;" in snippet
    assert 'data-form="' + webform.key + '"' in response.context["snippet"]["script"]
    assert "http://testserver/static/leadgate/embed.js" in response.context["snippet"]["script"]


def test_it_counts_the_proxys_client_address_when_told_to_trust_it(webform, settings):
    settings.LEADGATE_FORM_RATE_LIMIT = 1
    settings.LEADGATE_TRUST_X_FORWARDED_FOR = True
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC), tick=False):
        first = post_json(proxy, webform, {"email": "a@acme.example"},
                          **{"X-Forwarded-For": "6.6.6.6, 198.51.100.1"})
        second = post_json(proxy, webform, {"email": "b@acme.example"},
                           **{"X-Forwarded-For": "198.51.100.2"})
    assert (first.status_code, second.status_code) == (201, 201)


def test_it_shows_marketing_the_new_form_page_and_the_forms_link(client):
    make_marketer()
    response = login(client, "max").get("/intake/forms/new")
    assert response.status_code == 200
    assert b'href="/intake/forms/"' in response.content
    assert b"first_name, last_name, email" in response.content  # defaults, as text
