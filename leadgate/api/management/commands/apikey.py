"""`leadgate apikey create|list|revoke`: issue and retire API keys."""

from __future__ import annotations

from argparse import ArgumentParser

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from leadgate.api.models import SCOPES, ApiKey


class Command(BaseCommand):
    help = "Create, list and revoke API keys."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="issue a key; it is shown once")
        create.add_argument("--name", required=True)
        create.add_argument(
            "--scopes", required=True, help=f"comma-separated, from: {', '.join(SCOPES)}"
        )
        create.add_argument(
            "--user", help="username the key acts as; without it, an org-wide service key"
        )
        actions.add_parser("list", help="list keys (never their secrets)")
        revoke = actions.add_parser("revoke", help="revoke a key by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"_{action}")(**options)

    def _create(self, *, name: str, scopes: str, user: str | None, **_) -> None:
        wanted = [scope.strip() for scope in scopes.split(",") if scope.strip()]
        unknown = [scope for scope in wanted if scope not in SCOPES]
        if unknown or not wanted:
            raise CommandError(
                f"unknown scope: {', '.join(unknown) or '(none given)'}; "
                f"scopes are: {', '.join(SCOPES)}"
            )
        owner = None
        if user:
            owner = get_user_model().objects.filter(username=user).first()
            if owner is None:
                raise CommandError(f"no user {user!r}")
        if not name.strip():
            raise CommandError("--name must not be empty")
        row, key = ApiKey.issue(name=name.strip(), scopes=wanted, user=owner)
        self.stdout.write(key)
        self.stderr.write(
            f"Created key {row.prefix} ({row.name}, scopes {','.join(row.scopes)}, "
            f"{'user ' + owner.username if owner else 'service key'}).\n"
            "Store it now: it will not be shown again."
        )

    def _list(self, **_) -> None:
        rows = ApiKey.objects.select_related("user").order_by("created_at", "pk")
        if not rows:
            self.stdout.write("No API keys.")
            return
        line = "{:10} {:24} {:20} {:16} {:17} {}"
        self.stdout.write(line.format("PREFIX", "NAME", "SCOPES", "USER", "LAST USED", "STATUS"))
        for row in rows:
            used = row.last_used_at.strftime("%Y-%m-%d %H:%M") if row.last_used_at else "never"
            self.stdout.write(line.format(
                row.prefix, row.name[:24], ",".join(row.scopes)[:20],
                (row.user.username if row.user else "(service)")[:16], used,
                "revoked" if row.revoked_at else "active",
            ))

    def _revoke(self, *, prefix: str, **_) -> None:
        row = ApiKey.objects.filter(prefix=prefix.strip()).first()
        if row is None:
            raise CommandError(f"no API key with prefix {prefix!r}")
        if row.revoked_at:
            self.stdout.write(f"Key {row.prefix} was already revoked.")
            return
        row.revoke()
        self.stdout.write(f"Revoked key {row.prefix} ({row.name}).")
