"""The enrichment providers; importing this package registers the built-in ones."""

from . import company, email, http, phone, title  # noqa: F401
from .base import ORDER, REGISTRY, Provider, ProviderError, register

__all__ = ["ORDER", "REGISTRY", "Provider", "ProviderError", "register"]
