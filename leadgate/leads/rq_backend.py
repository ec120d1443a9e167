"""The task backend for LEADGATE_TASK_BACKEND=rq: django-tasks-rq's, taught
the priorities our tasks carry.

RQ has no priorities, only a queue's back and its front; django-tasks-rq
refuses a task that names one, and ours do (urgent work, a hot lead's
arrival). Work above the default priority goes to the front of its queue,
the rest to the back; deadlines also have a queue of their own ("urgent"),
which `leadgate worker` serves first.
"""

from __future__ import annotations

from typing import Any

from django_tasks.base import DEFAULT_TASK_PRIORITY, TASK_MAX_PRIORITY
from django_tasks_rq.backend import RQBackend as BaseRQBackend


class RQBackend(BaseRQBackend):
    supports_priority = True

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        front = task.priority > DEFAULT_TASK_PRIORITY
        wanted = TASK_MAX_PRIORITY if front else DEFAULT_TASK_PRIORITY
        if task.priority != wanted:
            task = task.using(priority=wanted)
        return super().enqueue(task, args, kwargs)
