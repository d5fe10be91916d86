"""The number rule as a database CHECK, the same on SQLite and PostgreSQL.

Neither backend shares a regular-expression syntax with the other inside a CHECK (SQLite
has none of its own; Django's REGEXP is a function only its own connections know, so a
`sqlite3` shell could no longer write the table). Both have `trim(text, characters)`,
which strips the given characters from both ends: a number holds only allowed characters
exactly when trimming them all leaves nothing. So the CHECK says, with plain functions:
1 to N characters, all of them letters, digits, `.`, `_` or `-`, the first a letter or
digit. The services refuse a bad number first, with a sentence
(`core.inputs.identifiers`); this is the backstop for anything that writes around them.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Length, Substr
from django.db.models.lookups import Exact, LessThanOrEqual

from remit.core.inputs.identifiers import CHARS, FIRST


def _trim(expression: models.Expression | models.F, characters: str) -> models.Func:
    return models.Func(
        expression, models.Value(characters), function="TRIM", output_field=models.CharField()
    )


def number_rule(field: str, *, max_length: int, name: str) -> models.CheckConstraint:
    """A CHECK that `field` follows the number rule and is at most `max_length` long."""
    column = models.F(field)
    return models.CheckConstraint(
        condition=models.Q(
            Exact(_trim(column, CHARS), ""),
            Exact(_trim(Substr(column, 1, 1), FIRST), ""),
            LessThanOrEqual(Length(column), max_length),
        )
        & ~models.Q(**{field: ""}),
        name=name,
        violation_error_message=f"A {field} breaks the number rule.",
    )
