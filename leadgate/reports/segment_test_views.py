"""Starting and stopping segment tests (managers and admins); their results
are the `tests` report (/reports/tests/).

    GET  /reports/tests/new/              what a test may change (its kinds)
    GET  /reports/tests/new/?kind=script  the form for a test of that kind
    POST /reports/tests/new/?kind=script  started, or the form naming the field
    POST /reports/tests/<id>/stop/        no more leads join it
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from leadgate.leads.http import AuthedRequest
from leadgate.routing import experiments
from leadgate.routing.forms import BaseConditionFormSet, ConditionFormSet
from leadgate.routing.models import Experiment

from .segment_tests import EDITORS

ARM_ROWS = experiments.MAX_ARMS


class TestForm(forms.Form):
    name = forms.CharField(max_length=200)
    hypothesis = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "wide"}),
        help_text="what you expect, and why")
    goal = forms.ChoiceField(label="An arm's lead converts when it is")
    min_effect = forms.FloatField(
        label="Smallest difference worth seeing (points)", initial=5, min_value=0.5,
        max_value=50, help_text="sets the leads each arm needs before a verdict")

    def __init__(self, kind: experiments.Kind, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        goal = self.fields["goal"]
        assert isinstance(goal, forms.ChoiceField)
        goal.choices = list(kind.goals().items())


class ArmForm(forms.Form):
    label = forms.CharField(max_length=60, required=False)
    value = forms.CharField(max_length=60, required=False)
    weight = forms.IntegerField(label="Share", min_value=1, max_value=100, initial=1,
                                required=False)

    def __init__(self, *args: Any, kind: experiments.Kind, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["value"].label = kind.treatment
        if kind.choices is not None:
            self.fields["value"] = forms.ChoiceField(
                label=kind.treatment, required=False,
                choices=[("", "—"), *kind.choices()])
        else:
            self.fields["value"].widget = forms.NumberInput(attrs={"min": 1, "step": 1})
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("aria-label", f"Arm {self.prefix or ''} {name}")

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not data.get("label") and not data.get("value")


ArmFormSet = forms.formset_factory(ArmForm, extra=ARM_ROWS, max_num=ARM_ROWS)


def _editor(request: AuthedRequest) -> None:
    if not request.user.has_role(*EDITORS):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def new_test(request: AuthedRequest) -> HttpResponse:
    _editor(request)
    slug = request.GET.get("kind", "")
    if not slug:
        return render(request, "reports/segment_test_kinds.html", {
            "nav": "reports", "kinds": sorted(experiments.KINDS.values(),
                                              key=lambda kind: kind.label)})
    kind = experiments.KINDS.get(slug)
    if kind is None:
        raise Http404("no such kind of test")
    data = request.POST if request.method == "POST" else None
    form = TestForm(kind, data)
    arms = ArmFormSet(data, prefix="arms", form_kwargs={"kind": kind},
                      initial=None if data else [{"label": "A"}, {"label": "B"}])
    conditions = cast(BaseConditionFormSet, ConditionFormSet(data, prefix="conditions"))
    refused: dict[str, str] = {}  # what start() refused in the arms or the segment
    if data is not None and form.is_valid() and arms.is_valid() and conditions.is_valid():
        specs = [experiments.ArmSpec(row.cleaned_data["label"], str(row.cleaned_data["value"]),
                                     row.cleaned_data.get("weight") or 1)
                 for row in arms if not row.is_blank()]
        try:
            experiment = experiments.start(
                name=form.cleaned_data["name"], kind=kind.slug, goal=form.cleaned_data["goal"],
                arms=specs, by=request.user, conditions=conditions.conditions(),
                hypothesis=form.cleaned_data["hypothesis"],
                min_effect=form.cleaned_data["min_effect"] / 100)
        except experiments.ExperimentError as error:
            if error.field in form.fields:
                form.add_error(error.field, str(error))
            elif error.field.startswith("arm"):
                refused["arms"] = f"{error.field}: {error}"
            elif error.field == "conditions":
                refused["conditions"] = str(error)
            else:
                form.add_error(None, f"{error.field}: {error}")
        else:
            messages.success(request, f"The test “{experiment.name}” is running: new leads "
                                      f"join it {kind.point_label}.")
            return redirect(f"{reverse('report', args=['tests'])}?test={experiment.pk}")
    return render(request, "reports/segment_test_new.html", {
        "nav": "reports", "kind": kind, "form": form, "arms": arms, "conditions": conditions,
        "refused": refused},
        status=400 if data is not None else 200)


@login_required
@require_POST
def stop_test(request: AuthedRequest, pk: int) -> HttpResponse:
    _editor(request)
    experiment = get_object_or_404(Experiment, pk=pk)
    if experiment.running:
        experiments.stop(experiment, reason=request.POST.get("reason", ""))
        messages.success(request, f"The test “{experiment.name}” is stopped: no more leads "
                                  "join it.")
    return redirect(f"{reverse('report', args=['tests'])}?test={experiment.pk}")
