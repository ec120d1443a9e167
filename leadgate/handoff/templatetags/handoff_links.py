"""`{% handoff_offered lead as offered %}`: whether the lead page offers the
current user the "Hand off to sales" page."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def handoff_offered(context, lead) -> bool:
    from leadgate.handoff.handoff_views import can_hand_off

    request = context.get("request")
    user = getattr(request, "user", None)
    if lead is None or user is None or not user.is_authenticated:
        return False
    return can_hand_off(user, lead)
