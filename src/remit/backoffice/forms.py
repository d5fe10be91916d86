"""The back office's forms: they parse what the clerk typed into typed values for the
services, and say what is wrong next to the field, in a sentence. Amounts, numbers, dates
and invoice rows are read by the parsers every face uses (`remit.core.inputs`), so a clerk
is told what the API and the command line say about the same input. No business rule
here: the services decide what may be posted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from django import forms
from django.http import QueryDict
from django.utils import timezone

from remit.core.errors import RemitError
from remit.core.inputs.amounts import amount_parse
from remit.core.inputs.fields import AmountField, DayField, FreeTextField, NumberField
from remit.core.inputs.identifiers import NumberKind
from remit.core.inputs.invoice_list import InvoiceRequest, invoice_request_parse, invoices_once
from remit.core.inputs.terms import days_parse, percent_parse
from remit.core.money import Money
from remit.invoices.rules import invoice_dates_check
from remit.payments.models import PaymentMethod, PaymentType
from remit.payments.post_date import post_date_check
from remit.payments.selectors import method_chosen

PAYMENT_TYPES = [
    (PaymentType.CHECK.value, "Check"),
    (PaymentType.MONEY_ORDER.value, "Money Order"),
    (PaymentType.CARD.value, "Credit Card"),
    (PaymentType.CASH.value, "Cash"),
    (PaymentType.PAYPAL.value, "PayPal"),
    (PaymentType.OTHER.value, "Other"),
]
"""The seed's Payment Type list, in its order."""
NUMBERED = {PaymentType.CHECK: "check", PaymentType.MONEY_ORDER: "money order"}
# What the Customer Payment window keeps when a change of currency redraws it (the amounts
# per invoice go: the invoices are another currency's).
KEPT_ON_REDRAW = ("post_date", "payment_type", "reference", "method", "amount", "notes")
"""Types whose Check/Money Order # is enabled (and needed)."""

MAX_CSV_BYTES = 10 * 1024 * 1024


def new_key() -> str:
    """An idempotency key, made when a form is shown, before the first click on Save."""
    return f"backoffice-{uuid.uuid4()}"


class PaymentForm(forms.Form):
    """The fields of the seed's payment window, shared by the Customer Payment window."""

    post_date = DayField(label="Post Date", error_messages={"required": "Enter the Post Date."})
    payment_type = forms.ChoiceField(
        label="Payment Type", choices=PAYMENT_TYPES, widget=forms.Select(attrs={"data-type": ""})
    )
    reference = FreeTextField(
        what="reference",
        label="Check/Money Order #",
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-numbered": ""}),
    )
    method = forms.ChoiceField(
        label="Card",
        required=False,
        error_messages={"invalid_choice": "Choose one of the customer's cards."},
    )
    amount = AmountField(
        label="Total Payment Amount",
        widget=forms.TextInput(
            attrs={
                "inputmode": "decimal",
                "autocomplete": "off",
                "autofocus": True,
                "data-select-on-focus": "",
                "class": "money-input",
            }
        ),
    )
    allow_duplicate = forms.BooleanField(
        required=False, label="Post it anyway: it is not the same payment twice"
    )
    notes = FreeTextField(
        what="notes",
        label="Notes",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Internal: never on a receipt or in the portal. Shift+Enter for a new line.",
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=255)

    def __init__(self, *args, currency: str, cards: list[PaymentMethod], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.cards = {str(card.pk): card for card in cards}
        self.fields["method"].choices = [(pk, card.display) for pk, card in self.cards.items()]
        self.fields["amount"].currency = currency
        self.fields["amount"].error_messages["required"] = "Enter the Total Payment Amount."

    @classmethod
    def blank(
        cls,
        *,
        currency: str,
        cards: list[PaymentMethod],
        amount: Money | None = None,
        typed: QueryDict | None = None,
    ):
        """A new form; `typed`: what the clerk had typed before the window was redrawn (a
        change of currency), shown again as typed, checked when saved."""
        initial = {
            "post_date": timezone.localdate(),
            "payment_type": PaymentType.CHECK.value,
            "method": method_chosen(cards),  # never a card declined last time
            "amount": str(amount) if amount else "",
            "idempotency_key": new_key(),
        }
        kept = {name: typed[name] for name in KEPT_ON_REDRAW if typed and typed.get(name)}
        return cls(initial=initial | kept, currency=currency, cards=cards)

    def clean_post_date(self) -> date:
        try:  # the domain's rule, said next to the field
            return post_date_check(self.cleaned_data["post_date"], today=timezone.localdate())
        except RemitError as error:
            raise forms.ValidationError(error.message) from None

    def clean(self) -> dict:
        data = super().clean()
        kind = data.get("payment_type")
        if kind in NUMBERED:
            if not data.get("reference", "").strip() and "reference" not in self.errors:
                self.add_error("reference", f"Enter the {NUMBERED[kind]} number.")
        else:
            data["reference"] = ""
        if kind == PaymentType.CARD:
            card = self.cards.get(data.get("method") or "")
            if card is None and "method" not in self.errors:
                self.add_error("method", "Choose a card on file, or add the customer's card.")
            data["card"] = card
        return data

    def with_new_key(self, data: QueryDict, *, cards: list[PaymentMethod]) -> PaymentForm:
        """The same form with a fresh key (the old one is spent on a declined payment), the
        customer's cards as they are now, and the card chosen again without the one that
        was just declined (a card not saved is gone once tried)."""
        fresh = data.copy()
        fresh["idempotency_key"] = new_key()
        fresh["method"] = method_chosen(cards, data.get("method", ""))
        form = PaymentForm(fresh, currency=self.currency, cards=cards)
        form.is_valid()
        form.errors.pop("method", None)  # the decline is what the clerk needs to read there
        return form


@dataclass
class Rows:
    """The invoice rows of a window: their numbers, and the amounts fixed by hand."""

    numbers: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    requests: list[InvoiceRequest] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)


def parse_rows(data: QueryDict, currency: str, *, chosen: set[str] | None = None) -> Rows:
    """Rows posted as parallel lists `invoice` and `fixed` (empty: spread the rest), read
    by the invoice-list parser every face uses; a bad row's sentence is kept by its index.

    With `chosen`, only the rows whose numbers are in it are requested (apply credit).
    """
    numbers = data.getlist("invoice")
    fixed = data.getlist("fixed")
    fixed += [""] * (len(numbers) - len(fixed))
    rows = Rows(numbers=numbers, fixed=fixed[: len(numbers)])
    for index, (number, text) in enumerate(zip(numbers, rows.fixed, strict=True)):
        if chosen is not None and number not in chosen:
            continue
        try:
            rows.requests.append(
                invoice_request_parse(number.strip(), text.strip(), currency, index=index)
            )
        except RemitError as error:
            rows.errors[index] = error.message
    if not rows.errors:
        try:
            invoices_once([request.number for request in rows.requests])
        except RemitError as error:
            rows.errors[len(numbers)] = error.message
    return rows


class VoidForm(forms.Form):
    reason = FreeTextField(
        what="reason",
        label="Reason",
        max_length=300,
        help_text="Optional; kept with the void in the audit trail.",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )


class CustomerForm(forms.Form):
    number = NumberField(label="Customer number", kind=NumberKind.CUSTOMER)
    name = forms.CharField(label="Name", max_length=200)
    email = forms.EmailField(label="Email", required=False)
    currency = forms.CharField(label="Currency", max_length=3, initial="USD")


class InvoiceForm(forms.Form):
    """A new invoice. The service checks it all again as it checks a CSV line
    (`invoices.csv_import.row_refusal`); the dates are checked here too, so that every
    mistake is shown at once."""

    customer = NumberField(label="Customer number", kind=NumberKind.CUSTOMER)
    number = NumberField(label="Invoice number", kind=NumberKind.INVOICE)
    invoice_date = DayField(label="Invoice date")
    due_date = DayField(label="Due date")
    total = forms.CharField(label="Total", widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    description = FreeTextField(
        what="description", label="Description", widget=forms.TextInput(attrs={"maxlength": "500"})
    )

    discount_percent = forms.CharField(
        label="Discount %",
        required=False,
        help_text="Early-payment terms: 2 for 2/10 net 30 (with the days).",
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    discount_days = forms.CharField(
        label="Discount days",
        required=False,
        help_text="Days after the invoice date the discount lasts.",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, customer_of, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.customer_of = customer_of  # customer number -> Customer, or None

    def clean_discount_percent(self):
        text = self.cleaned_data["discount_percent"].strip()
        return _parsed(lambda: percent_parse(text)) if text else None

    def clean_discount_days(self):
        text = self.cleaned_data["discount_days"].strip()
        return _parsed(lambda: days_parse(text)) if text else None

    def clean(self) -> dict:
        data = super().clean()
        number = data.get("customer", "").strip()
        customer = self.customer_of(number) if number else None
        if number and customer is None:
            self.add_error("customer", f"There is no customer {number}.")
        data["customer"] = customer
        if customer and data.get("total"):
            try:
                data["total"] = amount_parse(data["total"], customer.currency)
            except RemitError as error:
                self.add_error("total", error.message)
        starts, due = data.get("invoice_date"), data.get("due_date")
        if starts and due:
            try:
                invoice_dates_check(starts, due)  # the domain's rule, said next to its field
            except RemitError as error:
                self.add_error(next(iter(error.fields)), error.message)
        return data


def _parsed(parse):
    """What a shared parser gives, or its sentence as the field's error."""
    try:
        return parse()
    except RemitError as error:
        raise forms.ValidationError(error.message) from None


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file")

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError("The file is larger than 10 MB; split it in parts.")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                "The file is not UTF-8 text; save it as CSV UTF-8."
            ) from None


def attach_error(form: forms.Form, error: RemitError, fields: dict[str, str]) -> None:
    """Put a service's refusal next to the field it names, or above the form."""
    for name in error.fields:
        target = fields.get(name, name)
        if target in form.fields:
            form.add_error(target, error.message)
            return
    # A refusal without `fields` that names what was typed in one field belongs there
    # ("Invoice INV-0042 already exists." next to the invoice number).
    mentioned = [
        name
        for name, value in form.data.items()
        if name in form.fields
        and not form.fields[name].widget.is_hidden
        and len(value.strip()) >= 3
        and value.strip() in error.message
    ]
    form.add_error(mentioned[0] if len(mentioned) == 1 else None, error.message)


SERVICE_FIELDS = {
    "amount": "amount",
    "currency": "amount",
    "type": "payment_type",
    "method": "method",
    "idempotency_key": None,
}
"""Service `fields` keys -> the payment form's field names."""
