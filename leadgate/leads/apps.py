from django.apps import AppConfig
from django.db.models.signals import post_migrate

from .lifecycle import Role


def create_role_groups(**kwargs: object) -> None:
    """Roles are Django groups; make sure each exists after every migrate (and
    after a test flush, which empties the table but re-sends post_migrate)."""
    from django.contrib.auth.models import Group  # models: not before the app registry is ready

    for role in Role:
        Group.objects.get_or_create(name=role.value)


class LeadsConfig(AppConfig):
    name = "leadgate.leads"
    label = "leads"

    def ready(self) -> None:
        post_migrate.connect(create_role_groups, sender=self)
