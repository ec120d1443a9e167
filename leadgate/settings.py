"""Leadgate settings: one module, driven by the environment.

SQLite (WAL, busy timeout) under LEADGATE_DATA_DIR by default; PostgreSQL when
DATABASE_URL is set. See the README for every variable.
"""

import os
import secrets
import tempfile
from datetime import time, timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


# Every setting below is read from the environment through these helpers, here
# and only here: code reads `settings.X` and never repeats a default. The
# README's settings table names each variable they read (a test checks it).
TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})


def env_str(name: str, default: str = "") -> str:
    """As set; set but empty stays empty (a secret or a team name left blank)."""
    return os.environ.get(name, default)


def _env_value(name: str) -> str | None:
    """The variable's value, stripped; None when unset or empty (the default)."""
    value = env_str(name).strip()
    return value or None


def env_bool(name: str, default: bool = False) -> bool:
    """On or off; any spelling but these refuses to start, naming the variable
    (a typo such as "ture" must not quietly mean off)."""
    value = _env_value(name)
    if value is None:
        return default
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not on or off: use one of "
        f"{', '.join(sorted(TRUE | FALSE))} (any case), or leave it empty for the default.")


def env_int(name: str, default: int) -> int:
    value = _env_value(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


def env_float(name: str, default: float) -> float:
    value = _env_value(name)
    if value is None:
        return float(default)
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_ints(name: str, default: list[int]) -> list[int]:
    """Comma-separated whole numbers; none (empty) is the default."""
    items = env_list(name)
    try:
        return [int(item) for item in items] if items else default
    except ValueError:
        raise ImproperlyConfigured(f"{name}={env_str(name)!r} is not whole numbers "
                                   "separated by commas.") from None


def env_hours(name: str, default: str) -> str:
    """Local hours as "08:00-20:00" (checked here: the queue parses them on
    every request, and a typo would break the desk rather than the start)."""
    value = _env_value(name) or default
    start, _, end = value.partition("-")
    try:
        time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not hours like 08:00-20:00.") from None
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _env_value(name) or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of {', '.join(choices)}.")
    return value


DEBUG = env_bool("LEADGATE_DEBUG", False)
# Production: secure cookies, HSTS and HTTPS redirects by default, and no debug
# pages (they show settings and lead data to anyone who causes an error).
PRODUCTION = env_bool("LEADGATE_PRODUCTION", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("LEADGATE_DEBUG cannot be on when LEADGATE_PRODUCTION is on.")
DATA_DIR = Path(env_str("LEADGATE_DATA_DIR") or Path.cwd() / "data").resolve()


def _secret_key() -> str:
    """SECRET_KEY from the environment; in development a key generated once and
    kept in the data directory, so sessions survive a restart."""
    key = env_str("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when LEADGATE_PRODUCTION is on.")
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Log-in throttling: failed log-ins and lockouts, listed in the admin.
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    # Its templates and static files: /api/docs from our own server (Swagger UI
    # is otherwise loaded from a CDN, blank on a machine without internet).
    "ninja",
    # The lead's way, in order.
    "leadgate.leads",
    # The outbox every stage sends email through (it needs only the core).
    "leadgate.mail",
    "leadgate.intake",
    "leadgate.enrich",
    "leadgate.scoring",
    "leadgate.routing",
    "leadgate.workspace",
    "leadgate.handoff",
    "leadgate.nurture",
    "leadgate.reports",
    "leadgate.api",
    # Above the stages: the steps after intake, and `leadgate serve`.
    "leadgate.orchestration",
    # Last: the demo seeds every app above, so it may import them all and none imports it.
    "leadgate.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Times drawn in the signed-in user's zone, in pages and in fragments alike.
    "leadgate.leads.viewer_zone.ViewerTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # A database down or busy beyond its timeout: 503 + Retry-After; a body that
    # did not arrive: 400. Not 500s.
    "leadgate.leads.middleware.FailureAnswersMiddleware",
    # Last, as axes asks: it turns a log-in refused for a lockout into our 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "leadgate.urls"
WSGI_APPLICATION = "leadgate.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _databases() -> dict:
    url = env_str("DATABASE_URL")
    if url:
        max_age = env_int("DATABASE_CONN_MAX_AGE", 60)
        database = dj_database_url.parse(url, conn_max_age=max_age, conn_health_checks=True)
        # Behind PgBouncer in transaction mode a server-side cursor (what
        # QuerySet.iterator() uses) may land on another server connection.
        database["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
            "DATABASE_DISABLE_SERVER_SIDE_CURSORS", False)
        return {"default": database}
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "default": {
            "ENGINE": "leadgate.sqlite",
            "NAME": env_str("LEADGATE_SQLITE_PATH", str(DATA_DIR / "leadgate.sqlite3")),
            # Each thread keeps its connection: opening one (and its pragmas) per
            # request was a fifth of an API intake request's time.
            "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 600),
            "OPTIONS": {
                # WAL lets the desk read while the worker writes. Every transaction
                # starts IMMEDIATE (a writer from its first statement: a read that
                # later wants to write is refused at once in WAL mode), threads of
                # a process queue for the writer (leadgate/sqlite/base.py), and
                # other processes wait up to the busy timeout.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
            },
            # The suite's database is a file, as a user's is: with an in-memory
            # one Django shares one connection between the test and the live
            # server's threads, and a page's requests and its live-queue stream
            # querying it at once deadlocked a browser test (CI waited an hour).
            "TEST": {"NAME": env_str("LEADGATE_TEST_SQLITE_PATH") or str(
                Path(tempfile.gettempdir()) / f"leadgate-test-{os.getpid()}.sqlite3")},
        }
    }


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "leads.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("LEADGATE_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
# The project-wide assets (htmx, our CSS) live beside the templates.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app folders, so `make run` needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Log-in throttling (django-axes). Its backend goes first: it refuses a locked-out
# log-in before the password is checked; ModelBackend then checks the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failures count per username *and* client address: a guesser is stopped, but
# cannot lock a colleague out of their own desk from another address.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Failed log-ins (within the cool-off of each other) that lock the pair out.
AXES_FAILURE_LIMIT = env_int("LEADGATE_LOGIN_FAILURE_LIMIT", 5)
# Minutes a lockout lasts after its last attempt; 0: until an admin unlocks it.
_COOLOFF_MINUTES = env_float("LEADGATE_LOGIN_COOLOFF_MINUTES", 15)
AXES_COOLOFF_TIME = timedelta(minutes=_COOLOFF_MINUTES) if _COOLOFF_MINUTES > 0 else None
# An attempt while locked out (even with the right password) starts the
# cool-off again, so guessing on through a lockout never gets anywhere.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
# A successful log-in forgets that pair's earlier failures.
AXES_RESET_ON_SUCCESS = True
# The client address by the rule web form limits use: REMOTE_ADDR, or the entry
# our proxy appended to X-Forwarded-For only when LEADGATE_TRUST_X_FORWARDED_FOR
# says one is in front (so a client cannot pick its address by sending the header).
AXES_CLIENT_IP_CALLABLE = "leadgate.leads.lockout.client_ip"
# Our 429 page (extends base.html) saying why and for how long, not axes' text.
AXES_LOCKOUT_CALLABLE = "leadgate.leads.lockout.locked_out"
# Keep failures only: a history of every successful log-in with its address
# would grow for ever, and nothing here reads it.
AXES_DISABLE_ACCESS_LOG = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("LEADGATE_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# HTTPS only, in production: browsers remember it (HSTS) for this many seconds.
SECURE_HSTS_SECONDS = env_int("LEADGATE_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("LEADGATE_HSTS_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("LEADGATE_HSTS_PRELOAD", PRODUCTION)
SECURE_SSL_REDIRECT = env_bool("LEADGATE_SSL_REDIRECT", PRODUCTION)
# A load balancer's health checks come over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Behind a TLS-terminating proxy, the request was HTTPS when it says so.
if env_bool("LEADGATE_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy (django-csp): scripts and styles only from our own
# files (vendored, no CDN; no inline code), no plugins, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Where background tasks wait: in the database (the default: nothing more to
# run or to back up), or in Redis through RQ ("rq", with REDIS_URL; `pip
# install leadgate[scale]`) when several hosts run workers. Either way what
# must happen later (a nurture step, an SLA due time, a retry) is a row with
# a due time that a periodic sweep queues, never a countdown in the queue;
# docs/deploy.md lists the few jobs a lost Redis queue does not bring back.
TASK_BACKENDS = {"database": "django_tasks_db.DatabaseBackend",
                 "rq": "leadgate.leads.rq_backend.RQBackend"}
_task_backend = env_str("LEADGATE_TASK_BACKEND", "database")
TASK_BACKEND = next((name for name, path in TASK_BACKENDS.items()
                     if _task_backend in (name, path)), None)
if TASK_BACKEND is None:
    raise ImproperlyConfigured(
        f"LEADGATE_TASK_BACKEND: {_task_backend!r} is not one of {', '.join(TASK_BACKENDS)}")
REDIS_URL = env_str("REDIS_URL", "")
if TASK_BACKEND == "rq" and not REDIS_URL:
    raise ImproperlyConfigured("LEADGATE_TASK_BACKEND=rq needs REDIS_URL "
                               "(e.g. redis://127.0.0.1:6379/0)")
TASK_QUEUES = ["default", "urgent", "imports"]
TASKS = {
    "default": {
        "BACKEND": TASK_BACKENDS[TASK_BACKEND],
        # "urgent": work with a deadline (SLA breaches, the acceptance SLA,
        # webhook and email delivery), which a dedicated worker takes first so
        # a backlog of "default" work (after-intake steps) never delays it.
        # "imports": file imports and their previews started in the web app,
        # which `leadgate serve` gives a worker of their own (one at a time).
        "QUEUES": TASK_QUEUES,
    }
}
if TASK_BACKEND == "rq":
    INSTALLED_APPS.append("django_rq")
    # A job may run for an hour (a big import); a finished job's result is
    # kept a day in Redis, for the pages that show a task's state.
    RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600, "DEFAULT_RESULT_TTL": 86400}
                 for name in TASK_QUEUES}
    # Sent when asked: leads.queue.enqueue_with_transaction already waits for the commit.
    RQ = {"COMMIT_MODE": "auto"}

# Email goes through the outbox (leadgate.mail). Without EMAIL_HOST it is
# written as files into DATA_DIR/mail, so a laptop with no mail server runs
# quietly; EMAIL_HOST sends it through SMTP (DKIM-signed when the
# LEADGATE_DKIM_* settings below are all set); an explicit EMAIL_BACKEND wins.
_EMAIL_HOST = env_str("EMAIL_HOST", "").strip()
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or (
    ("leadgate.mail.backends.DkimSmtpBackend" if env_str("LEADGATE_DKIM_DOMAIN", "")
     and env_str("LEADGATE_DKIM_SELECTOR", "") and env_str("LEADGATE_DKIM_KEY_FILE", "")
     else "django.core.mail.backends.smtp.EmailBackend")
    if _EMAIL_HOST else "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH") or str(DATA_DIR / "mail")
EMAIL_HOST = _EMAIL_HOST or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
# Seconds per step of an SMTP conversation (Django's default waits for ever;
# the outbox's lease on an email being sent is five minutes).
EMAIL_TIMEOUT = env_float("EMAIL_TIMEOUT", 20)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "leadgate@localhost")
# How long a sender holds an email it is sending: longer than one SMTP
# conversation can last; a sender killed mid-send leaves it due again after.
LEADGATE_EMAIL_LEASE_SECONDS = env_int("LEADGATE_EMAIL_LEASE_SECONDS", 300)

# The terminal gets one line per problem (WARNING and up; "INFO" adds a line
# per task, request and scheduled job; "DEBUG" adds tracebacks); the log file
# in the data directory keeps every warning and error with its traceback.
LEADGATE_LOG_LEVEL = env_str("LEADGATE_LOG_LEVEL", "WARNING").upper()
_CHATTY = LEADGATE_LOG_LEVEL in ("INFO", "DEBUG")
# Several containers sharing one data volume would rotate one file at once:
# there each sets its own LEADGATE_LOG_FILE, or "" for the terminal only
# (which the container runtime keeps).
LOG_FILE = env_str("LEADGATE_LOG_FILE", str(DATA_DIR / "leadgate.log"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {
            "()": "leadgate.lib.logs.OneLineFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
            "where": str(LOG_FILE),
        },
        "full": {"format": "%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "full" if LEADGATE_LOG_LEVEL == "DEBUG" else "line",
        },
        "file": {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": str(LOG_FILE), "maxBytes": 10 * 1024 * 1024, "backupCount": 3,
            "level": "WARNING", "formatter": "full", "delay": True,
        },
    },
    "root": {"handlers": ["console", "file"] if LOG_FILE else ["console"],
             "level": LEADGATE_LOG_LEVEL},
    # django-tasks logs every task start and end at INFO and each failure with
    # its traceback (the worker logs one line per failure itself), and a
    # warning per worker when it is told to stop; Django a warning per 404 and
    # 4xx answer, which are the client's business.
    "loggers": {
        "django_tasks": {"level": "INFO" if _CHATTY else "CRITICAL"},
        "django_tasks_db": {"level": LEADGATE_LOG_LEVEL if _CHATTY else "ERROR"},
        "django.request": {"level": LEADGATE_LOG_LEVEL if _CHATTY else "ERROR"},
        # axes logs each failed log-in as a warning: the admin's list of access
        # attempts is where they are read, not a line each in the terminal.
        "axes": {"level": LEADGATE_LOG_LEVEL if _CHATTY else "ERROR"},
    },
}
if not LOG_FILE:
    del LOGGING["handlers"]["file"]  # type: ignore[attr-defined]
# `leadgate worker`: how often a worker says it is alive; after six silent
# intervals its running tasks are taken as lost (and their work retried).
LEADGATE_WORKER_HEARTBEAT_SECONDS = env_float("LEADGATE_WORKER_HEARTBEAT_SECONDS", 5)
# Finished tasks' results kept this long (the admin's Task results), then pruned.
LEADGATE_TASK_RESULTS_KEEP_DAYS = env_int("LEADGATE_TASK_RESULTS_KEEP_DAYS", 7)
# A lead whose steps after intake have not finished this long after it arrived,
# with no copy of its task waiting or running, is queued again.
LEADGATE_INTAKE_RETRY_AFTER_SECONDS = env_float("LEADGATE_INTAKE_RETRY_AFTER_SECONDS", 120)
# `leadgate serve`: task worker processes besides the one kept for urgent work
# (0: one per CPU).
LEADGATE_WORKER_PROCESSES = env_int("LEADGATE_WORKER_PROCESSES", 0)

NINJA_PAGINATION_PER_PAGE = 50

# Intake: phone numbers without a country code are read in the lead's country
# (or its email's or website's country domain), else in this region; fuzzy
# matches of people (name + company) and companies at or above these scores
# (0-100) are proposed as duplicates / taken as the same account.
LEADGATE_DEFAULT_PHONE_REGION = env_str("LEADGATE_DEFAULT_PHONE_REGION", "US")
LEADGATE_DUPLICATE_THRESHOLD = env_float("LEADGATE_DUPLICATE_THRESHOLD", 88)
LEADGATE_ACCOUNT_MATCH_THRESHOLD = env_float("LEADGATE_ACCOUNT_MATCH_THRESHOLD", 92)
# Reports: the currency that outcome amounts, campaign costs and targets are in
# (amounts are added up as they are: one currency per installation).
LEADGATE_CURRENCY = env_str("LEADGATE_CURRENCY", "USD").upper()
# Imports (CLI and web): a file is refused, or its reading stopped with an error
# naming the limit, beyond these. Rows and columns count data, not the sheet's
# declared dimensions; a longer cell makes its row an error. A workbook (XLSX) is
# refused before it is opened when its parts unpack to more than the first size,
# or its shared strings (held in memory while it is read) to more than the second.
LEADGATE_IMPORT_MAX_ROWS = env_int("LEADGATE_IMPORT_MAX_ROWS", 1000000)
LEADGATE_IMPORT_MAX_COLUMNS = env_int("LEADGATE_IMPORT_MAX_COLUMNS", 1000)
LEADGATE_IMPORT_MAX_CELL_CHARS = env_int("LEADGATE_IMPORT_MAX_CELL_CHARS", 32767)
LEADGATE_IMPORT_MAX_XLSX_UNPACKED_MB = env_int("LEADGATE_IMPORT_MAX_XLSX_UNPACKED_MB", 1024)
LEADGATE_IMPORT_MAX_XLSX_STRINGS_MB = env_int("LEADGATE_IMPORT_MAX_XLSX_STRINGS_MB", 100)
# Public web forms: submissions allowed per client address per minute.
LEADGATE_FORM_RATE_LIMIT = env_int("LEADGATE_FORM_RATE_LIMIT", 10)
# Behind a proxy that sets X-Forwarded-For, the client's address is its last entry.
LEADGATE_TRUST_X_FORWARDED_FOR = env_bool("LEADGATE_TRUST_X_FORWARDED_FOR", False)
# Outbound webhooks: private/loopback targets refused unless allowed; switched off
# after this many failed attempts in a row.
LEADGATE_WEBHOOK_ALLOW_PRIVATE = env_bool("LEADGATE_WEBHOOK_ALLOW_PRIVATE", False)
LEADGATE_WEBHOOK_MAX_FAILURES = env_int("LEADGATE_WEBHOOK_MAX_FAILURES", 20)

# Enrichment over HTTP (a commercial API): off unless a URL is set. The URL is a
# template ("https://api.example.com/v1/company?domain={domain}"); the API key is
# read from the environment variable named here and sent in the named header;
# the field map is JSON {"company.industry": "industry", ...} (response path -> fact).
LEADGATE_ENRICH_HTTP = {
    "URL": env_str("LEADGATE_ENRICH_HTTP_URL", ""),
    # The key's variable is named by another (so a secret store's name can be
    # used): read directly, it is not one of this module's fixed variables.
    "API_KEY": os.environ.get(
        env_str("LEADGATE_ENRICH_HTTP_KEY_ENV", "LEADGATE_ENRICH_HTTP_KEY"), ""
    ),
    "KEY_HEADER": env_str("LEADGATE_ENRICH_HTTP_KEY_HEADER", "Authorization"),
    "TIMEOUT": env_float("LEADGATE_ENRICH_HTTP_TIMEOUT", 5),
    "RATE_PER_MINUTE": env_int("LEADGATE_ENRICH_HTTP_RATE", 60),
    "CACHE_SECONDS": env_int("LEADGATE_ENRICH_HTTP_CACHE_SECONDS", 30 * 86400),
    "FIELD_MAP": env_str("LEADGATE_ENRICH_HTTP_FIELDS", "{}"),
}

# The predictive model that scores leads: the active version of this name,
# trained from the database (`leadgate model train --name leads`).
LEADGATE_LEAD_MODEL = env_str("LEADGATE_LEAD_MODEL", "leads")
# Processes for whole-database rescoring (0: one per core).
LEADGATE_SCORING_WORKERS = env_int("LEADGATE_SCORING_WORKERS", 0)

# The live queue: leads are called within these local hours (outside them they
# are held back), and opening a lead claims it for this many minutes.
LEADGATE_CALLING_HOURS = env_hours("LEADGATE_CALLING_HOURS", "08:00-20:00")
LEADGATE_CLAIM_MINUTES = env_int("LEADGATE_CLAIM_MINUTES", 10)
# The live queue's event stream (/desk/events): how long one connection lasts
# and how often it looks for changes; a stream holds a web thread while open,
# so a process keeps at most STREAMS_MAX (below gunicorn's threads) and a user
# STREAMS_PER_USER; other pages poll until one is free.
LEADGATE_QUEUE_STREAM_SECONDS = env_float("LEADGATE_QUEUE_STREAM_SECONDS", 25)
LEADGATE_QUEUE_POLL_SECONDS = env_float("LEADGATE_QUEUE_POLL_SECONDS", 0.2)
LEADGATE_QUEUE_STREAMS_MAX = env_int("LEADGATE_QUEUE_STREAMS_MAX", 8)
LEADGATE_QUEUE_STREAMS_PER_USER = env_int("LEADGATE_QUEUE_STREAMS_PER_USER", 2)
# Seconds `leadgate serve` gives a request's headers, and then its body, to
# arrive (a slow client holds a web thread meanwhile; see leadgate/gunicorn_conf.py);
# each LEADGATE_REQUEST_MIN_RATE bytes of body received add a second.
LEADGATE_REQUEST_BODY_TIMEOUT = env_float("LEADGATE_REQUEST_BODY_TIMEOUT", 10)
LEADGATE_REQUEST_MIN_RATE = env_float("LEADGATE_REQUEST_MIN_RATE", 500)

# Teleprospecting: the attempt plan (day offsets from the first attempt, at good
# lead-local times within the calling hours above) and what a lead needs before
# it may be closed as unresponsive: attempts, over channels, spanning days.
LEADGATE_ATTEMPT_PLAN = env_ints("LEADGATE_ATTEMPT_PLAN", [0, 1, 3, 5, 8, 11, 14])
LEADGATE_MIN_ATTEMPTS = env_int("LEADGATE_MIN_ATTEMPTS", 6)
LEADGATE_MIN_ATTEMPT_CHANNELS = env_int("LEADGATE_MIN_ATTEMPT_CHANNELS", 2)
LEADGATE_MIN_ATTEMPT_DAYS = env_float("LEADGATE_MIN_ATTEMPT_DAYS", 10)
# Routing: the team (by name) that takes leads no rule matched; empty (or no such team):
# the team managers mark default on the routing pages (Team.is_default), else the only team.
LEADGATE_DEFAULT_TEAM = env_str("LEADGATE_DEFAULT_TEAM", "")

# An instant acknowledgement email to people who send a form or API request
# (off by default; it does not stop the SLA clock), signed with this name.
LEADGATE_AUTO_ACK = env_bool("LEADGATE_AUTO_ACK", False)
LEADGATE_COMPANY_NAME = env_str("LEADGATE_COMPANY_NAME", "Leadgate")
# The sender's postal address, in the footer of every email to a lead (the
# US CAN-SPAM Act asks commercial email for one).
LEADGATE_POSTAL_ADDRESS = env_str("LEADGATE_POSTAL_ADDRESS", "")
# Handoff to sales: hours (business hours of the rep's team) sales has to accept or
# reject a handoff; where a rejected lead goes back to ("qualifier" or "nurture").
LEADGATE_ACCEPT_SLA_HOURS = env_float("LEADGATE_ACCEPT_SLA_HOURS", 9)
LEADGATE_REJECT_RETURN = env_choice("LEADGATE_REJECT_RETURN", "qualifier",
                                    ("qualifier", "nurture"))
# The address people reach this Leadgate at, for links in emails (unsubscribe,
# tracking): the scheme and host, no trailing slash.
LEADGATE_PUBLIC_URL = env_str("LEADGATE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# Nurture. A cadence that did not win a lead back is followed, after a rest of
# REST_DAYS, by the next cycle's cadence, up to MAX_CYCLES cycles; then the lead
# gets the quarterly cadence every QUARTERLY_DAYS. LOST: a lost opportunity is
# nurtured too (a new buying cycle in nurture).
LEADGATE_NURTURE_REST_DAYS = env_int("LEADGATE_NURTURE_REST_DAYS", 60)
LEADGATE_NURTURE_MAX_CYCLES = env_int("LEADGATE_NURTURE_MAX_CYCLES", 3)
LEADGATE_NURTURE_QUARTERLY_DAYS = env_int("LEADGATE_NURTURE_QUARTERLY_DAYS", 91)
LEADGATE_NURTURE_LOST = env_bool("LEADGATE_NURTURE_LOST", False)
# Email to one lead, across cadences and the qualifiers' own: at most CAP_COUNT
# in CAP_DAYS days (0: no cap); nurture is quiet on weekends and on the public
# holidays of the lead's country (python-holidays) unless these are off.
LEADGATE_EMAIL_CAP_COUNT = env_int("LEADGATE_EMAIL_CAP_COUNT", 2)
LEADGATE_EMAIL_CAP_DAYS = env_int("LEADGATE_EMAIL_CAP_DAYS", 7)
LEADGATE_NURTURE_QUIET_WEEKENDS = env_bool("LEADGATE_NURTURE_QUIET_WEEKENDS", True)
LEADGATE_NURTURE_QUIET_HOLIDAYS = env_bool("LEADGATE_NURTURE_QUIET_HOLIDAYS", True)
# Emails sent in any one hour, all kinds (an ESP's quota; 0: no limit): past
# it the rest wait for the next hour.
LEADGATE_EMAIL_HOURLY_LIMIT = env_int("LEADGATE_EMAIL_HOURLY_LIMIT", 0)
# Opens and clicks: tracked in nurture emails (a pixel and signed redirects);
# those within BOT_SECONDS of sending are a scanner's, not a person's.
LEADGATE_EMAIL_TRACKING = env_bool("LEADGATE_EMAIL_TRACKING", True)
LEADGATE_EMAIL_BOT_SECONDS = env_int("LEADGATE_EMAIL_BOT_SECONDS", 5)
# DKIM signing of email sent through SMTP directly (an ESP signs its own): the
# signing domain, the selector, and the private key's file (PEM). Off unless all set.
LEADGATE_DKIM_DOMAIN = env_str("LEADGATE_DKIM_DOMAIN", "")
LEADGATE_DKIM_SELECTOR = env_str("LEADGATE_DKIM_SELECTOR", "")
LEADGATE_DKIM_KEY_FILE = env_str("LEADGATE_DKIM_KEY_FILE", "")
# Replies and bounces: the reply mailbox (Reply-To of lead emails), polled by
# IMAP every minute when IMAP_HOST is set; or posted raw (RFC 822) to
# /mail/inbound with the header X-Leadgate-Secret set to INBOUND_SECRET.
LEADGATE_REPLY_TO = env_str("LEADGATE_REPLY_TO", "")
LEADGATE_IMAP_HOST = env_str("LEADGATE_IMAP_HOST", "")
LEADGATE_IMAP_PORT = env_int("LEADGATE_IMAP_PORT", 993)
LEADGATE_IMAP_SSL = env_bool("LEADGATE_IMAP_SSL", True)
LEADGATE_IMAP_USER = env_str("LEADGATE_IMAP_USER", "")
LEADGATE_IMAP_PASSWORD = env_str("LEADGATE_IMAP_PASSWORD", "")
LEADGATE_IMAP_FOLDER = env_str("LEADGATE_IMAP_FOLDER", "INBOX")
LEADGATE_INBOUND_SECRET = env_str("LEADGATE_INBOUND_SECRET", "")

# On: a sales rep sees and decides the handoffs addressed to anyone in their
# team (a shared team inbox); off: only their own.
LEADGATE_HANDOFF_TEAM_INBOX = env_bool("LEADGATE_HANDOFF_TEAM_INBOX", False)
# The CRM's inbound webhook (POST /api/v1/webhooks/crm): off unless this shared
# secret is set; the CRM signs each body with it (HMAC-SHA256).
LEADGATE_CRM_WEBHOOK_SECRET = env_str("LEADGATE_CRM_WEBHOOK_SECRET", "")
