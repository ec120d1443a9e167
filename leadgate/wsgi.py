import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from leadgate.intake.fields import parse

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadgate.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    """Load now what the first requests would otherwise load while people wait:
    every URL's views (the API builds its schema), and the phone metadata that
    parsing a lead reads. The first API posts after a start took 11 s."""
    get_resolver().url_patterns  # noqa: B018 - imports every view module
    parse({"email": "warm.up@example.com", "phone": "+44 20 7946 0000", "country": "GB"})


_warm_up()
