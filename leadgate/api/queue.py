"""GET /queue?user=USERNAME: a qualifier's live queue, in the desk's order
(see leadgate.workspace.queue). A person's key reads its own queue, or anyone's
for a manager or admin; a service key reads anyone's."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from leadgate.leads.lifecycle import Role
from leadgate.leads.models import User
from leadgate.workspace.queue import queue_for

from .auth import acting_user, read
from .problems import problem
from .schemas import ErrorOut, ValidationErrorOut

router = Router(tags=["queue"])


class QueueItemOut(Schema):
    lead_id: int
    name: str
    company: str
    reason: str = Field(description="sla, follow-up or score")
    due_at: datetime | None = Field(description="SLA or task due time; null for score")
    local_time: datetime | None = Field(description="now in the lead's time zone; null: unknown")
    held_back: bool = Field(description="outside the lead's calling hours (listed last)")
    claimed_by: str | None = Field(description="username of someone else working the lead")
    grade: str


@router.get(
    "/queue",
    auth=read,
    response={200: list[QueueItemOut], 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="A qualifier's queue, in the desk's order",
)
def get_queue(request: HttpRequest, user: str | None = None):
    caller = acting_user(request)
    if not user:
        if caller is None:
            return Status(422, problem("user: a service key must name the user", "user"))
        user = caller.username
    target = User.objects.filter(username=user, is_active=True).first()
    may_read_any = caller is None or caller.has_role(Role.MANAGER, Role.ADMIN)
    if target is None:
        if may_read_any:
            return Status(404, {"detail": f"no active user {user!r}", "field": "user"})
        return Status(403, {"detail": "a key may read only its own user's queue", "field": "user"})
    if not may_read_any and target.pk != caller.pk:  # type: ignore[union-attr]
        return Status(403, {"detail": "a key may read only its own user's queue", "field": "user"})
    return [
        {"lead_id": item.lead.pk, "name": item.lead.name, "company": item.company,
         "reason": item.reason, "due_at": item.due_at, "local_time": item.local_time,
         "held_back": item.held_back,
         "claimed_by": item.claimed_by.username if item.claimed_by else None,
         "grade": item.grade}
        for item in queue_for(target)
    ]
