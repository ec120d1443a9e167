from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`leadgate demo`: a reproducible demo company with a year of leads. Above
    every other app (it seeds them all), so nothing imports it; no models."""

    name = "leadgate.demo"
    label = "demo"
