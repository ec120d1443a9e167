"""Managers' pages for the predictive models: the versions of each, one
version's training data, metrics, charts and columns, activation, and a
training of the lead model from the database as a background job.

Activation goes through ModelVersion.activate(), as `leadgate model` does, so
open leads are rescored the same way.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from leadgate.leads.http import AuthedRequest
from leadgate.leads.lifecycle import Role
from leadgate.leads.queue import enqueue_with_transaction

from .database import OUTCOMES
from .models import ModelTraining, ModelVersion
from .tasks import train_lead_model

MODEL_ROLES = (Role.MANAGER, Role.ADMIN)
# A training still queued or running after this long lost its worker: it is
# marked failed, so it neither shows as running nor blocks a new one.
LOST_AFTER = timedelta(hours=2)


def require_model_role(request: AuthedRequest) -> None:
    if not request.user.has_role(*MODEL_ROLES):
        raise PermissionDenied


def _trainings() -> list[ModelTraining]:
    ModelTraining.objects.filter(state__in=ModelTraining.ACTIVE,
                                 created_at__lt=timezone.now() - LOST_AFTER).update(
        state=ModelTraining.State.FAILED, finished_at=timezone.now(),
        message="The training was lost (its worker stopped); start it again.")
    return list(ModelTraining.objects.select_related("by", "version")[:5])


@login_required
@require_GET
def model_list(request: AuthedRequest) -> HttpResponse:
    require_model_role(request)
    versions = ModelVersion.objects.defer("artifact")
    names: dict[str, list[ModelVersion]] = {}
    for version in versions:
        names.setdefault(version.name, []).append(version)
    trainings = _trainings()
    return render(request, "scoring/model_list.html", {
        "nav": "scoring", "names": names, "trainings": trainings,
        "running": any(t.active for t in trainings),
        "lead_model": settings.LEADGATE_LEAD_MODEL, "outcomes": sorted(OUTCOMES),
    })


def _percent_labels(values: list[float]) -> list[str]:
    return [f"{value:.0%}" if value >= 0.1 else f"{value:.1%}" for value in values]


def charts(curves: dict[str, Any]) -> list[dict[str, Any]]:
    """Specs for static/js/charts.js: calibration, cumulative gains, lift."""
    bins = curves.get("calibration") or []
    deciles = curves.get("deciles") or []
    if not deciles:
        return []
    base = curves["positives"] / curves["rows"] if curves.get("rows") else 0.0
    return [
        {"id": "calibration", "spec": {
            "type": "line", "format": "percent", "title": "Calibration",
            "x_title": "Mean predicted probability (10 bins)", "y_title": "Observed rate",
            "labels": _percent_labels([b["predicted"] for b in bins]),
            "datasets": [
                {"label": "Observed", "data": [b["observed"] for b in bins]},
                {"label": "Perfect calibration", "data": [b["predicted"] for b in bins],
                 "dashed": True}]}},
        {"id": "gains", "spec": {
            "type": "line", "format": "percent", "title": "Cumulative gains",
            "x_title": "Share of leads called, best scores first",
            "y_title": "Share of conversions found",
            "labels": ["0%"] + [f"{d['decile'] * 10}%" for d in deciles],
            "datasets": [
                {"label": "Model", "data": [0] + [d["cum_gain"] for d in deciles]},
                {"label": "Random", "data": [i / 10 for i in range(len(deciles) + 1)],
                 "dashed": True}]}},
        {"id": "lift", "spec": {
            "type": "bar", "format": "percent", "title": "Conversion by decile",
            "x_title": "Decile (1 = highest scores)", "y_title": "Converted",
            "labels": [str(d["decile"]) for d in deciles],
            "datasets": [
                {"label": "Converted in the decile", "data": [d["conversion"] for d in deciles]},
                {"label": "Average (lift 1)", "kind": "line", "dashed": True,
                 "data": [base] * len(deciles)}]}},
    ]


@login_required
@require_GET
def model_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    require_model_role(request)
    version = get_object_or_404(ModelVersion.objects.defer("artifact"), pk=pk)
    metrics = version.metrics or {}
    curves = metrics.get("curves") or {}
    return render(request, "scoring/model_detail.html", {
        "nav": "scoring", "version": version, "metrics": metrics, "curves": curves,
        "charts": [{**chart, "data_id": f"{chart['id']}-data"} for chart in charts(curves)],
        "training": version.training or {},
        "became": (version.features or {}).get("became", []),
        "candidates": sorted((metrics.get("candidates") or {}).items(),
                             key=lambda item: -(item[1].get("auc") or 0)),
        "active": ModelVersion.objects.defer("artifact").filter(
            name=version.name, active=True).first(),
        "trainings": _trainings(),
    })


@login_required
@require_POST
def model_activate(request: AuthedRequest, pk: int) -> HttpResponse:
    """Put a version in force (its open leads rescored in the background)."""
    require_model_role(request)
    version = get_object_or_404(ModelVersion.objects.defer("artifact"), pk=pk)
    if version.active:
        messages.error(request, f"{version.name} v{version.version} is already in force.")
    else:
        version.activate()
        messages.success(request, f"{version.name} v{version.version} is now in force; "
                                  "open leads are being rescored with it.")
    return redirect("model", pk=version.pk)


@login_required
@require_POST
def model_deactivate(request: AuthedRequest, pk: int) -> HttpResponse:
    """Take a version out of force: no version of its name scores leads then."""
    require_model_role(request)
    version = get_object_or_404(ModelVersion.objects.defer("artifact"), pk=pk)
    if not version.active:
        messages.error(request, f"{version.name} v{version.version} is not in force.")
    else:
        ModelVersion.objects.filter(pk=version.pk).update(active=False)
        messages.success(request, f"{version.name} v{version.version} is no longer in force: "
                                  "new probabilities are not computed until a version is "
                                  "activated.")
    return redirect("model", pk=version.pk)


@login_required
@require_POST
def model_train(request: AuthedRequest) -> HttpResponse:
    """Queue a training of the lead model from the leads in the database."""
    require_model_role(request)
    outcome = request.POST.get("outcome", "accepted")
    if outcome not in OUTCOMES:
        outcome = "accepted"
    if any(training.active for training in _trainings()):
        messages.error(request, "A training is already queued or running; wait for it.")
        return redirect("models")
    with transaction.atomic():
        training = ModelTraining.objects.create(name=settings.LEADGATE_LEAD_MODEL,
                                                outcome=outcome, by=request.user)
        enqueue_with_transaction(train_lead_model, training.pk)
    messages.success(request, "Training queued: this page shows how it goes.")
    return redirect("models")


@login_required
@require_GET
def model_trainings(request: AuthedRequest) -> HttpResponse:
    """The recent trainings' states (polled by the page while one is active)."""
    require_model_role(request)
    trainings = _trainings()
    return render(request, "scoring/_trainings.html", {
        "trainings": trainings, "running": any(t.active for t in trainings)})
