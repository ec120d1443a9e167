"""The lead definition: what makes a lead an MQL and what makes it sales-ready,
as marketing and sales agreed it.

The definition is read from what is in force: the active rule set's MQL rule
and grade cut-offs (scoring) and the short-term questions of the default
qualification framework (workspace). Its `digest` is the sha256 of the
canonical JSON of that content (`Definition.content()`), the very text an
agreement stores: a new rule set version, another MQL rule or a changed
question makes a new digest, and agreements to the old one no longer count.
A manager and a sales rep each record their agreement (`agree`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from leadgate.leads.lifecycle import Role
from leadgate.leads.models import User
from leadgate.scoring.models import ENGAGEMENT_LEVELS, FIT_GRADES, RuleSet
from leadgate.workspace.frameworks import default_framework, questions

from .models import DefinitionAgreement

# Who may read the definition, and who agrees to it (and as which side).
VIEW_ROLES = (Role.MARKETING, Role.QUALIFIER, Role.SALES, Role.MANAGER, Role.ADMIN)
AGREEING_ROLES = (Role.MANAGER, Role.SALES)
SIDES = {Role.MANAGER.value: "manager", Role.SALES.value: "sales"}


class AgreementRefused(Exception):
    """An agreement that cannot be recorded; the message says why."""


@dataclass(frozen=True)
class Question:
    label: str
    help: str


@dataclass(frozen=True)
class Definition:
    """The definition in force. Everything but `activated_at` and `digest` is
    what is agreed to (and hashed)."""

    ruleset_version: int | None
    activated_at: datetime | None
    mql_rule: str
    fit_cutoffs: str
    engagement_cutoffs: str
    framework_kind: str
    framework_name: str
    questions: tuple[Question, ...]
    digest: str = ""

    def content(self) -> dict[str, Any]:
        return {
            "ruleset_version": self.ruleset_version,
            "mql_rule": self.mql_rule,
            "grade_cutoffs": {"fit": self.fit_cutoffs, "engagement": self.engagement_cutoffs},
            "framework": self.framework_name,
            "sales_ready": [{"label": q.label, "help": q.help} for q in self.questions],
        }


@dataclass(frozen=True)
class Agreement:
    name: str
    role: str  # "manager" or "sales"
    at: datetime
    current: bool  # to the definition in force now
    user_id: int


@dataclass(frozen=True)
class Version:
    """A rule set version that was in force at some time, and the agreements
    recorded to the definitions that named it."""

    version: int
    activated_at: datetime
    active: bool
    mql_rule: str
    agreements: tuple[Agreement, ...] = field(default=())


@dataclass(frozen=True)
class Status:
    """Whether the definition in force is agreed: by at least one manager and
    one sales rep."""

    agreements: tuple[Agreement, ...]

    def by(self, role: str) -> tuple[Agreement, ...]:
        return tuple(a for a in self.agreements if a.role == role)

    @property
    def missing(self) -> tuple[str, ...]:
        """Who must still agree, in words: "a manager", "a sales lead"."""
        wanted = (("manager", "a manager"), ("sales", "a sales lead"))
        return tuple(words for role, words in wanted if not self.by(role))

    @property
    def agreed(self) -> bool:
        return not self.missing


def digest_of(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def number(value: float) -> str:
    return f"{value:g}"


def mql_rule_words(ruleset: RuleSet | None) -> str:
    """The MQL rule as a sentence (the rules page's wording, with the grades it lets in)."""
    if ruleset is None:
        return "No rule set is in force: no lead becomes an MQL by its score."
    fits = FIT_GRADES[: FIT_GRADES.index(ruleset.mql_min_fit) + 1]
    levels = [n for n in ENGAGEMENT_LEVELS if n <= ruleset.mql_min_engagement]
    grades = ", ".join(f"{fit}{level}" for fit in fits for level in levels)
    fit = f"fit {ruleset.mql_min_fit}" + (" or better" if len(fits) > 1 else "")
    engagement = (f"engagement {ruleset.mql_min_engagement}"
                  + (" or better" if len(levels) > 1 else ""))
    words = f"A lead is an MQL when it scores {fit} and {engagement} (grade {grades})"
    if ruleset.mql_hot:
        words += ", or when it makes a hot inquiry in its current cycle"
    return words + "."


def mql_rule_short(ruleset: RuleSet) -> str:
    """The MQL rule as the rules page puts it."""
    words = (f"fit {ruleset.mql_min_fit} or better and "
             f"engagement {ruleset.mql_min_engagement} or better")
    return words + (", or a hot inquiry in the current cycle" if ruleset.mql_hot else "")


def cutoff_words(ruleset: RuleSet | None) -> tuple[str, str]:
    """The grade cut-offs in words: (fit, engagement)."""
    if ruleset is None:
        return ("", "")
    return (
        f"A from {number(ruleset.fit_a)} points, B from {number(ruleset.fit_b)}, "
        f"C from {number(ruleset.fit_c)}, below that D",
        f"1 (the most engaged) from {number(ruleset.engagement_1)} points, "
        f"2 from {number(ruleset.engagement_2)}, 3 from {number(ruleset.engagement_3)}, "
        "below that 4; engagement points fade with time",
    )


def current_definition() -> Definition:
    ruleset = RuleSet.active_one()
    framework = default_framework()
    fit_cutoffs, engagement_cutoffs = cutoff_words(ruleset)
    draft = Definition(
        ruleset_version=ruleset.version if ruleset else None,
        activated_at=ruleset.activated_at if ruleset else None,
        mql_rule=mql_rule_words(ruleset),
        fit_cutoffs=fit_cutoffs,
        engagement_cutoffs=engagement_cutoffs,
        framework_kind=framework.kind if framework else "",
        framework_name=framework.name if framework else "",
        questions=tuple(
            Question(label=str(q.get("label") or q["key"]), help=str(q.get("help") or ""))
            for q in questions(framework) if q.get("short_term")
        ),
    )
    return replace(draft, digest=digest_of(draft.content()))


def person(user: User) -> str:
    return user.get_full_name() or user.username


def as_agreement(row: DefinitionAgreement, current_digest: str) -> Agreement:
    return Agreement(name=person(row.user), role=row.role, at=row.at,
                     current=row.digest == current_digest, user_id=row.user_id)


def status(definition: Definition) -> Status:
    rows = (DefinitionAgreement.objects.filter(digest=definition.digest)
            .select_related("user").order_by("at", "pk"))
    return Status(tuple(as_agreement(row, definition.digest) for row in rows))


def history(current: Definition | None = None) -> list[Version]:
    """The rule set versions ever in force, newest first, each with its MQL
    rule and the agreements recorded to the definitions naming it."""
    current = current or current_definition()
    rulesets = list(RuleSet.objects.filter(activated_at__isnull=False).order_by("-version"))
    by_version: dict[int, list[Agreement]] = {}
    rows = (DefinitionAgreement.objects
            .filter(ruleset_version__in=[r.version for r in rulesets])
            .select_related("user").order_by("at", "pk"))
    for row in rows:
        assert row.ruleset_version is not None  # filtered on it
        by_version.setdefault(row.ruleset_version, []).append(as_agreement(row, current.digest))
    return [
        Version(version=r.version, activated_at=r.activated_at, active=r.active,
                mql_rule=mql_rule_short(r), agreements=tuple(by_version.get(r.version, ())))
        for r in rulesets
        if r.activated_at is not None
    ]


def side_of(user: User) -> str | None:
    """"manager" or "sales": the side a user agrees for; None if they may not."""
    for role in AGREEING_ROLES:
        if user.has_role(role):
            return SIDES[role.value]
    return None


def agree(user: User, expected_digest: str | None = None
          ) -> tuple[DefinitionAgreement, bool]:
    """Record `user`'s agreement to the definition in force: (the agreement,
    whether it is new; agreeing twice records nothing). Only managers and sales
    reps agree (PermissionDenied otherwise). With `expected_digest` (the one
    the user read), a definition changed meanwhile is refused."""
    side = side_of(user)
    if side is None:
        raise PermissionDenied("only managers and sales reps agree to the lead definition")
    definition = current_definition()
    if expected_digest is not None and expected_digest != definition.digest:
        raise AgreementRefused("The definition changed since you opened the page: "
                               "read this version before agreeing to it.")
    if definition.ruleset_version is None:
        raise AgreementRefused("No rule set is in force: there is no MQL rule to agree to.")
    with transaction.atomic():
        return DefinitionAgreement.objects.get_or_create(
            digest=definition.digest, user=user,
            defaults={"ruleset_version": definition.ruleset_version,
                      "framework": definition.framework_kind[:20],
                      "text": definition.content(), "role": side},
        )
