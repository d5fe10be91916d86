"""The portal's forms: they parse what the browser sends and nothing more.

Ids in them (a payment method, an invoice number) are only strings here; the views look
each one up through the current customer.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from remit.core.inputs.fields import DayField
from remit.payments.services.schedule import MAX_DAYS_AHEAD

NEW_METHOD = "new"
"""The method choice "Add a payment method" (not a saved method)."""


class PayForm(forms.Form):
    key = forms.UUIDField(error_messages={"required": "The form has expired; open it again."})
    invoice = forms.CharField(required=False)  # read with getlist by the view
    method = forms.CharField(required=False, max_length=20)
    use_credit = forms.BooleanField(required=False)

    def clean_method(self) -> str:
        method = self.cleaned_data["method"].strip()
        return "" if method == NEW_METHOD else method


class PayLinkForm(forms.Form):
    """Make Payment on a pay link's page: the key made when the page was shown."""

    key = forms.UUIDField(error_messages={"required": "The page has expired; open it again."})


class ScheduleForm(forms.Form):
    key = forms.UUIDField(error_messages={"required": "The form has expired; open it again."})
    invoice = forms.CharField(required=False)
    method = forms.CharField(max_length=20, error_messages={"required": "Choose a payment method."})
    run_on = DayField(label="Payment date", error_messages={"required": "Choose a date."})

    def clean_method(self) -> str:
        method = self.cleaned_data["method"].strip()
        if method in ("", NEW_METHOD):
            raise forms.ValidationError("Add the payment method first, or choose a saved one.")
        return method

    @staticmethod
    def date_range() -> tuple:
        today = timezone.localdate()
        return today + timedelta(days=1), today + timedelta(days=MAX_DAYS_AHEAD)


class MethodAddForm(forms.Form):
    """What the gateway's card entry sends: the token, the holder's name, and whether the
    customer chose to save the method. remit asks the gateway what the token is.

    There is no field for a card number, and none is ever read.
    """

    token = forms.CharField(max_length=128)
    holder_name = forms.CharField(required=False, max_length=200)
    save = forms.BooleanField(required=False)
    form_id = forms.ChoiceField(
        required=False,
        choices=[("pay-form", "pay"), ("schedule-form", "schedule"), ("page", "page")],
    )

    def clean_save(self) -> bool:
        """Only the pay dialog offers not to save: a schedule, or the methods page, saves."""
        return self.cleaned_data["save"] or self.data.get("form_id") != "pay-form"
