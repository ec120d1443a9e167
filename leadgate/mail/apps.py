from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "leadgate.mail"
    label = "mail"
