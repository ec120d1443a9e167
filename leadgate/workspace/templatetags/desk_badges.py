"""The counts in the header that say there is something to do now:
`{% desk_badge user as desk %}` for a qualifier (hot leads whose SLA clock runs
for them, and leads that answered: came back from nurture or asked to be
called back, due now); the sales inbox's is in handoff_links."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.utils import timezone

from leadgate.leads.lifecycle import Role
from leadgate.leads.models import Task, User
from leadgate.routing.models import SlaClock

register = template.Library()

ANSWERED = (Task.Kind.CAME_BACK, Task.Kind.CALL_BACK)


@dataclass(frozen=True)
class DeskBadge:
    hot: int
    replies: int

    @property
    def total(self) -> int:
        return self.hot + self.replies

    @property
    def title(self) -> str:
        parts = []
        if self.hot:
            parts.append(f"{self.hot} hot lead{'s' if self.hot != 1 else ''} waiting")
        if self.replies:
            parts.append(f"{self.replies} answered and due")
        return ", ".join(parts)


@register.simple_tag
def desk_badge(user: User) -> DeskBadge:
    if not user.is_authenticated or not user.has_role(Role.QUALIFIER):
        return DeskBadge(0, 0)
    hot = SlaClock.objects.filter(owner=user, state=SlaClock.State.RUNNING).count()
    replies = Task.objects.open().filter(assignee=user, kind__in=ANSWERED,
                                         due_at__lte=timezone.now()).count()
    return DeskBadge(hot, replies)
