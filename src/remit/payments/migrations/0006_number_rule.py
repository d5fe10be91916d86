"""Payment and scheduled payment numbers follow the number rule
(remit.core.inputs.identifiers) in the database too: the CHECK of
remit.core.constraints.number_rule, written out here as it was when this migration was made. Rows that break it are named first, so the migration stops with a
sentence rather than the database's bare "CHECK constraint failed"."""

from django.db import migrations, models
from django.db.models.functions import Length, Substr
from django.db.models.lookups import Exact, LessThanOrEqual

FIRST = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
CHARS = FIRST + "._-"


def _trim(expression, characters):
    return models.Func(
        expression, models.Value(characters), function="TRIM", output_field=models.CharField()
    )


def number_rule(max_length, name):
    number = models.F("number")
    return models.CheckConstraint(
        condition=models.Q(
            Exact(_trim(number, CHARS), ""),
            Exact(_trim(Substr(number, 1, 1), FIRST), ""),
            LessThanOrEqual(Length(number), max_length),
        )
        & ~models.Q(number=""),
        name=name,
        violation_error_message="A number breaks the number rule.",
    )


def name_the_rows_that_break_it(apps, schema_editor):
    bad = []
    for model_name, max_length in RULES:
        model = apps.get_model(model_name)
        rule = number_rule(max_length, "precheck").condition
        bad += model.objects.exclude(rule).values_list("number", flat=True)[:10]
    if bad:
        raise RuntimeError(
            "These numbers break the number rule (ASCII letters, digits, '.', '_' and '-', "
            f"starting with a letter or digit): {', '.join(map(repr, bad))}. "
            "Rename them, then migrate again."
        )


RULES = [("payments.Payment", 32), ("payments.ScheduledPayment", 32)]


class Migration(migrations.Migration):
    dependencies = [("payments", "0005_timestamps_set_by_the_database")]

    operations = [
        migrations.RunPython(name_the_rows_that_break_it, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="payment", constraint=number_rule(32, "payment_number_rule")
        ),
        migrations.AddConstraint(
            model_name="scheduledpayment", constraint=number_rule(32, "schedule_number_rule")
        ),
    ]
