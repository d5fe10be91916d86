"""The corrections' forms (issue 14): write off an invoice's balance, move one allocation
of a payment. Amounts are read by the shared parsers; the services decide the rest."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms

from remit.backoffice.forms import new_key
from remit.core.inputs.fields import AmountField, FreeTextField
from remit.payments.models import PayoutType, WriteOffReason


class WriteOffForm(forms.Form):
    prefix = "write_off"  # the page has the Void dialog's form too: ids of its own
    amount = AmountField(
        label="Amount to write off",
        required=False,
        help_text="Empty: the whole balance due.",
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "class": "money-input"}
        ),
    )
    reason = forms.ChoiceField(label="Reason", choices=WriteOffReason.choices)
    key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, currency: str, **kwargs) -> None:
        kwargs.setdefault("initial", {"key": new_key(), "reason": WriteOffReason.SMALL_BALANCE})
        super().__init__(*args, **kwargs)
        self.fields["amount"].currency = currency
        self.fields["amount"].widget.attrs["autofocus"] = True


class CreditNoteForm(forms.Form):
    prefix = "credit_note"
    amount = AmountField(
        label="Amount to credit",
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "class": "money-input"}
        ),
    )
    reason = FreeTextField(what="reason", label="Reason", max_length=300)
    key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, currency: str, **kwargs) -> None:
        kwargs.setdefault("initial", {"key": new_key()})
        super().__init__(*args, **kwargs)
        self.fields["amount"].currency = currency


class PayoutForm(forms.Form):
    prefix = "payout"
    amount = AmountField(
        label="Amount to pay out",
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "class": "money-input"}
        ),
    )
    currency = forms.ChoiceField(  # the view reads it first: it sets the amount's currency
        label="Currency",
        required=False,
        help_text="Back to a card, credit goes in that payment's currency.",
    )
    type = forms.ChoiceField(label="Paid by", choices=PayoutType.choices)
    reference = FreeTextField(
        what="reference", label="Check # or transfer reference", max_length=64, required=False
    )
    key = forms.CharField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        currency: str,
        currencies: Sequence[str] = (),
        cards: Sequence[tuple[str, str]] = (),
        **kwargs,
    ) -> None:
        """`currency`: the credit paid out, of `currencies` (those the customer has credit
        in; the Currency choice is shown when there are several). `cards`: ("card:PMT-…",
        label) for each card or bank payment whose credit may go back to its card
        (`card_payout_sources`)."""
        kwargs.setdefault("initial", {"key": new_key(), "currency": currency})
        super().__init__(*args, **kwargs)
        self.fields["amount"].currency = currency
        self.fields["currency"].choices = [(c, c) for c in currencies or [currency]]
        if len(currencies) < 2:
            self.fields["currency"].widget = forms.HiddenInput()
        self.fields["type"].choices = [*PayoutType.choices, *cards]


CARD_CHOICE = "card:"
"""How a Paid by choice names a payment to refund: `card:PMT-000123`."""

NEWEST = ""
"""The Reopen choice that lets the refund reopen the newest invoices first."""


class RefundForm(forms.Form):
    prefix = "refund"
    amount = AmountField(
        label="Amount to refund",
        required=False,
        help_text="Empty: all that is left of the payment.",
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "class": "money-input"}
        ),
    )
    invoice = forms.ChoiceField(label="Reopen", required=False)
    key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, currency: str, invoices: list[tuple[str, str]], **kwargs) -> None:
        kwargs.setdefault("initial", {"key": new_key()})
        super().__init__(*args, **kwargs)
        self.fields["amount"].currency = currency
        self.fields["invoice"].choices = [(NEWEST, "The newest invoices first"), *invoices]


CREDIT = "credit"
"""The Move to choice that sends the money to customer credit (unapply)."""


class MoveForm(forms.Form):
    prefix = "move"
    source = forms.ChoiceField(label="Move from")
    to = forms.ChoiceField(label="Move to")
    amount = AmountField(
        label="Amount",
        required=False,
        help_text="Empty: all the payment applied to that invoice.",
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "class": "money-input"}
        ),
    )
    key = forms.CharField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        currency: str,
        sources: list[tuple[str, str]],
        targets: list[tuple[str, str]],
        **kwargs,
    ) -> None:
        kwargs.setdefault("initial", {"key": new_key(), "to": CREDIT})
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = sources
        self.fields["to"].choices = [(CREDIT, "Customer credit (unapply)"), *targets]
        self.fields["amount"].currency = currency
