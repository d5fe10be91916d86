from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate


class BackofficeConfig(AppConfig):
    name = "remit.backoffice"
    label = "backoffice"

    def ready(self) -> None:
        post_migrate.connect(_restore_staff_groups, sender=self)


def _restore_staff_groups(sender, apps=global_apps, **kwargs) -> None:
    """Migration 0001 creates the groups; a flush (the test suite's) deletes them, and
    `post_migrate` after it puts any missing group back. `flush` sends no `apps`."""
    from remit.backoffice.groups import ensure_staff_groups

    try:
        apps.get_model("auth", "Group")
    except LookupError:  # migrating backwards past auth
        return
    ensure_staff_groups(apps)
