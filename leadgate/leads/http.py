from django.http import HttpRequest

from .models import User


class AuthedRequest(HttpRequest):
    """The request of a view behind `login_required`: its user is one of ours.
    (For type checkers; Django sets `request.user` itself.)"""

    user: User
