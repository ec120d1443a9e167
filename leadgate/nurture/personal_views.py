"""The page where a qualifier reviews and sends a personal-email step."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from leadgate.leads.models import Lead

from . import personal
from .models import Step, StepRun


@login_required
@require_http_methods(["GET", "POST"])
def personal_email(request: HttpRequest, pk: int) -> HttpResponse:
    visible = Lead.objects.visible_to(request.user)  # type: ignore[arg-type]
    run = get_object_or_404(StepRun.objects.select_related("enrollment__lead", "step", "task")
                            .filter(enrollment__lead__in=visible,
                                    step__kind=Step.Kind.PERSONAL_EMAIL), pk=pk)
    lead = run.enrollment.lead
    if not personal.may_send(request.user, lead):  # type: ignore[arg-type]
        raise Http404("not yours to send")
    drafted = personal.draft(run)
    subject, body, error = drafted.subject, drafted.body, None
    if request.method == "POST":
        subject, body = request.POST.get("subject", ""), request.POST.get("body", "")
        try:
            personal.send(run, request.user, subject=subject, body=body)  # type: ignore[arg-type]
        except personal.PersonalEmailError as problem:
            error = problem
        else:
            messages.success(request, f"Email to {lead.email} queued.")
            return redirect("lead", lead.pk)
    return render(request, "nurture/personal_email.html", {
        "run": run, "lead": lead, "subject": subject, "body": body, "error": error,
        "sent": run.email_id is not None}, status=400 if error else 200)
