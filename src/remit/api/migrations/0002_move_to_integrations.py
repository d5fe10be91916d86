"""ApiKey and IdempotencyRecord now belong to the integrations app (see
`integrations/0001_initial`): removed from this app's state only; their tables stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("api", "0001_initial"),
        ("integrations", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(model_name="apikey", name="customer"),
                migrations.DeleteModel(name="IdempotencyRecord"),
                migrations.DeleteModel(name="ApiKey"),
            ],
        ),
    ]
