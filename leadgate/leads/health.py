"""Health of a running service, for load balancers and orchestrators.

/healthz  this process can serve: the database answers (restart me if not).
/readyz   the service can do its work: the database answers, its migrations
          are all applied, Redis answers (when tasks wait there), and a task
          worker was heard of recently (else leads pile up unrouted). Each
          check is named in the answer, with why it failed.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.executor import MigrationExecutor

from .models import WorkerHeartbeat
from .periodic import lease_holder

_migrated = False  # once applied, a process's migrations stay applied


def database() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return None


def migrations() -> str | None:
    global _migrated
    if _migrated:
        return None
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return f"{len(plan)} migrations not applied: run `leadgate migrate`"
    _migrated = True
    return None


def redis() -> str | None:
    if not settings.REDIS_URL:
        return None
    from redis import Redis  # only installed with leadgate[scale]

    Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2).ping()
    return None


def workers() -> str | None:
    if WorkerHeartbeat.objects.alive().exists():
        return None
    return "no task worker heard of recently: start `leadgate worker`"


CHECKS: dict[str, Callable[[], str | None]] = {
    "database": database, "migrations": migrations, "redis": redis, "workers": workers}


def readiness() -> tuple[bool, dict[str, str]]:
    """(ready, each check's "ok" or why not); a check is skipped ("skipped")
    once the database failed, as each of the later ones needs it but Redis's."""
    answers: dict[str, str] = {}
    for name, check in CHECKS.items():
        if name not in ("database", "redis") and answers.get("database", "ok") != "ok":
            answers[name] = "skipped"
            continue
        try:
            problem = check()
        except Exception as error:  # noqa: BLE001 - any failure is "not ready", named
            problem = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        answers[name] = problem or "ok"
    ready = all(answer == "ok" for answer in answers.values())
    if answers["database"] == "ok":
        lease = lease_holder()
        answers["scheduler"] = lease.holder if lease else "none active"
    return ready, answers
