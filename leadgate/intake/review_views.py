"""The duplicate review list: pairs of leads that may be one person (found by
the fuzzy search after intake), merged or kept apart by a user; and the list
of merges, each of which can be undone.

Views stay thin: who sees which pair comes from `Lead.objects.visible_to()`,
the work is `intake.merge.merge()` / `undo()`. Every action is a plain POST
answered with a redirect; with htmx, the pair's card is swapped in place.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from leadgate.leads.http import AuthedRequest, is_htmx, page_number
from leadgate.leads.lifecycle import Role, Stage
from leadgate.leads.models import Lead, User

from .merge import MergeError, merge, pick_survivor, undo
from .models import DuplicateCandidate, Merge

PAGE_SIZE = 25
REVIEW_ROLES = (Role.QUALIFIER, Role.MANAGER, Role.ADMIN)
REASON_MAX = 1000



def require_reviewer(user: User) -> None:
    if not user.has_role(*REVIEW_ROLES):
        raise PermissionDenied


def oversees(user: User) -> bool:
    return user.has_role(Role.MANAGER, Role.ADMIN)


def reviewable(user: User) -> QuerySet[DuplicateCandidate]:
    """Pairs this user may see: all for managers and admins; for a qualifier,
    those where both leads are visible to them."""
    pairs = DuplicateCandidate.objects.select_related(
        "lead__owner", "lead__account", "candidate__owner", "candidate__account"
    )
    if oversees(user):
        return pairs
    visible = Lead.objects.visible_to(user).values("pk")
    return pairs.filter(lead__in=visible, candidate__in=visible)


def pair_context(pair: DuplicateCandidate, *, error: str = "", values: dict | None = None) -> dict:
    """The pair as the page shows it: the suggested survivor on the left."""
    survivor, merged = pick_survivor(pair.lead, pair.candidate)
    values = values or {}
    chosen = values.get("survivor") or str(survivor.pk)
    return {
        "pair": pair,
        "left": survivor,
        "right": merged,
        "chosen": chosen,
        "reason": values.get("reason", ""),
        "error": error,
    }


@login_required
@require_GET
def review_list(request: AuthedRequest) -> HttpResponse:
    """Open pairs, highest score first; paged by slicing one row past the page
    (no COUNT), on the (status, -score) index."""
    require_reviewer(request.user)
    page = page_number(request)
    start = (page - 1) * PAGE_SIZE
    rows = list(
        reviewable(request.user)
        .filter(status=DuplicateCandidate.Status.OPEN)
        .order_by("-score", "-pk")[start : start + PAGE_SIZE + 1]
    )
    return render(
        request,
        "intake/review_list.html",
        {
            "nav": "duplicates",
            "pairs": [pair_context(pair) for pair in rows[:PAGE_SIZE]],
            "page": page,
            "has_next": len(rows) > PAGE_SIZE,
            "has_previous": page > 1,
        },
    )


def open_pair(request: AuthedRequest, pk: int) -> DuplicateCandidate:
    """The pair if this user may act on it (both leads visible), else 404."""
    require_reviewer(request.user)
    return get_object_or_404(reviewable(request.user), pk=pk)


def pair_error(request: AuthedRequest, pair: DuplicateCandidate, error: str,
               values: dict | None = None) -> HttpResponse:
    """A refused action: the pair again with the error, status 400."""
    context = pair_context(pair, error=error, values=values)
    if is_htmx(request):
        return render(request, "intake/review_pair.html", context, status=400)
    return render(
        request,
        "intake/review_error.html",
        {"nav": "duplicates", **context},
        status=400,
    )


@login_required
@require_POST
def pair_merge(request: AuthedRequest, pk: int) -> HttpResponse:
    """Merge the pair: the survivor chosen on the form (one of the two), by
    default the one `pick_survivor` suggests."""
    pair = open_pair(request, pk)
    values = {
        "survivor": request.POST.get("survivor", "").strip(),
        "reason": request.POST.get("reason", "").strip()[:REASON_MAX],
    }
    if pair.status != DuplicateCandidate.Status.OPEN:
        return pair_error(request, pair, "this pair was reviewed already", values)
    suggested, other = pick_survivor(pair.lead, pair.candidate)
    by_id = {str(pair.lead_id): pair.lead, str(pair.candidate_id): pair.candidate}
    if values["survivor"] and values["survivor"] not in by_id:
        return pair_error(request, pair, "choose one of the two leads to keep", values)
    survivor = by_id[values["survivor"]] if values["survivor"] else suggested
    merged = pair.candidate if survivor.pk == pair.lead_id else pair.lead
    reason = values["reason"] or (
        f"duplicate review: score {pair.score:.0f} ({', '.join(map(str, pair.reasons))})"
    )
    try:
        record = merge(survivor, merged, by=request.user, reason=reason)
    except MergeError as error:
        return pair_error(request, pair, str(error), values)
    notice = f"Merged lead {merged.pk} into lead {survivor.pk}."
    if is_htmx(request):
        return render(
            request, "intake/review_merged.html", {"pair_id": pk, "merge": record,
                                                   "notice": notice},
        )
    messages.success(request, notice)
    return redirect("merge", pk=record.pk)


@login_required
@require_POST
def pair_keep_apart(request: AuthedRequest, pk: int) -> HttpResponse:
    pair = open_pair(request, pk)
    now = timezone.now()
    with transaction.atomic():
        updated = DuplicateCandidate.objects.filter(
            pk=pair.pk, status=DuplicateCandidate.Status.OPEN
        ).update(
            status=DuplicateCandidate.Status.KEPT_APART, resolved_by=request.user,
            resolved_at=now,
        )
    if not updated:
        return pair_error(request, pair, "this pair was reviewed already")
    notice = f"Kept lead {pair.lead_id} and lead {pair.candidate_id} apart."
    if is_htmx(request):
        return render(request, "intake/review_kept.html", {"pair_id": pk, "notice": notice})
    messages.success(request, notice)
    return redirect("duplicates")


def merges_for(user: User) -> QuerySet[Merge]:
    """Merges a user may see and undo: all for managers and admins, else their own."""
    merges = Merge.objects.select_related("survivor", "by", "undone_by")
    return merges if oversees(user) else merges.filter(by=user)


def visible_merge(request: AuthedRequest, pk: int) -> Merge:
    require_reviewer(request.user)
    return get_object_or_404(merges_for(request.user), pk=pk)


@login_required
@require_GET
def merge_list(request: AuthedRequest) -> HttpResponse:
    require_reviewer(request.user)
    page = page_number(request)
    start = (page - 1) * PAGE_SIZE
    rows = list(merges_for(request.user).order_by("-at", "-pk")[start : start + PAGE_SIZE + 1])
    return render(
        request,
        "intake/merge_list.html",
        {
            "nav": "duplicates",
            "merges": [merge_summary(record) for record in rows[:PAGE_SIZE]],
            "page": page,
            "has_next": len(rows) > PAGE_SIZE,
            "has_previous": page > 1,
        },
    )


def stage_label(value: str) -> str:
    """"Nurture" for "nurture": the stage as the pages name it."""
    return str(dict(Stage.choices).get(value, value))


def counted(label: str, count: int) -> str:
    """'3 enrichments' for ("enrich.enrichment", 3): a model's rows in words."""
    try:
        meta = apps.get_model(label)._meta
    except LookupError:  # an app removed since
        return f"{count} {label.split('.', 1)[-1]}"
    return f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}"


def merge_summary(record: Merge) -> dict:
    """What the pages show of a merge: the merged lead as it was, what moved."""
    kept = record.snapshot or {}
    name = " ".join(
        str(part) for part in (kept.get("first_name"), kept.get("last_name")) if part
    )
    return {
        "merge": record,
        "merged_name": name or kept.get("email") or kept.get("phone") or "",
        "merged_email": kept.get("email") or "",
        "merged_stage": stage_label(kept.get("stage") or ""),
        "moved": sorted(counted(label, len(move.get("ids", [])))
                        for label, move in (record.moved or {}).items()),
        "dropped": sorted(counted(label, len(drop.get("rows", [])))
                          for label, drop in (record.dropped or {}).items()),
        "filled": sorted(record.filled or {}),
        "restored": record.undone_at is not None
        and Lead.objects.filter(pk=record.merged_lead_id).exists(),
    }


@login_required
@require_GET
def merge_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    record = visible_merge(request, pk)
    return render(
        request, "intake/merge_detail.html", {"nav": "duplicates", **merge_summary(record)}
    )


@login_required
@require_POST
def merge_undo(request: AuthedRequest, pk: int) -> HttpResponse:
    record = visible_merge(request, pk)
    try:
        restored = undo(record, by=request.user)
    except MergeError as error:
        record.refresh_from_db()
        context = {"nav": "duplicates", **merge_summary(record), "error": str(error)}
        template = "intake/merge_undo.html" if is_htmx(request) else "intake/merge_detail.html"
        return render(request, template, context, status=400)
    notice = f"Undone: lead {restored.pk} is back, with its own rows."
    if is_htmx(request):
        record.refresh_from_db()
        return render(
            request, "intake/merge_undo.html", {**merge_summary(record), "notice": notice}
        )
    messages.success(request, notice)
    if Lead.objects.visible_to(request.user).filter(pk=restored.pk).exists():
        return redirect("lead", pk=restored.pk)
    return redirect(reverse("merges"))

