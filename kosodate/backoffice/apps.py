from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "kosodate.backoffice"
    label = "backoffice"
