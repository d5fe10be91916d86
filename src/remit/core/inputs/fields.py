"""Django form fields over the shared parsers, for the faces that have HTML forms.

The portal and the back office read amounts, numbers and dates through these, so a form
says exactly what the API and the command line say about the same input. Django's own
fields would not: `DecimalField` takes `1e10` and full-width digits, `DateField` has its
own formats and sentences, and `max_length` words its own refusal. Like every Django
text field, these trim surrounding spaces first (a form's padding is not part of what
was meant).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from django import forms

from remit.core.errors import RemitError
from remit.core.inputs.amounts import amount_parse
from remit.core.inputs.dates import date_parse
from remit.core.inputs.free_text import free_text_parse
from remit.core.inputs.identifiers import MAX_LENGTH, NumberKind, number_parse
from remit.core.money import Money

T = TypeVar("T")


class AmountField(forms.CharField):
    """A positive amount in `currency` (set by the form, which knows the customer)."""

    def __init__(self, *, currency: str = "", **kwargs) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)
        self.currency = currency

    def clean(self, value: str) -> Money | None:  # type: ignore[override]
        text = super().clean(value)
        if text in self.empty_values:
            return None
        return _or_error(lambda: amount_parse(text, self.currency))


class NumberField(forms.CharField):
    """A customer, invoice or payment number, by the number rule."""

    def __init__(self, *, kind: NumberKind, **kwargs) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self.widget.attrs.setdefault("maxlength", str(MAX_LENGTH[kind]))

    def clean(self, value: str) -> str:
        text = super().clean(value)
        if text in self.empty_values:
            return text
        return _or_error(lambda: number_parse(text, self.kind))


class FreeTextField(forms.CharField):
    """Text a person types (a reference, notes, a description, a reason): anything but a
    card number. `what` names it in the refusal ("Remove the card number from the notes:
    ...")."""

    def __init__(self, *, what: str, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.what = what

    def clean(self, value: str) -> str:
        text = super().clean(value)
        return _or_error(lambda: free_text_parse(text, what=self.what))


class DateInput(forms.DateInput):
    """The browser's date field: typed, or picked from its calendar; it posts YYYY-MM-DD."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DayField(forms.CharField):
    """A date as YYYY-MM-DD, by the parser every face uses."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", DateInput())
        super().__init__(**kwargs)

    def clean(self, value: str) -> date | None:  # type: ignore[override]
        text = super().clean(value)
        if text in self.empty_values:
            return None
        return _or_error(lambda: date_parse(text))


def _or_error(parse: Callable[[], T]) -> T:
    """What `parse` returns, or its refusal's sentence as the field's error."""
    try:
        return parse()
    except RemitError as error:
        raise forms.ValidationError(error.message) from None
