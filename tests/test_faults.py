"""A database connection lost in the middle of intake: the request answers
503 with a retry hint, nothing of the lead is left half-written, and the next
request is served on a new connection. (A killed worker, a mail server and a
webhook receiver that are down: test_soak.py, test_mail.py, test_webhooks.py.)"""

from __future__ import annotations

import pytest
from django.db import connection

from leadgate.intake import pipeline
from leadgate.intake.models import Inquiry
from leadgate.leads.models import Lead
from tests.api_helpers import api_post, make_key

pytestmark = pytest.mark.django_db(transaction=True)

ADA = {"email": "ada@analytical.example", "first_name": "Ada", "company": "Analytical Engines"}


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")


def terminate_the_serving_connection() -> None:
    """What an administrator's pg_terminate_backend, a failover or a restart
    does to the connection serving the request: ended from another session."""
    import psycopg

    pid = connection.connection.info.backend_pid
    settings = connection.settings_dict
    with psycopg.connect(dbname=settings["NAME"], user=settings["USER"],
                         host=settings["HOST"] or None, port=settings["PORT"] or None,
                         password=settings["PASSWORD"] or None, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_it_answers_503_with_retry_after_and_stores_nothing_when_the_connection_dies(
        postgres, monkeypatch):
    key = make_key(None, scopes=("intake",))
    real = pipeline.match_account

    def cut_off(*args, **kwargs):  # inside the lead's transaction, after its first writes
        terminate_the_serving_connection()
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "match_account", cut_off)
    response = api_post(key, "/leads", ADA)

    assert response.status_code == 503, response.content
    assert response["Retry-After"]
    assert response.json()["detail"]
    assert not Lead.objects.filter(email=ADA["email"]).exists()
    assert not Inquiry.objects.exists()


def test_it_serves_the_next_request_after_the_connection_died(postgres, monkeypatch):
    key = make_key(None, scopes=("intake",))
    real = pipeline.match_account
    calls = []

    def cut_off_once(*args, **kwargs):
        if not calls:
            calls.append(1)
            terminate_the_serving_connection()
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "match_account", cut_off_once)
    assert api_post(key, "/leads", ADA).status_code == 503

    again = api_post(key, "/leads", ADA)

    assert again.status_code == 201, again.content
    assert Lead.objects.filter(email=ADA["email"]).count() == 1
