from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kosodate.core"
    label = "core"
