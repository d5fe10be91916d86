"""Payments, their allocations to invoices, customer credit, and status history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from remit.core.constraints import number_rule
from remit.core.inputs.identifiers import MAX_LENGTH, NumberKind
from remit.core.money import Money
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.payments.states import PaymentStatus


class PaymentType(models.TextChoices):
    CHECK = "check", "Check"
    MONEY_ORDER = "money_order", "Money Order"
    CASH = "cash", "Cash"
    CARD = "card", "Credit Card"
    BANK = "bank", "Bank Account"
    PAYPAL = "paypal", "PayPal"
    CREDIT = "credit", "Customer Credit"
    """Customer credit applied to invoices: no new money comes in."""
    OTHER = "other", "Other"
    BANK_TRANSFER = "bank_transfer", "Bank Transfer"
    """A transfer or wire the bank's statement reports (cash application)."""
    ACH = "ach", "ACH"
    """An ACH credit the bank's statement reports (cash application)."""
    WRITE_OFF = "write_off", "Write-off"
    """An invoice balance closed without money: booked to the write-off account of its
    reason (a bank fee, a discount, a small balance, bad debt). Voided to undo."""
    CREDIT_NOTE = "credit_note", "Credit note"
    """An invoice credited: less is owed; what is beyond its balance becomes credit."""
    PAYOUT = "payout", "Credit paid out"
    """Customer credit given back as money, by check or transfer (its `reason`)."""


NON_CASH_TYPES = frozenset(
    {PaymentType.CREDIT, PaymentType.WRITE_OFF, PaymentType.CREDIT_NOTE, PaymentType.PAYOUT}
)
"""Documents kept as payments that bring no money in (reports of cash leave them out)."""


class PayoutType(models.TextChoices):
    """How customer credit is paid out."""

    CHECK = "check", "Check"
    TRANSFER = "transfer", "Transfer"


CARD_PAYOUT = "card"
"""The reason of a pay-out made through the gateway, to the card (or bank account) the
credit came from (`remit.payments.services.card_payout`); its journal entry credits
Refunds, as a refund does, where a check or transfer credits Credit paid out."""


class WriteOffReason(models.TextChoices):
    """Why a balance is written off; each has its own journal account."""

    BANK_FEE = "bank_fee", "Bank fee"
    DISCOUNT = "discount", "Discount"
    SMALL_BALANCE = "small_balance", "Small balance"
    BAD_DEBT = "bad_debt", "Bad debt"
    OTHER = "other", "Other"


OFFLINE_TYPES = frozenset(
    {
        PaymentType.CHECK,
        PaymentType.MONEY_ORDER,
        PaymentType.CASH,
        PaymentType.PAYPAL,
        PaymentType.OTHER,
        PaymentType.BANK_TRANSFER,
        PaymentType.ACH,
    }
)
"""Money already in hand when staff post it: settled at once."""


class Source(models.TextChoices):
    BACKOFFICE = "backoffice", "Back office"
    PORTAL = "portal", "Customer portal"
    API = "api", "API"
    CLI = "cli", "Command line"
    SCHEDULED = "scheduled", "Scheduled payment"
    DEMO = "demo", "Demo data"
    BANK = "bank", "Bank statement"


class MethodKind(models.TextChoices):
    CARD = "card", "Card"
    BANK = "bank", "Bank account"


class PaymentMethod(models.Model):
    """A saved card or bank account: the gateway's token and what may be shown of it.

    Never the card number or CVC: those go to the gateway's tokenising form only. One card
    is one live method per customer: the gateway's `fingerprint` names the card whatever
    its token, and adding the same card again returns the method already saved.

    `saved` is the customer's choice when adding it ("Save this card for later payments").
    A method not saved exists only to pay the payment it was added for: it is never
    listed or the default, and it is removed once that payment has been tried.
    """

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="methods")
    kind = models.CharField(max_length=8, choices=MethodKind.choices)
    gateway = models.CharField(max_length=16, help_text="The gateway that issued the token.")
    token = models.CharField(max_length=128)
    brand = models.CharField(max_length=64, help_text="Visa, Mastercard… or the bank's name.")
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    holder_name = models.CharField(max_length=200, blank=True)
    label = models.CharField(max_length=100, blank=True)
    is_default = models.BooleanField(default=False)
    removed = models.BooleanField(default=False, help_text="Kept for the payments that used it.")
    fingerprint = models.CharField(
        max_length=64,
        blank=True,
        help_text="The gateway's name for the card itself (the same for every token of it).",
    )
    saved = models.BooleanField(
        default=True, help_text="False: for one payment only, removed once it has been tried."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(is_default=True, removed=False),
                name="one_default_method_per_customer",
            ),
            models.UniqueConstraint(
                fields=["customer", "fingerprint"],
                condition=models.Q(removed=False) & ~models.Q(fingerprint=""),
                name="one_live_method_per_card",
            ),
        ]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        """'Visa •••• 4242' — how a method is named on every screen and receipt."""
        return f"{self.brand} •••• {self.last4}"


class Payment(models.Model):
    number = models.CharField(max_length=MAX_LENGTH[NumberKind.PAYMENT], unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payments")
    type = models.CharField(max_length=16, choices=PaymentType.choices)
    reference = models.CharField(
        max_length=64, blank=True, help_text="Check or money order number, or other reference."
    )
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    post_date = models.DateField()
    notes = models.TextField(blank=True, help_text="Internal: never on a receipt or the portal.")
    status = models.CharField(max_length=16, choices=PaymentStatus.choices())
    allocation_policy = models.CharField(max_length=16, help_text="oldest_first or explicit.")
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.CharField(max_length=150)
    source = models.CharField(max_length=16, choices=Source.choices)
    idempotency_key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    void_reason = models.CharField(max_length=300, blank=True)
    method = models.ForeignKey(
        PaymentMethod, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    gateway_outcome = models.CharField(
        max_length=16, blank=True, help_text="The gateway's last answer: approved, unknown…"
    )
    failure_reason = models.CharField(max_length=300, blank=True)
    reason = models.CharField(
        max_length=300,
        blank=True,
        help_text="A write-off's reason (bank_fee, discount…) or a credit note's, as given.",
    )
    banked_on = models.DateField(
        null=True,
        blank=True,
        help_text="The day offline money reached the bank (a deposit, a statement line).",
    )
    discount_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="discounts",
        help_text="An early-payment discount: the payment that earned it (voided with it).",
    )

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("post_payment", "Can post payments"),
            ("void_payment", "Can void and refund payments"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="payment_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["customer", "idempotency_key"], name="payment_idempotency_key_per_customer"
            ),
            number_rule(
                "number", max_length=MAX_LENGTH[NumberKind.PAYMENT], name="payment_number_rule"
            ),
        ]
        # A customer's payments by reference: the duplicate check before every offline
        # payment with one, and the write-offs a payment's answer lists (their reference is
        # the payment), stay one index probe however many payments a customer has.
        indexes = [models.Index(fields=["customer", "reference"], name="payment_customer_ref")]

    def __str__(self) -> str:
        return self.number

    @property
    def amount(self) -> Money:
        return Money.from_minor(self.amount_minor, self.currency)

    @property
    def reason_label(self) -> str:
        """A write-off's reason as people read it ("Bank fee"); a credit note's as given."""
        if self.type == PaymentType.WRITE_OFF and self.reason in WriteOffReason.values:
            return WriteOffReason(self.reason).label
        return self.reason


class Allocation(models.Model):
    """An amount of one payment applied to one invoice. Reversed, never deleted."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reversed = models.BooleanField(default=False)
    moved = models.BooleanField(
        default=False,
        help_text="Reversed by a move (unapply, reallocate), not by a void: its money went to "
        "credit or to another allocation of the same payment.",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="allocation_amount_positive"
            ),
        ]
        indexes = [models.Index(fields=["invoice", "reversed"])]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.invoice_id}: {self.amount}"

    @property
    def amount(self) -> Money:
        return Money.from_minor(self.amount_minor, self.currency)


class CreditKind(models.TextChoices):
    CREATED = "created", "Credit from a payment"
    """The unapplied part of a payment (an overpayment)."""
    APPLIED = "applied", "Applied to invoices"
    REVERSED = "reversed", "Reversed by a void"
    """The credit a voided payment had created, taken back."""
    RESTORED = "restored", "Restored by a void"
    """Credit given back when a credit application (or a pay-out) is voided."""
    PAID_OUT = "paid_out", "Paid out"
    """Credit given back as money: a check or a transfer to the customer."""
    DISPUTED = "disputed", "Taken by a dispute"
    """A payment's credit taken by its dispute (negative), or given back when it is won."""


class CreditEntry(models.Model):
    """The customer credit ledger: the balance is the sum of entries, never negative."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credit_entries")
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField(help_text="Positive adds credit, negative uses it.")
    kind = models.CharField(max_length=16, choices=CreditKind.choices)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="credit_entries")
    note = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "credit entries"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount_minor=0), name="credit_entry_not_zero"
            ),
        ]
        indexes = [models.Index(fields=["customer", "currency"])]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.amount}: {self.note}"

    @property
    def amount(self) -> Money:
        return Money.from_minor(self.amount_minor, self.currency)


class GatewayOperation(models.TextChoices):
    CHARGE = "charge", "Charge"
    VOID = "void", "Void"
    REFUND = "refund", "Refund"


class GatewayAttempt(models.Model):
    """One operation at the gateway, written before its request is sent (outcome empty)
    and completed from the answer. Its key is derived from the payment, so a resend after
    a crash or a lost answer carries the same key and the gateway cannot act twice. Its
    lifecycle (in flight, unfinished, never reached) is `remit.payments.services.attempts`."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="attempts")
    operation = models.CharField(max_length=8, choices=GatewayOperation.choices)
    idempotency_key = models.CharField(max_length=255, unique=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    outcome = models.CharField(max_length=16, blank=True, help_text="Empty while in flight.")
    gateway_reference = models.CharField(max_length=128, blank=True)
    decline_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When last sent.")
    deadline = models.DateTimeField(
        null=True, blank=True, help_text="The gateway may not act on the last send after this."
    )
    sends = models.PositiveIntegerField(default=0, help_text="Times sent, with the same key.")
    sequence = models.PositiveSmallIntegerField(
        default=0,
        help_text="0: the payment's charge, void or (last) full refund; 1, 2…: its partial "
        "refunds, each with a key of its own.",
    )
    plan = models.JSONField(
        default=dict,
        blank=True,
        help_text="A partial refund's invoices: {invoice number: minor units} it reopens.",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "operation", "sequence"], name="one_attempt_per_operation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.idempotency_key}: {self.outcome or 'in flight'}"


class PaymentEvent(models.Model):
    """One applied transition of the state table: the payment's status history."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=16)
    action = models.CharField(max_length=16)
    outcome = models.CharField(max_length=16)
    to_status = models.CharField(max_length=16)
    detail = models.CharField(max_length=300, blank=True)
    actor = models.CharField(max_length=150)
    at = models.DateTimeField(db_default=Now())  # set by the database

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.from_status} --{self.action}/{self.outcome}--> {self.to_status}"


class EventKind(models.TextChoices):
    PAYMENT_POSTED = "payment.posted", "Payment posted"
    PAYMENT_SETTLED = "payment.settled", "Payment settled"
    PAYMENT_FAILED = "payment.failed", "Payment failed"
    PAYMENT_VOIDED = "payment.voided", "Payment voided"
    PAYMENT_REFUNDED = "payment.refunded", "Payment refunded"
    INVOICE_PAID = "invoice.paid", "Invoice paid"
    INVOICE_REOPENED = "invoice.reopened", "Invoice reopened"
    PAYMENT_UNAPPLIED = "payment.unapplied", "Payment moved to credit"
    PAYMENT_REALLOCATED = "payment.reallocated", "Payment moved to another invoice"
    PAYMENT_PARTLY_REFUNDED = "payment.partly_refunded", "Payment partly refunded"
    PAYMENT_DISPUTED = "payment.disputed", "Payment disputed by the cardholder"
    PAYMENT_DISPUTE_WON = "payment.dispute_won", "Dispute won"
    PAYMENT_DISPUTE_LOST = "payment.dispute_lost", "Dispute lost: charged back"


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    """The money left with the dispute; the gateway has not decided it yet."""
    WON = "won", "Won"
    """Decided for the business: the disputed amount came back (the fee did not)."""
    LOST = "lost", "Lost"
    """Decided for the cardholder: the disputed amount is gone. Final."""


class Dispute(models.Model):
    """A cardholder's dispute of a card payment, as the gateway reported it (a chargeback).

    One per gateway dispute id, so an event delivered twice finds it and does nothing
    more. `plan` is what it took from the payment when it opened, newest invoice first:
    [[invoice number, minor units] reopened, …], and ["", minor units] for what it took
    from the credit the payment had created (a list: PostgreSQL's jsonb keeps no order)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="disputes")
    gateway_id = models.CharField(max_length=255, unique=True, help_text="dp_… at the gateway.")
    amount_minor = models.BigIntegerField()
    fee_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=8, choices=DisputeStatus.choices)
    reason = models.CharField(max_length=100, blank=True, help_text="The gateway's reason code.")
    plan = models.JSONField(default=list, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="dispute_amount_positive"
            ),
            models.CheckConstraint(condition=models.Q(fee_minor__gte=0), name="dispute_fee_sign"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway_id} {self.payment_id} {self.amount}: {self.status}"

    @property
    def amount(self) -> Money:
        return Money.from_minor(self.amount_minor, self.currency)

    @property
    def fee(self) -> Money:
        return Money.from_minor(self.fee_minor, self.currency)

    @property
    def invoices_reopened(self) -> list[str]:
        """The invoices it reopened when it opened (newest first)."""
        return [number for number, _ in self.plan if number]


class Event(models.Model):
    """What changed, in order, for integrators to sync from with a cursor (the id).

    Written by the services in the same transaction as the change, never updated.
    """

    at = models.DateTimeField(db_default=Now())  # set by the database
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    object_number = models.CharField(max_length=64, help_text="PMT-… or INV-…")
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["customer", "id"])]

    def __str__(self) -> str:
        return f"{self.id} {self.kind} {self.object_number}"


class ScheduleStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    """Holds its invoices until it runs or is cancelled."""
    RUNNING = "running", "Running"
    """Released its invoices and is charging (a crash here is resumed by the next run)."""
    RAN = "ran", "Ran"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"


class ScheduledPayment(models.Model):
    """A payment of chosen invoices with a saved method, on a later date.

    Its amount is worked out when it runs: an invoice paid or voided meanwhile is left
    out, with the reason kept on its row.
    """

    number = models.CharField(max_length=MAX_LENGTH[NumberKind.PAYMENT], unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="schedules")
    method = models.ForeignKey(PaymentMethod, on_delete=models.PROTECT, related_name="+")
    run_on = models.DateField()
    status = models.CharField(max_length=16, choices=ScheduleStatus.choices)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=300, blank=True, help_text="What happened when it ran.")
    amount_minor = models.BigIntegerField(
        null=True, blank=True, help_text="Worked out once, when a worker claims it to run."
    )
    charge_date = models.DateField(null=True, blank=True, help_text="The post date of its run.")
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker runs it until then; later, another resumes."
    )
    idempotency_key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    actor = models.CharField(max_length=150)
    source = models.CharField(max_length=16, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "idempotency_key"], name="schedule_idempotency_key_per_customer"
            ),
            number_rule(
                "number", max_length=MAX_LENGTH[NumberKind.PAYMENT], name="schedule_number_rule"
            ),
        ]
        indexes = [models.Index(fields=["status", "run_on"])]

    def __str__(self) -> str:
        return self.number


class ScheduledInvoice(models.Model):
    schedule = models.ForeignKey(ScheduledPayment, on_delete=models.PROTECT, related_name="items")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    left_out = models.CharField(
        max_length=200, blank=True, help_text="Why it was not paid when the schedule ran."
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "invoice"], name="invoice_once_per_schedule"
            )
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id}: {self.invoice_id}"
