"""Enroll a list of leads in a cadence (managers, marketing, qualifiers for
the leads they can see)."""

from __future__ import annotations

from collections import Counter

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from leadgate.leads.lifecycle import Role

from . import bulk
from .models import Cadence

MAX_FILE_BYTES = 2 * 1024 * 1024
ROLES = (Role.MANAGER, Role.MARKETING, Role.ADMIN, Role.QUALIFIER)


@login_required
@require_http_methods(["GET", "POST"])
def enroll_list(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if not user.has_role(*ROLES):  # type: ignore[union-attr]
        raise PermissionDenied("enrolling leads is for qualifiers, managers and marketing")
    cadence = get_object_or_404(Cadence, pk=pk, archived_at__isnull=True)
    text, error, lines = "", "", None
    if request.method == "POST":
        text = request.POST.get("leads", "")
        upload = request.FILES.get("file")
        if upload is not None:
            if upload.size and upload.size > MAX_FILE_BYTES:
                error = "file: at most 2 MB (a column of ids or emails)"
            else:
                text = upload.read().decode("utf-8-sig", "replace")
        if not error:
            cells = bulk.lines_of(text)
            if not cells:
                error = "leads: give lead ids or email addresses, one per line"
            else:
                try:
                    lines = bulk.enroll_many(cells, cadence, by=user)  # type: ignore[arg-type]
                except ValueError as problem:
                    error = str(problem)
    counts = Counter(line.outcome for line in lines or [])
    return render(request, "nurture/enroll_list.html", {
        "cadence": cadence, "text": text, "error": error, "lines": lines, "counts": counts,
        "not_found": counts["not found"]},
        status=400 if error else 200)
