"""What sales made of an accepted lead: an opportunity, then won or lost.

`record_outcome()` is the one way in, called alike by the lead page, the API,
the CRM import (`import_outcomes()`, `leadgate import-outcomes FILE`) and the
CRM's inbound webhook. The stage move itself goes through
`leads.transitions.advance()`, which records the StageChange and the Outcome
row; this module checks what the outcome needs first (a lead sales accepted, a
reason for a loss, a sane amount and date) and fills in the outcome's details.

Recording the same outcome again (a replayed webhook, a re-imported file)
raises `AlreadyRecorded`, carrying the stored outcome, so callers can answer
"nothing to do" instead of an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from leadgate.intake.fields import IntakeError, header_key
from leadgate.intake.importers.accounts import parse_amount
from leadgate.intake.importers.readers import BadRow, ReadError, open_table
from leadgate.intake.imports import ErrorFile, imports_dir, row_values, safe_stem
from leadgate.leads.lifecycle import IllegalMove, Stage
from leadgate.leads.models import Lead, Outcome, StageChange, User
from leadgate.leads.transitions import advance
from leadgate.lib.normalize import clean_text, normalize_email

__all__ = [
    "AlreadyRecorded", "OutcomeError", "OutcomeImport", "find_lead", "import_outcomes",
    "kind_from_stage", "record_outcome",
]

Kind = Outcome.Kind
# Outcome.amount is DecimalField(max_digits=14, decimal_places=2).
MAX_AMOUNT = Decimal(10) ** 12
# A clock a little ahead at the sender is fine; an outcome days ahead is a bug.
FUTURE_TOLERANCE = timedelta(minutes=5)
TEXT_LIMIT = 5000


class OutcomeError(IllegalMove):
    """An outcome that cannot be recorded, with the field at fault. An
    IllegalMove, so the API answers it as a 422 like any refused move."""


class AlreadyRecorded(OutcomeError):
    """The same outcome is already stored: nothing to do."""

    def __init__(self, message: str, outcome: Outcome | None):
        super().__init__(message, field="kind")
        self.outcome = outcome


def _current(lead: Lead) -> Outcome | None:
    return lead.outcomes.filter(cycle=lead.cycle).order_by("-at", "-pk").first()


def _check_input(kind: str, amount: Decimal | None, currency: str, reason: str,
                 at: datetime | None) -> None:
    if kind not in Kind.values:
        raise OutcomeError(f"unknown outcome {kind!r}; outcomes are: {', '.join(Kind.values)}",
                           field="kind")
    if amount is not None:
        if not amount.is_finite() or amount < 0:
            raise OutcomeError("amount cannot be negative", field="amount")
        if amount >= MAX_AMOUNT:
            raise OutcomeError("amount is too large", field="amount")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise OutcomeError("currency must be a three-letter code such as USD", field="currency")
    if kind == Kind.LOST and not reason.strip():
        raise OutcomeError("a lost outcome needs a reason", field="reason")
    if len(reason) > TEXT_LIMIT:
        raise OutcomeError(f"reason is longer than {TEXT_LIMIT} characters", field="reason")
    if at is not None and at > timezone.now() + FUTURE_TOLERANCE:
        raise OutcomeError("at is in the future", field="at")


def _check_stage(lead: Lead, kind: str, amount: Decimal | None, expected_close: date | None,
                 stage: str) -> None:
    """Refuse an outcome the lead's stage does not allow; AlreadyRecorded when
    the lead already has it."""
    current = _current(lead)
    if lead.stage in (Stage.WON, Stage.LOST):
        if kind == lead.stage:
            raise AlreadyRecorded(f"the lead is already {lead.stage}", current)
        raise OutcomeError(f"the lead is already {lead.stage}: its cycle is closed",
                           field="stage")
    if lead.stage == Stage.OPPORTUNITY and kind == Kind.OPPORTUNITY and current is not None:
        same = ((amount is None or current.amount == amount)
                and (not stage or current.stage == stage)
                and (expected_close is None or current.expected_close == expected_close))
        if same:
            raise AlreadyRecorded("the lead is already an opportunity with these details",
                                  current)
        return  # an update of the opportunity: a new row, no stage move
    if lead.stage in (Stage.ACCEPTED, Stage.OPPORTUNITY):
        return
    ever_accepted = StageChange.objects.filter(
        lead=lead, cycle=lead.cycle, to_stage=Stage.ACCEPTED
    ).exists()
    if not ever_accepted:
        raise OutcomeError(
            f"an outcome on a lead that was never accepted by sales (it is {lead.stage!r}); "
            "sales must accept the handoff first", field="stage",
        )
    raise OutcomeError(
        f"the lead is {lead.stage!r} now; outcomes are recorded on accepted leads "
        "and opportunities", field="stage",
    )


@transaction.atomic
def record_outcome(
    lead: Lead,
    *,
    kind: str,
    by: User | None,
    amount: Decimal | None = None,
    currency: str = "USD",
    expected_close: date | None = None,
    stage: str = "",
    reason: str = "",
    at: datetime | None = None,
    external_id: str = "",
    event_id: str = "",
) -> Outcome:
    """Record an opportunity, a win or a loss of an accepted lead (`by=None`:
    the system, e.g. the CRM). A win of a lead that never became an opportunity
    passes through `opportunity` first, so the history holds both facts."""
    currency = (currency or "USD").strip().upper()
    stage, reason = stage.strip()[:100], reason.strip()
    external_id, event_id = external_id.strip()[:200], event_id.strip()[:200]
    if at is not None and timezone.is_naive(at):
        at = at.replace(tzinfo=UTC)
    _check_input(kind, amount, currency, reason, at)
    # Locked, so two senders of the same outcome cannot both move the lead
    # (and a redelivered event is seen once the first delivery committed).
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if event_id:
        stored = Outcome.objects.filter(event_id=event_id).first()
        if stored is not None:
            raise AlreadyRecorded("this event was already recorded", stored)
    _check_stage(locked, kind, amount, expected_close, stage)

    details = {"stage": stage, "expected_close": expected_close,
               "external_id": external_id, "event_id": event_id}
    if kind == Kind.OPPORTUNITY and locked.stage == Stage.OPPORTUNITY:
        # The CRM changed an open opportunity (amount, close date, stage): a new
        # row, so the earlier figures stay in the history.
        outcome = Outcome(lead=locked, cycle=locked.cycle, kind=kind, amount=amount, by=by,
                          reason=reason, at=at or timezone.now())
    else:
        if kind == Kind.WON and locked.stage == Stage.ACCEPTED:
            opened = advance(locked, Stage.OPPORTUNITY, by=by, amount=amount).outcome
            assert opened is not None, "advance() records the outcome"
            opened.currency, opened.external_id = currency, external_id
            opened.save(update_fields=["currency", "external_id"])
        if kind == Kind.WON and amount is None:
            opportunity = _current(locked)
            amount = opportunity.amount if opportunity else None
        recorded = advance(locked, kind, by=by, reason=reason, amount=amount).outcome
        assert recorded is not None, "advance() records the outcome"
        outcome = recorded
        if at is not None:
            outcome.at = at
    outcome.currency = currency
    for name, value in details.items():
        setattr(outcome, name, value)
    outcome.save()
    lead.stage, lead.stage_changed_at = locked.stage, locked.stage_changed_at
    return outcome


# -- finding the lead ------------------------------------------------------------


def find_lead(leads, *, lead_id: object = None, email: str = "",
              external_id: str = "") -> tuple[Lead | None, str]:
    """The lead among `leads` by its id, else by the CRM's id of its
    opportunity, else by email (the newest lead of that address); and the field
    that was used (or the one that failed)."""
    if lead_id not in (None, ""):
        try:
            pk = int(str(lead_id).strip())
        except ValueError:
            return None, "lead_id"
        return leads.filter(pk=pk).first(), "lead_id"
    if external_id:
        found = leads.filter(outcomes__external_id=external_id).order_by("-pk").first()
        if found is not None or not email:
            return found, "external_id"
    if email:
        address = normalize_email(email).value
        if not address:
            return None, "email"
        return leads.filter(email=address).order_by("-created_at", "-pk").first(), "email"
    return None, "lead_id"


# -- importing a CRM export -------------------------------------------------------

# Import field -> the headers CRMs use for it (compared by `header_key`).
COLUMNS: dict[str, tuple[str, ...]] = {
    "lead_id": ("lead id", "leadgate id", "leadgate lead id", "lead"),
    "external_id": ("external id", "opportunity id", "deal id", "record id", "crm id",
                    "opportunity", "id"),
    "email": ("e-mail", "email address", "contact email", "primary contact email",
              "contact e-mail"),
    "stage": ("status", "stage name", "opportunity stage", "deal stage", "pipeline stage",
              "outcome", "kind", "result"),
    "amount": ("value", "deal amount", "opportunity amount", "deal value", "total amount",
               "amount usd", "revenue"),
    "currency": ("currency code", "opportunity currency", "amount currency"),
    "close_date": ("close date", "closed date", "closed at", "expected close",
                   "expected close date", "close", "won date", "lost date", "date"),
    "reason": ("loss reason", "lost reason", "closed lost reason", "reason lost",
               "closed won reason", "win loss reason", "notes"),
}
ALIASES = {header_key(alias): name for name, aliases in COLUMNS.items()
           for alias in (name, *aliases)}


def guess_column(header: str) -> str | None:
    return ALIASES.get(header_key(header))


def kind_from_stage(text: str) -> str | None:
    """"Closed Won", "closedwon", "won" -> won; "Closed Lost" -> lost; any
    other stage ("Proposal/Price Quote", "appointmentscheduled") -> opportunity."""
    key = re.sub(r"[^a-z]", "", text.lower())
    if not key:
        return None
    if key.endswith("won") or key == "win":
        return Kind.WON
    if key.endswith("lost") or key == "loss":
        return Kind.LOST
    return Kind.OPPORTUNITY


def parse_when(raw: str, field_name: str) -> datetime | None:
    """ISO dates and times, or a day/month/year the reader cannot mistake."""
    text = clean_text(raw)
    if not text:
        return None
    found = parse_datetime(text) if "T" in text or ":" in text else None
    if found is None:
        try:
            day = parse_date(text[:10])
        except ValueError:
            day = None
        if day is None:
            match = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", text)
            if match is None:
                raise IntakeError(field_name, f"{raw!r} is not a date such as 2025-03-31")
            first, second, year = (int(part) for part in match.groups())
            if first > 12 >= second:
                first, second = second, first  # day/month
            elif second > 12 >= first or first == second:
                pass  # month/day
            else:
                raise IntakeError(field_name, f"{raw!r} is ambiguous; write it as YYYY-MM-DD")
            try:
                day = date(year, first, second)
            except ValueError:
                raise IntakeError(field_name, f"{raw!r} is not a date") from None
        found = datetime.combine(day, time(12, 0))
    if timezone.is_naive(found):
        found = found.replace(tzinfo=UTC)
    return found


@dataclass
class RowResult:
    row: int
    status: str  # recorded, skipped or error
    lead_id: int | None = None
    kind: str = ""
    field: str = ""
    detail: str = ""


@dataclass
class OutcomeImport:
    rows: int = 0
    recorded: int = 0
    skipped: int = 0
    rejected: int = 0
    dry_run: bool = False
    mapping: dict[str, str | None] = field(default_factory=dict)
    results: list[RowResult] = field(default_factory=list)
    errors_path: str = ""


class OutcomeImportError(ValueError):
    """The file cannot be imported at all (unreadable, nothing to match on)."""


class _DryRun(Exception):
    """Raised to roll a dry run back."""


def _row_outcome(mapped: dict[str, str], leads, by: User | None) -> tuple[Lead, Outcome]:
    lead, how = find_lead(leads, lead_id=mapped.get("lead_id"), email=mapped.get("email", ""),
                          external_id=clean_text(mapped.get("external_id", "")))
    if lead is None:
        raise IntakeError(how, f"no lead matches this {how.replace('_', ' ')}")
    kind = kind_from_stage(mapped.get("stage", ""))
    if kind is None:
        raise IntakeError("stage", "empty: say Closed Won, Closed Lost or the open stage")
    amount = parse_amount(mapped.get("amount", ""), "amount")
    when = parse_when(mapped.get("close_date", ""), "close_date")
    opportunity = kind == Kind.OPPORTUNITY
    outcome = record_outcome(
        lead, kind=kind, by=by, amount=amount,
        currency=clean_text(mapped.get("currency", "")) or "USD",
        expected_close=when.date() if opportunity and when else None,
        stage=clean_text(mapped.get("stage", "")) if opportunity else "",
        reason=clean_text(mapped.get("reason", "")), at=None if opportunity else when,
        external_id=clean_text(mapped.get("external_id", "")),
    )
    return lead, outcome


def import_outcomes(path: Path | str, *, by: User | None = None, dry_run: bool = False,
                    errors_path: str = "", mapping: dict[str, str] | None = None,
                    encoding: str = "", delimiter: str = "", sheet: str = "") -> OutcomeImport:
    """Record the outcomes of a CRM export of opportunities (CSV or XLSX).

    Each row finds its lead by lead id, else by the CRM's opportunity id, else
    by email; its stage says opportunity, won or lost. Rows are recorded one by
    one (one transaction each); a refused row goes to the row-error CSV and the
    import goes on. A row whose outcome is already stored is skipped, so
    importing a file twice records nothing new. A dry run writes nothing but
    the error file.
    """
    path = Path(path)
    try:
        table = open_table(path, encoding=encoding, delimiter=delimiter, sheet=sheet)
    except ReadError as error:
        raise OutcomeImportError(str(error)) from error
    result = OutcomeImport(dry_run=dry_run)
    with table:
        explicit = {header_key(k): v for k, v in (mapping or {}).items()}
        for header in table.headers:
            name = explicit.get(header_key(header), guess_column(header))
            result.mapping[header] = name if name in COLUMNS else None
        found = set(result.mapping.values())
        if not found & {"lead_id", "email", "external_id"}:
            raise OutcomeImportError(
                f"no column to find the lead by: found {table.headers}; expected a lead id, "
                "email or opportunity id column (such as 'Lead ID', 'Email' or 'Opportunity ID')"
            )
        if "stage" not in found:
            raise OutcomeImportError(
                f"no stage column: found {table.headers}; expected 'Stage' or 'Status'")
        target = Path(errors_path) if errors_path else (
            imports_dir() / f"{safe_stem(path.name)}-outcome-errors-"
            f"{timezone.now():%Y%m%d-%H%M%S}.csv")
        errors = ErrorFile(target, table.headers)
        leads = Lead.objects.all() if by is None else Lead.objects.visible_to(by)
        try:
            for number, raw in table.rows:
                result.rows += 1
                values = row_values(table.headers, raw)
                problem: tuple[str, str] | None = None
                if isinstance(raw, BadRow):
                    problem = ("row", raw.reason)
                else:
                    mapped: dict[str, str] = {}
                    for header, value in zip(table.headers, values, strict=False):
                        name = result.mapping.get(header)
                        if name and value.strip() and not mapped.get(name):
                            mapped[name] = value
                    try:
                        with transaction.atomic():
                            lead, outcome = _row_outcome(mapped, leads, by)
                            if dry_run:
                                raise _DryRun
                    except _DryRun:
                        result.recorded += 1
                        result.results.append(RowResult(number, "recorded", lead.pk, outcome.kind))
                    except AlreadyRecorded as already:
                        result.skipped += 1
                        result.results.append(RowResult(
                            number, "skipped", already.outcome.lead_id if already.outcome
                            else None, already.outcome.kind if already.outcome else "",
                            detail=str(already)))
                    except (IntakeError, IllegalMove) as refused:
                        name = refused.field
                        message = refused.message if isinstance(refused, IntakeError) else str(
                            refused)
                        problem = (name, message)
                    else:
                        result.recorded += 1
                        result.results.append(RowResult(number, "recorded", lead.pk, outcome.kind))
                if problem is not None:
                    result.rejected += 1
                    result.results.append(RowResult(number, "error", field=problem[0],
                                                    detail=problem[1]))
                    errors.add(number, problem[0], problem[1], values)
        finally:
            errors.close()
        if errors.written:
            result.errors_path = str(target)
    return result


def parse_amount_value(value: object, field_name: str = "amount") -> Decimal | None:
    """An amount from JSON: a number or a numeric string."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        try:
            return Decimal(str(value)).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise IntakeError(field_name, f"{value!r} is not an amount") from None
    if isinstance(value, str):
        return parse_amount(value, field_name)
    raise IntakeError(field_name, f"{value!r} is not an amount")
