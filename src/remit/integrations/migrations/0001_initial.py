"""ApiKey and IdempotencyRecord move here from the api app, in Django's state only.

Their tables stay as they were (`api_apikey`, `api_idempotencyrecord`, created by
`api/0001_initial`), so an existing database keeps its keys and stored answers with no
table change. `api/0002_move_to_integrations` removes them from the api app's state.
The content types (and so any permission or admin log entry on them) follow the models.
"""

import django.db.models.deletion
from django.db import migrations, models

MOVED = ("apikey", "idempotencyrecord")


def content_types_follow(apps, schema_editor, *, old="api", new="integrations"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def content_types_back(apps, schema_editor):
    content_types_follow(apps, schema_editor, old="integrations", new="api")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("api", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0002_staff_permissions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="ApiKey",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=100)),
                        ("prefix", models.CharField(max_length=16, unique=True)),
                        ("secret_hash", models.CharField(help_text="hex SHA-256 of the secret", max_length=64)),
                        ("scope", models.CharField(choices=[("read", "Read"), ("write", "Read and write")], max_length=8)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("revoked_at", models.DateTimeField(blank=True, null=True)),
                        ("customer", models.ForeignKey(blank=True, help_text="Empty: every customer.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="customers.customer")),
                    ],
                    options={
                        "verbose_name": "API key",
                        "db_table": "api_apikey",
                        "ordering": ["id"],
                    },
                ),
                migrations.CreateModel(
                    name="IdempotencyRecord",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("owner", models.CharField(help_text="api-key:<id> or user:<id>", max_length=64)),
                        ("key", models.CharField(max_length=255)),
                        ("fingerprint", models.CharField(help_text="SHA-256 of method, path and body", max_length=64)),
                        ("method", models.CharField(max_length=8)),
                        ("path", models.CharField(max_length=500)),
                        ("status", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("body", models.BinaryField(default=b"")),
                        ("content_type", models.CharField(blank=True, max_length=100)),
                        ("started_at", models.DateTimeField()),
                        ("completed_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "db_table": "api_idempotencyrecord",
                        "ordering": ["id"],
                        "indexes": [models.Index(fields=["started_at"], name="idempotency_started")],
                        "constraints": [models.UniqueConstraint(fields=("owner", "key"), name="idempotency_key_per_owner")],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_follow, content_types_back, elidable=True),
    ]
