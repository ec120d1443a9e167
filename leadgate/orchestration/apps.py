from django.apps import AppConfig


class OrchestrationConfig(AppConfig):
    """The app above the stages: it drives the steps after intake (dedup,
    enrichment, scoring, routing) and runs the service (`leadgate serve`)."""

    name = "leadgate.orchestration"
    label = "orchestration"

    def ready(self) -> None:
        from leadgate.leads.after_save import register_after_save

        from .tasks import after_import, after_intake

        # What intake queues, through leads' hook, when it saves a lead.
        register_after_save(each=after_intake, chunk=after_import)
