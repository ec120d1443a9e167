from django.apps import AppConfig


class HandoffConfig(AppConfig):
    name = "leadgate.handoff"
    label = "handoff"
