from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kosodate.core"
    label = "core"

    def ready(self):
        from .observability import connect_task_signals

        connect_task_signals()
