from django.db import migrations


def create_counters(apps, schema_editor):
    Counter = apps.get_model("core", "Counter")
    for name in ("payment",):
        Counter.objects.get_or_create(name=name, defaults={"value": 0})


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(create_counters, migrations.RunPython.noop)]
