"""Bulk actions on a lead list: the same change for each selected lead, made
through the one function that makes it for one lead (routing.assign.reassign,
leads.transitions.advance, nurture.engine.enroll), so each lead's change is
recorded as if made by hand (its history and events). A lead that cannot be
changed is reported by name with the reason; the others are still done.

Actions are registered here by the stage that makes the change: assigning,
disqualifying and adding to a segment test below; moving to nurture by
leadgate.nurture.bulk (a later stage, which this module may not import).

Who: managers and admins act on any lead they may open; a qualifier only on
the leads they own, and assigning is for managers and admins only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from leadgate.leads.lifecycle import IllegalMove, Role, Stage
from leadgate.leads.models import Lead, User
from leadgate.leads.transitions import advance
from leadgate.routing import experiments
from leadgate.routing.assign import reassign

from .lists import person, qualifiers
from .touches import DISQUALIFY_REASONS

MAX_LEADS = 500
ANY_LEAD = frozenset({Role.MANAGER.value, Role.ADMIN.value})


class Refused(Exception):
    """Why a lead was not changed, in words for the person acting."""


@dataclass(frozen=True)
class Action:
    """A bulk action. `choices(user)`: the values of its one parameter (a
    person, a cadence, a reason); `prepare(value)` reads the chosen one (None:
    not a valid choice); `run(lead, prepared, by)` changes one lead, raising
    Refused or IllegalMove; `question(count, label)` asks for confirmation."""

    slug: str
    label: str
    param: str
    param_label: str
    roles: frozenset[str]
    choices: Callable[[User], list[tuple[str, str]]]
    prepare: Callable[[str], Any]
    run: Callable[[Lead, Any, User], None]
    question: Callable[[int, str], str]
    done: str  # "assigned to Bob Martin": what the result page says, with the label
    optional: bool = False  # the parameter may be left empty ("" is then a choice)

    def allowed(self, user: User) -> bool:
        return user.has_role(*self.roles)


ACTIONS: dict[str, Action] = {}


def register(action: Action) -> Action:
    ACTIONS[action.slug] = action
    return action


def actions_for(user: User) -> list[Action]:
    return [action for action in ACTIONS.values() if action.allowed(user)]


def leads_word(count: int) -> str:
    return f"{count:,} lead" + ("" if count == 1 else "s")


@dataclass
class Report:
    action: Action
    label: str
    done: list[Lead] = field(default_factory=list)
    refused: list[tuple[Lead, str]] = field(default_factory=list)
    missing: int = 0  # ids the person may not open (or gone)


def run_many(action: Action, ids: Iterable[int], value: str, *, by: User) -> Report:
    """Apply `action` with `value` to the leads `ids` as `by`, lead by lead
    (each in its own transaction, inside the function that changes it)."""
    if not action.allowed(by):
        raise PermissionError(f"{action.label} is not for your role")
    wanted = list(dict.fromkeys(ids))[:MAX_LEADS]
    prepared = action.prepare(value)
    if prepared is None and not (action.optional and value == ""):
        raise ValueError(f"{action.param}: not one of the choices")
    label = dict(action.choices(by)).get(value, value)
    report = Report(action, label)
    found = Lead.objects.visible_to(by).select_related("owner").in_bulk(wanted)
    report.missing = len(wanted) - len(found)
    for pk in wanted:
        lead = found.get(pk)
        if lead is None:
            continue
        if not by.has_role(*ANY_LEAD) and lead.owner_id != by.pk:
            report.refused.append((lead, f"not yours: owned by {person(lead.owner)}"))
            continue
        try:
            action.run(lead, prepared, by)
        except (Refused, IllegalMove) as error:
            report.refused.append((lead, str(error)))
        else:
            report.done.append(lead)
    return report


# Assign ----------------------------------------------------------------------------------


def _assign(lead: Lead, to_user: User, by: User) -> None:
    if lead.is_closed:
        raise Refused(f"the lead is {lead.get_stage_display().lower()}: its cycle is closed")
    if lead.owner_id == to_user.pk:
        raise Refused(f"already owned by {person(to_user)}")
    reassign(lead, to_user, by=by, note="bulk")


ASSIGN = register(Action(
    slug="assign", label="Assign to", param="to_user", param_label="Qualifier",
    roles=ANY_LEAD,
    choices=lambda user: [(str(each.pk), person(each)) for each in qualifiers()],
    prepare=lambda value: next((each for each in qualifiers() if str(each.pk) == value), None),
    run=_assign,
    question=lambda count, label: f"Assign {leads_word(count)} to {label}?",
    done="assigned to {label}"))


# Disqualify ------------------------------------------------------------------------------


def _disqualify(lead: Lead, reason: str, by: User) -> None:
    if lead.stage == Stage.DISQUALIFIED:
        raise Refused("already disqualified")
    advance(lead, Stage.DISQUALIFIED, by=by, reason=reason)


DISQUALIFY = register(Action(
    slug="disqualify", label="Disqualify", param="reason", param_label="Reason",
    roles=ANY_LEAD | {Role.QUALIFIER.value},
    choices=lambda user: [(reason, reason) for reason in DISQUALIFY_REASONS],
    prepare=lambda value: value if value in DISQUALIFY_REASONS else None,
    run=_disqualify,
    question=lambda count, label: f"Disqualify {leads_word(count)} ({label})?",
    done="disqualified ({label})"))


# Add to a segment test ----------------------------------------------------------------------


def _test_choices(user: User) -> list[tuple[str, str]]:
    return [(str(test.pk), f"{test.name} ({experiments.KINDS[test.kind].label.lower()})")
            for test in experiments.joinable_tests()]


def _add_to_test(lead: Lead, test: Any, by: User) -> None:
    try:
        experiments.add(lead, test, by=by)
    except experiments.NotJoined as error:
        raise Refused(str(error)) from None


ADD_TO_TEST = register(Action(
    slug="test", label="Add to segment test", param="experiment", param_label="Test",
    roles=ANY_LEAD,
    choices=_test_choices,
    prepare=lambda value: next((test for test in experiments.joinable_tests()
                                if str(test.pk) == value), None),
    run=_add_to_test,
    question=lambda count, label: (f"Add {leads_word(count)} to the test {label}, "
                                   "each in an arm drawn at random?"),
    done="added to the test {label}, each in an arm drawn at random"))
