from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "remit.worker"
    label = "worker"
    verbose_name = "Background worker"
