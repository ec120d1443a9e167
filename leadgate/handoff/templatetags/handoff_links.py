"""The lead page's handoff parts: `{% handoff_offered lead as offered %}`,
whether it offers the current user the "Hand off to sales" page, and
`{% pending_handoff lead as current %}`, the handoff waiting for sales."""

from datetime import datetime

from django import template
from django.utils.dateparse import parse_datetime

from leadgate.handoff.flow import rep_emails
from leadgate.handoff.handoff_views import can_hand_off
from leadgate.leads.models import Handoff
from leadgate.workspace.templatetags.figures import amount

register = template.Library()


@register.simple_tag(takes_context=True)
def handoff_offered(context, lead) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    if lead is None or user is None or not user.is_authenticated:
        return False
    return can_hand_off(user, lead)


@register.simple_tag
def pending_handoff(lead):
    """`{% pending_handoff lead as current %}`: the lead's handoff waiting for
    sales, with whether the rep was emailed (`rep_email`), or None."""
    if lead is None or lead.pk is None:
        return None
    handoff = (Handoff.objects.select_related("to_user")
               .filter(lead=lead, status=Handoff.Status.PENDING).first())
    if handoff is not None:
        rep_emails([handoff])
    return handoff


@register.filter
def as_words(value: object) -> str:
    """A dossier value as people read it: a list as "a, b", a key as "Buying plan"
    (dossiers written before the versioned format held lists and raw keys)."""
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


@register.filter
def as_label(key: object) -> str:
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@register.filter
def from_iso(value: object) -> datetime | None:
    """A dossier's time (kept as ISO text in its JSON) as a datetime, for the
    `date` filter to show in the viewer's time zone."""
    return parse_datetime(str(value)) if value else None


@register.filter
def company_value(value: object, key: str) -> str:
    """A value of the dossier's company part as people read it: revenue as an
    amount, head count with thousands separators."""
    if key == "annual_revenue":
        return amount(value)  # the account's revenue has no currency of its own
    if key == "employees" and str(value).isdigit():
        return f"{int(str(value)):,}"
    return str(value)


@register.filter
def without_label(item: object, label: str) -> str:
    """A dossier item under its heading, without the heading repeated: under
    "Timeframe", "Timeframe: this quarter" (as dossiers composed before kept
    it) reads "this quarter"."""
    text = str(item)
    prefix = f"{label}:"
    if text[: len(prefix)].casefold() == prefix.casefold():
        return text[len(prefix):].strip()
    return text


@register.simple_tag
def inbox_count(user) -> int:
    """Handoffs waiting for this rep's answer: the count on the header's Sales inbox."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Handoff.objects.filter(to_user=user, status=Handoff.Status.PENDING).count()
