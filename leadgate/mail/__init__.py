"""The outbox: every email Leadgate sends (see models.py, outbox.py, sender.py).

Kept free of model imports so that `describe_transport` can be used before the
apps are loaded."""

from .transport import describe_transport

__all__ = ["describe_transport"]
