"""Model instances made without `Model.__init__`, for the jobs that write rows
by the hundred thousand (an import, the demo seeder): at a million leads
`__init__` cost more than the inserts themselves.

    instances = Instances()
    lead = instances.new(Lead, email="ada@example.com", stage="inquiry")
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model
from django.db.models.base import ModelState

M = TypeVar("M", bound=Model)


class Instances:
    """Makes instances holding every concrete field's default, then the values
    given (by attname). Each model's defaults are evaluated once and kept, a
    callable one (a time, a dict) included, so instances share that value:
    pass such fields, or `reset()` to have the defaults evaluated again."""

    def __init__(self) -> None:
        self._defaults: dict[type[Model], dict[str, object]] = {}

    def new(self, model: type[M], **values: object) -> M:
        defaults = self._defaults.get(model)
        if defaults is None:
            defaults = self._defaults[model] = {field.attname: field.get_default()
                                                for field in model._meta.concrete_fields}
        obj = model.__new__(model)
        obj.__dict__.update(defaults, **values)
        obj._state = ModelState()
        return obj

    def reset(self) -> None:
        self._defaults.clear()
