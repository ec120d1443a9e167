import pytest
from django.conf import settings as django_settings

from tests.factories import make_team, make_user

# Fixtures shared by several test modules: `smtp` (a real local SMTP server);
# `down`, `server`, `refusing` (mail servers down or refusing, for the outbox).
pytest_plugins = ["tests.smtp", "tests.outbox"]


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Test users only: a fast hasher (the real one takes ~0.5 s per user)."""
    django_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def team(db):
    return make_team("Qualifiers EMEA")


@pytest.fixture
def alice(team):
    """A qualifier who owns the leads under test."""
    return make_user("alice", "qualifier", team)


@pytest.fixture
def bob(team):
    """A qualifier on alice's team."""
    return make_user("bob", "qualifier", team)


@pytest.fixture
def charlie(db):
    """A qualifier on another team: an outsider to alice's leads."""
    return make_user("charlie", "qualifier", make_team("Qualifiers APAC"))


@pytest.fixture
def sam(db):
    """A sales rep."""
    return make_user("sam", "sales")


@pytest.fixture
def mia(db):
    """A manager."""
    return make_user("mia", "manager")
