from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "leadgate.scoring"
    label = "scoring"
    verbose_name = "Predictive scoring"
