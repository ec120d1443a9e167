"""The sales rep's inbox: leads handed to them, waiting ones first, each with
Accept and Reject (reason from the list) and its acceptance due time."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from leadgate.leads.http import AuthedRequest
from leadgate.leads.lifecycle import Role
from leadgate.leads.models import Handoff, Outcome, RejectReason

from . import flow

INBOX_LIMIT = 100
DECIDED_PAGE_SIZE = 25
DOSSIER_ITEMS = 4
DOSSIER_CHARS = 140
# Parts of a composed dossier (flow.compose_dossier) the inbox row shows.
SUMMARY_KEYS = ("summary", "pains", "timeframe", "stakeholders")


def _short(text: str) -> str:
    return text[: DOSSIER_CHARS - 1] + "…" if len(text) > DOSSIER_CHARS else text


def dossier_summary(dossier) -> list[tuple[str, str]]:
    """What the inbox row says of a dossier, as (label, text): a composed
    dossier's summary in full (it already names the pains, timeframe and
    stakeholders), else its key parts, else the first few answers, shortened."""
    if not isinstance(dossier, dict):
        return [("notes", str(dossier)[:DOSSIER_CHARS])] if dossier else []
    if "version" in dossier and str(dossier.get("summary") or "").strip():
        return [("summary", str(dossier["summary"]).strip())]
    if "version" in dossier:  # composed, without a summary: the key parts
        items = [(key, dossier.get(key)) for key in SUMMARY_KEYS if dossier.get(key)]
    else:
        items = list(dossier.items())
    summary = []
    for key, value in items[:DOSSIER_ITEMS]:
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        summary.append((str(key).replace("_", " "), _short(text)))
    return summary


def furthest_outcomes(handoffs: list[Handoff]) -> None:
    """Set `outcome` on each accepted handoff: what sales made of the lead in
    that cycle, the furthest of won or lost, else opportunity (None when
    nothing yet). The inbox shows it in place of "Accepted"."""
    accepted = [h for h in handoffs if h.status == Handoff.Status.ACCEPTED]
    furthest: dict[tuple[int, int], Outcome] = {}
    if accepted:
        rank: dict[str, int] = {Outcome.Kind.OPPORTUNITY: 0, Outcome.Kind.WON: 1,
                                Outcome.Kind.LOST: 1}
        for outcome in Outcome.objects.filter(lead__in={h.lead_id for h in accepted}).order_by(
                "at", "pk"):
            key = (outcome.lead_id, outcome.cycle)
            known = furthest.get(key)
            if known is None or rank[outcome.kind] >= rank[known.kind]:
                furthest[key] = outcome
    for handoff in handoffs:
        setattr(handoff, "outcome", furthest.get((handoff.lead_id, handoff.cycle)))  # noqa: B010


@login_required
@require_GET
def inbox(request: AuthedRequest) -> HttpResponse:
    return inbox_response(request)


def inbox_response(
    request: AuthedRequest, *, errors: dict | None = None, values: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    """Pending handoffs (oldest first: they are waiting), then recent decisions.

    A sales rep sees what was handed to them; a manager or admin who is not a
    rep sees every team's handoffs. Both lists use the handoff_inbox index.
    `errors`/`values`: a refused accept or reject, by handoff id.
    """
    user = request.user
    if not user.has_role(Role.SALES, Role.MANAGER, Role.ADMIN):
        raise PermissionDenied
    overview = not user.has_role(Role.SALES)
    handoffs = Handoff.objects.select_related(
        "lead", "lead__account", "from_user", "to_user"
    )
    if not overview:
        handoffs = handoffs.filter(flow.addressed_to(user))
    waiting = handoffs.filter(status=Handoff.Status.PENDING)
    pending = list(waiting.order_by("created_at", "pk")[:INBOX_LIMIT])
    # The oldest INBOX_LIMIT are listed (they are due first); the page says how many wait.
    waiting_count = len(pending) if len(pending) < INBOX_LIMIT else waiting.count()
    decided_page = Paginator(
        handoffs.exclude(status=Handoff.Status.PENDING).order_by("-created_at", "-pk"),
        DECIDED_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    decided = list(decided_page.object_list)
    furthest_outcomes(decided)
    flow.rep_emails(pending + decided)
    errors, values = errors or {}, values or {}
    # Everything listed is the rep's to decide (their own, or their team's by
    # setting); a manager may decide any.
    may_act = user.has_role(Role.MANAGER, Role.ADMIN, Role.SALES)
    for handoff in pending:
        # Read by the row template: a refused decision, and whether to offer one.
        setattr(handoff, "form_errors", errors.get(handoff.pk, {}))  # noqa: B010
        setattr(handoff, "form_values", values.get(handoff.pk, {}))  # noqa: B010
        setattr(handoff, "may_act", may_act)  # noqa: B010
    return render(
        request,
        "handoff/inbox.html",
        {
            "nav": "inbox",
            "pending": [(h, dossier_summary(h.dossier)) for h in pending],
            "waiting_count": waiting_count,
            "decided": [(h, dossier_summary(h.dossier)) for h in decided],
            "decided_page": decided_page,
            "overview": overview,
            "reasons": RejectReason.choices,
            "now": timezone.now(),
            # A refused decision on a handoff no longer pending: above the lists.
            "page_errors": [
                message for pk, errs in errors.items() if pk not in {h.pk for h in pending}
                for message in errs.values()
            ],
        },
        status=status,
    )
