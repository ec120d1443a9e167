"""Settings are declared once, in leadgate/settings.py, from the environment:
the README's settings table names every variable read there and every
LEADGATE_* setting, and an on/off variable spelled any other way refuses to
start, naming the variable."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

import leadgate.settings as declared

ROOT = Path(__file__).resolve().parent.parent


def variables_read() -> set[str]:
    """The environment variables settings.py reads: the first argument of each
    call of its env_* helpers (and of os.environ.get), when a literal name."""
    tree = ast.parse((ROOT / "leadgate" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            continue
        func = node.func
        if (isinstance(func, ast.Name) and func.id.startswith("env_")
                or ast.unparse(func) == "os.environ.get"):
            names.add(node.args[0].value)
    return names


def readme_table(*, first_column: bool = True) -> set[str]:
    """The names in the first column of the README's settings table (or in
    any column: a default may name a variable, e.g. the one holding a key)."""
    lines = (ROOT / "README.md").read_text().splitlines()
    start = lines.index("| variable | default | meaning |")
    names: set[str] = set()
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = line.split(" | ", 1)[0] if first_column else line
        names |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", cells))
    return names


def test_it_names_every_environment_variable_of_the_settings_in_the_readme():
    read = variables_read()
    assert {"LEADGATE_DEBUG", "LEADGATE_QUEUE_POLL_SECONDS", "EMAIL_HOST"} <= read
    assert read - readme_table() == set()


def test_it_names_every_leadgate_setting_in_the_readme():
    table = readme_table()
    settings = [name for name in vars(declared) if name.startswith("LEADGATE_")]
    assert "LEADGATE_MIN_ATTEMPT_CHANNELS" in settings
    # A setting made of several variables (LEADGATE_ENRICH_HTTP) is named by them.
    missing = [name for name in settings
               if name not in table and not any(row.startswith(f"{name}_") for row in table)]
    assert missing == []


def test_it_refuses_to_start_with_an_on_off_variable_spelled_otherwise(tmp_path):
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "SECRET_KEY"}}
    env.update(LEADGATE_DATA_DIR=str(tmp_path), LEADGATE_AUTO_ACK="ture")
    result = subprocess.run([sys.executable, "-c", "import leadgate.settings"], env=env,
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "ImproperlyConfigured: LEADGATE_AUTO_ACK='ture' is not on or off" in result.stderr


@pytest.mark.parametrize(("value", "expected"), [
    ("1", True), ("TRUE", True), ("Yes", True), (" on ", True),
    ("0", False), ("false", False), ("NO", False), ("Off", False),
])
def test_it_reads_on_and_off_in_any_case(monkeypatch, value, expected):
    monkeypatch.setenv("LEADGATE_SOME_SWITCH", value)
    assert declared.env_bool("LEADGATE_SOME_SWITCH", not expected) is expected


def test_it_takes_the_default_for_an_empty_on_off_variable(monkeypatch):
    monkeypatch.setenv("LEADGATE_SOME_SWITCH", "")
    assert declared.env_bool("LEADGATE_SOME_SWITCH", True) is True


def test_it_names_the_variable_of_a_number_that_is_not_one(monkeypatch):
    monkeypatch.setenv("LEADGATE_CLAIM_MINUTES", "ten")
    with pytest.raises(ImproperlyConfigured, match="LEADGATE_CLAIM_MINUTES='ten'"):
        declared.env_int("LEADGATE_CLAIM_MINUTES", 10)
