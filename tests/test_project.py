"""Project-wide guarantees: migrations match the models, settings read the
environment, the roles exist."""

import subprocess
import sys
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from leadgate.leads.lifecycle import Role


def test_it_has_a_migration_for_every_model_change(db):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_it_creates_a_group_for_every_role(db):
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


def run_settings(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    code = f"import leadgate.settings as s; print({expression})"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    import os

    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    env["LEADGATE_DATA_DIR"] = str(tmp_path)
    env.pop("LEADGATE_SQLITE_PATH", None)
    return env


def test_it_uses_sqlite_in_the_data_directory_by_default(clean_env, tmp_path):
    result = run_settings(clean_env, "s.DATABASES['default']['NAME']")
    assert result.stdout.strip() == str(tmp_path / "leadgate.sqlite3")


def test_it_uses_postgres_when_database_url_is_set(clean_env):
    clean_env["DATABASE_URL"] = "postgres://u:p@db.internal:5433/leads"
    result = run_settings(
        clean_env, "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['PORT']"
    )
    assert result.stdout.strip() == "django.db.backends.postgresql 5433"


def test_it_keeps_a_generated_development_secret_key_across_restarts(clean_env, tmp_path):
    first = run_settings(clean_env, "s.SECRET_KEY").stdout.strip()
    second = run_settings(clean_env, "s.SECRET_KEY").stdout.strip()
    assert len(first) >= 50 and first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_it_refuses_to_start_in_production_without_a_secret_key(clean_env):
    clean_env["LEADGATE_PRODUCTION"] = "1"
    result = run_settings(clean_env, "s.SECRET_KEY")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_opens_sqlite_in_wal_mode_with_a_busy_timeout(clean_env):
    clean_env["DJANGO_SETTINGS_MODULE"] = "leadgate.settings"
    code = (
        "import django; django.setup(); from django.db import connection; "
        "c = connection.cursor(); "
        "print(c.execute('PRAGMA journal_mode').fetchone()[0], "
        "c.execute('PRAGMA busy_timeout').fetchone()[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=clean_env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["wal", "20000"], result.stderr


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_role_groups_after_a_flush():
    call_command("flush", "--no-input", verbosity=0)
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


def test_it_accepts_hyphens_in_command_names(monkeypatch, capsys):
    from leadgate import cli

    monkeypatch.setattr("sys.argv", ["leadgate", "import-outcomes", "--help"])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 0
    assert "import_outcomes" in capsys.readouterr().out
