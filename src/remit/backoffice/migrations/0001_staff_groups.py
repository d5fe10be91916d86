"""The staff groups "Billing clerk" (view, post payments) and "Billing manager" (all)."""

from django.db import migrations

from remit.backoffice.groups import ensure_staff_groups, remove_staff_groups


def create(apps, schema_editor):
    ensure_staff_groups(apps)


def remove(apps, schema_editor):
    remove_staff_groups(apps)


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0002_counters"),
        ("customers", "0002_staff_permissions"),
        ("invoices", "0002_staff_permissions"),
        ("ledger", "0001_initial"),
        ("payments", "0003_staff_permissions"),
        ("gateways", "0003_staff_permissions"),
    ]

    operations = [migrations.RunPython(create, remove)]
