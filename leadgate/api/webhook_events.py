"""The consumer `webhooks` of the event stream (leads.events): each event that
is a webhook (`lead.created`, the stage moves in STAGE_EVENTS, `sla.breached`)
becomes one delivery per subscription listening to it (webhooks.emit), in the
consumer's transaction, so each is queued once."""

from __future__ import annotations

from typing import Any

from leadgate.intake.models import Inquiry
from leadgate.leads import events
from leadgate.leads.models import Event, Lead, User
from leadgate.routing.models import SlaClock
from leadgate.routing.sla import clock_summary, current_clock

from .models import WebhookSubscription
from .webhooks import emit, person

# Stage moves that are webhooks; other moves are not sent.
STAGE_EVENTS = {
    "mql": "lead.mql",
    "qualified": "lead.qualified",
    "accepted": "handoff.accepted",
    "rejected": "handoff.rejected",
    "won": "lead.won",
    "lost": "lead.lost",
}


def webhook_of(event: Event) -> str | None:
    """The webhook an event is, or None."""
    if event.kind == "inquiry.received":
        # Not for each lead of an imported list (see intake.importers.bulk).
        created = event.data.get("created") and not event.data.get("bulk")
        return "lead.created" if created else None
    if event.kind == "stage.moved":
        return STAGE_EVENTS.get(event.data.get("to", ""))
    if event.kind == "sla.breached":
        return "sla.breached"
    return None


@events.subscribe("webhooks", kinds={"inquiry.received", "stage.moved", "sla.breached"})
def queue_deliveries(batch: list[Event]) -> None:
    subscriptions = list(WebhookSubscription.objects.filter(active=True).only("id", "events"))
    if not subscriptions:
        return
    for event in batch:
        name = webhook_of(event)
        listening = [sub for sub in subscriptions if name and sub.listens_to(name)]
        if not name or not listening or event.lead_id is None:
            continue
        lead = Lead.objects.select_related("owner", "team").filter(pk=event.lead_id).first()
        if lead is None:
            continue  # merged into another lead since: nothing left to describe
        data = {"lead": lead_data(lead, event), **BUILDERS[event.kind](event, lead)}
        emit(name, data, subscriptions=listening, at=event.at)


def lead_data(lead: Lead, event: Event) -> dict:
    stage = event.data.get("to") or event.data.get("stage") or lead.stage
    return {
        "id": lead.pk, "first_name": lead.first_name, "last_name": lead.last_name,
        "name": lead.name, "email": lead.email, "phone": lead.phone, "title": lead.title,
        "company_name": lead.company_name, "stage": stage,
        "cycle": event.cycle if event.cycle is not None else lead.cycle,
        "owner": person(lead.owner), "team": lead.team.name if lead.team else None,
        "created_at": lead.created_at,
        # As GET /api/v1/leads/{id} shows it (api.schemas.SlaOut).
        "sla": clock_summary(current_clock(lead)),
    }


def _created(event: Event, lead: Lead) -> dict:
    inquiry = (Inquiry.objects.select_related("source", "campaign")
               .filter(pk=event.data.get("inquiry")).first())
    return {"inquiry": None if inquiry is None else {
        "id": inquiry.pk, "channel": inquiry.channel,
        "source": inquiry.source.name if inquiry.source else None,
        "campaign": inquiry.campaign.name if inquiry.campaign else None,
        "received_at": inquiry.received_at}}


def _moved(event: Event, lead: Lead) -> dict:
    to = event.data["to"]
    by = User.objects.filter(pk=event.actor_id).first() if event.actor_id else None
    data: dict[str, Any] = {"move": {"from": event.data.get("from", ""), "to": to,
                                     "at": event.at, "by": person(by),
                                     "reason": event.data.get("reason", "")}}
    if to in ("qualified", "accepted", "rejected"):
        handoff = (lead.handoffs.select_related("from_user", "to_user")
                   .filter(pk=event.data.get("handoff")).first())
        data["handoff"] = None if handoff is None else {
            "id": handoff.pk, "status": handoff.status, "from": person(handoff.from_user),
            "to": person(handoff.to_user), "created_at": handoff.created_at,
            "decided_at": handoff.decided_at, "reason": handoff.decision_reason,
        }
    if to in ("won", "lost"):
        data["outcome"] = {"result": to, "amount": event.data.get("amount"),
                           "reason": event.data.get("reason", "")}
    return data


def _breached(event: Event, lead: Lead) -> dict:
    clock = (SlaClock.objects.select_related("policy", "owner")
             .filter(pk=event.data.get("clock")).first())
    return {"sla": None if clock is None else {
        "segment": clock.policy.segment, "minutes": clock.policy.minutes,
        "started_at": clock.started_at, "due_at": clock.due_at,
        "breached_at": clock.breached_at, "owner": person(clock.owner)}}


BUILDERS = {"inquiry.received": _created, "stage.moved": _moved, "sla.breached": _breached}
