"""The rep records what became of an accepted lead: an opportunity (amount,
expected close, stage), a win (amount, date) or a loss (reason).

The form sits on the lead page (`handoff/_outcome_form.html`) and posts here;
a refused outcome shows the form again on its own page with the error at its
field (status 400). The work is `outcomes.record_outcome()`.
"""

from datetime import UTC, datetime, time

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from leadgate.leads.http import AuthedRequest
from leadgate.leads.lifecycle import IllegalMove, Role
from leadgate.leads.models import Lead, Outcome

from .outcomes import AlreadyRecorded, record_outcome

OUTCOME_ROLES = (Role.SALES, Role.MANAGER, Role.ADMIN)


class OutcomeForm(forms.Form):
    kind = forms.ChoiceField(choices=Outcome.Kind.choices)
    amount = forms.DecimalField(required=False, min_value=0, max_digits=14, decimal_places=2)
    currency = forms.RegexField(regex=r"^[A-Za-z]{3}$", required=False, max_length=3,
                                error_messages={"invalid": "a three-letter code such as USD"})
    expected_close = forms.DateField(required=False)
    stage = forms.CharField(required=False, max_length=100)
    closed_on = forms.DateField(required=False)
    reason = forms.CharField(required=False, max_length=5000)


def _lead(request: AuthedRequest, pk: int) -> Lead:
    if not request.user.has_role(*OUTCOME_ROLES):
        raise PermissionDenied
    return get_object_or_404(Lead.objects.visible_to(request.user), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def lead_outcome(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = _lead(request, pk)
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    if request.method == "POST":
        values = {key: request.POST.get(key, "") for key in OutcomeForm.base_fields}
        form = OutcomeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            closed_on = data["closed_on"]
            try:
                record_outcome(
                    lead, kind=data["kind"], by=request.user, amount=data["amount"],
                    currency=(data["currency"] or "USD").upper(),
                    expected_close=data["expected_close"], stage=data["stage"],
                    reason=data["reason"],
                    at=datetime.combine(closed_on, time(12), tzinfo=UTC) if closed_on else None,
                )
            except AlreadyRecorded as already:
                errors["kind"] = str(already)
            except IllegalMove as refused:
                errors[refused.field] = str(refused)
            except IntegrityError:
                errors["kind"] = "the lead changed meanwhile; reload and try again"
            else:
                messages.success(request, f"Recorded: {Outcome.Kind(data['kind']).label}.")
                return redirect("lead", pk=lead.pk)
        else:
            errors = {name: " ".join(map(str, errs)) for name, errs in form.errors.items()}
    context = {"nav": "inbox", "lead": lead, "outcome_errors": errors,
               "outcome_values": values}
    return render(request, "handoff/outcome.html", context, status=400 if errors else 200)
