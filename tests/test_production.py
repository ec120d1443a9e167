"""Production defaults (LEADGATE_PRODUCTION=1): secure cookies, HSTS, HTTPS,
no debug pages, and `leadgate check --deploy` with nothing to report; and a
Content-Security-Policy on every page, in production or not."""

import os
import secrets
import subprocess
import sys

import pytest

from tests.test_serve import ROOT

pytestmark = pytest.mark.django_db


def production(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEADGATE_")}
    environment.pop("DATABASE_URL", None)
    environment.update(PYTHONPATH=str(ROOT), LEADGATE_PRODUCTION="1",
                       SECRET_KEY=secrets.token_urlsafe(60), ALLOWED_HOSTS="leads.example.com",
                       **env)
    return subprocess.run([sys.executable, "-m", "leadgate", *args], env=environment,
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def setting(name: str, **env: str) -> str:
    result = production("shell", "-c", f"from django.conf import settings; "
                        f"print(settings.{name})", **env)
    return result.stdout.strip().splitlines()[-1]  # after shell's own notes


def test_it_reports_nothing_on_check_deploy_in_production(tmp_path):
    result = production("check", "--deploy", "--fail-level", "WARNING",
                        LEADGATE_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_debug_in_production(tmp_path):
    result = production("check", LEADGATE_DEBUG="1", LEADGATE_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "LEADGATE_DEBUG cannot be on when LEADGATE_PRODUCTION is on" in result.stderr


def test_it_sends_cookies_only_over_https_in_production(tmp_path):
    assert setting("SESSION_COOKIE_SECURE", LEADGATE_DATA_DIR=str(tmp_path)) == "True"


def test_it_asks_browsers_for_https_for_a_year_in_production(tmp_path):
    assert setting("SECURE_HSTS_SECONDS", LEADGATE_DATA_DIR=str(tmp_path)) == "31536000"


def test_it_sends_a_content_security_policy_with_every_page(client):
    policy = client.get("/login/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
