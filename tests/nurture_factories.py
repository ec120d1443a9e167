"""Plain factories for nurture tests: a cadence with its first version's
steps, made row by row (the editor's path is tested in test_nurture_ui)."""

from __future__ import annotations

import itertools
from datetime import time

from leadgate.leads import events
from leadgate.nurture.models import Cadence, CadenceVersion, Step, StepVariant

_counter = itertools.count(1)


def email_step(subject: str = "Hello {{ lead.first_name }}", *, delay: int = 0,
               variants: tuple[str, ...] = ("A",), **fields) -> dict:
    return {"kind": Step.Kind.AUTO_EMAIL, "delay_days": delay, "subject": subject,
            "labels": variants, **fields}


def task_step(kind: str = Step.Kind.CALL, title: str = "Call {{ lead.first_name }}", *,
              delay: int = 0, **fields) -> dict:
    return {"kind": kind, "delay_days": delay, "subject": title, "labels": ("A",), **fields}


def wait_step(delay: int = 2) -> dict:
    return {"kind": Step.Kind.WAIT, "delay_days": delay, "labels": ()}


def make_cadence(*steps: dict, name: str = "", role: str = "",
                 next_cadence: Cadence | None = None) -> Cadence:
    """A cadence whose version 1 has these steps (email_step, task_step,
    wait_step); with no steps, one email."""
    cadence = Cadence.objects.create(name=name or f"Cadence {next(_counter)}", role=role,
                                     next_cadence=next_cadence)
    version = CadenceVersion.objects.create(cadence=cadence, number=1)
    for position, spec in enumerate(steps or (email_step(),)):
        spec = dict(spec)
        subject, labels = spec.pop("subject", ""), spec.pop("labels")
        step = Step.objects.create(version=version, position=position, **spec)
        for label in labels:
            StepVariant.objects.create(
                step=step, label=label, subject=f"{subject} ({label})" if len(labels) > 1
                else subject, text_body="Dear {{ lead.first_name }}, news from "
                                        "{{ company.name }}.",
                html_body="<p>Dear {{ lead.first_name }}, <a href=\"https://example.com/"
                          "guide\">the guide</a></p>")
    return cadence


def window(days: list[int], start: str, end: str) -> dict:
    return {"window_days": days, "window_start": time.fromisoformat(start),
            "window_end": time.fromisoformat(end)}


def react() -> None:
    """Run the nurture consumer (and the others) until the stream is read."""
    while events.consume("nurture"):
        pass
