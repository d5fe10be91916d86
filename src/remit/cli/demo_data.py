"""Realistic demo data for `remit demo`, written through the services like real data.

Eight customers with six months of net-30 invoices (one billed in EUR, one in USD and in
EUR), checks, money orders and cash that pay some of them in full and some in part, one
lump sum spread oldest first, and one overpayment left as customer credit; a staff
superuser and two portal users. Everything is derived from a fixed seed and `today`, so
the same day gives the same data. Loading it again finds customer C-0001 and writes
nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from remit.core.audit import Actor
from remit.core.money import Money
from remit.customers.models import Customer, Membership, Role
from remit.customers.services import customer_create
from remit.gateways.protocol import CardDetails
from remit.gateways.sandbox import SandboxGateway
from remit.invoices.csv_import import InvoiceRow
from remit.invoices.models import Invoice, InvoiceStatus
from remit.invoices.rules import Terms
from remit.invoices.services import invoices_create
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import Payment, PaymentType, Source
from remit.payments.selectors import credit_balance
from remit.payments.services.credit import credit_apply
from remit.payments.services.method import payment_method_add
from remit.payments.services.offline import payment_post

SEED = 20240611
SOURCE = Source.DEMO
ACTOR = Actor.system("demo")
FIRST_INVOICE = 10001
WINDOW_DAYS = 178
"""Invoice dates fall within this many days before `today`: inside six months."""
NET_DAYS = 30


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str


@dataclass(frozen=True)
class DemoSummary:
    created: bool
    customers: int
    invoices: int
    payments: int
    logins: tuple[DemoLogin, ...]


@dataclass(frozen=True)
class _Customer:
    number: str
    name: str
    email: str
    currency: str
    invoices: int
    low: int
    """The smallest and largest invoice totals, in whole currency units."""
    high: int
    lines: tuple[str, ...]


CUSTOMERS: tuple[_Customer, ...] = (
    _Customer(
        "C-0001",
        "Acme Industrial Supply",
        "ap@acme-industrial.example",
        "USD",
        26,
        120,
        4800,
        (
            "Hydraulic hose assemblies",
            "Bearings and seals, restock",
            "Pneumatic fittings",
            "Conveyor belt repair parts",
            "Safety gloves and eyewear",
            "Welding rod and shielding gas",
        ),
    ),
    _Customer(
        "C-0002",
        "Brightwater Foods Co.",
        "payables@brightwaterfoods.example",
        "USD",
        18,
        250,
        6200,
        (
            "Stainless prep tables",
            "Walk-in cooler service",
            "Food-grade lubricant, 12 cases",
            "Packaging film rolls",
        ),
    ),
    _Customer(
        "C-0003",
        "Cedar Ridge Construction",
        "office@cedarridgebuild.example",
        "USD",
        14,
        400,
        9500,
        (
            "Rebar and tie wire",
            "Equipment rental: skid steer, 1 week",
            "Concrete forms",
            "Site lighting towers",
        ),
    ),
    _Customer(
        "C-0004",
        "Delta Logistics Group",
        "accounts@deltalogistics.example",
        "USD",
        33,
        90,
        2400,
        (
            "Pallet wrap and strapping",
            "Forklift battery service",
            "Dock bumpers",
            "Warehouse labels, 20 rolls",
        ),
    ),
    _Customer(
        "C-0005",
        "Evergreen Dental Partners",
        "billing@evergreendental.example",
        "USD",
        9,
        150,
        1800,
        ("Sterilization pouches", "Nitrile exam gloves", "Autoclave maintenance"),
    ),
    _Customer(
        "C-0006",
        "Fairview Office Products",
        "ap@fairviewoffice.example",
        "USD",
        21,
        60,
        1500,
        (
            "Copier toner, assorted",
            "Printer paper, 40 cartons",
            "Breakroom supplies",
            "Desk chairs, 6",
        ),
    ),
    _Customer(
        "C-0007",
        "Grünwald Maschinenbau GmbH",
        "buchhaltung@gruenwald-mb.example",
        "EUR",
        12,
        800,
        12000,
        (
            "CNC spindle bearings",
            "Linear guide rails",
            "Servo motor, refurbished",
            "Coolant pump assembly",
        ),
    ),
    _Customer(
        "C-0008",
        "Harbor Point Marine Services",
        "ar@harborpointmarine.example",
        "USD",
        7,
        200,
        3600,
        (
            "Marine-grade stainless fasteners",
            "Bilge pump replacements",
            "Anti-fouling paint, 10 gal",
        ),
    ),
)

CREDIT_CUSTOMER = "C-0003"
"""Overpays one invoice; part of that credit is applied, the rest stays as credit."""
LUMP_SUM_CUSTOMER = "C-0004"
"""Sends one check for several invoices, spread oldest first."""
TWO_CURRENCIES_CUSTOMER = "C-0002"
"""Billed in USD by default, and in EUR by its European branch (several currencies)."""

STAFF = DemoLogin("staff", "remit-staff-demo", "staff (admin)")
AP_CLERK = DemoLogin(
    "ap.clerk", "remit-ap-clerk-demo", "portal: Accounts Payable for C-0001 and C-0002"
)
VIEWER = DemoLogin("viewer", "remit-viewer-demo", "portal: view only for C-0001")
LOGINS = (STAFF, AP_CLERK, VIEWER)


def demo_load(*, today: date | None = None) -> DemoSummary:
    """Load the demo data once; a second call finds it and changes nothing."""
    today = today or timezone.localdate()
    with transaction.atomic():
        if Customer.objects.filter(number=CUSTOMERS[0].number).exists():
            return _summary(created=False)
        customers = {
            spec.number: customer_create(
                number=spec.number,
                name=spec.name,
                email=spec.email,
                currency=spec.currency,
                actor=ACTOR,
            )
            for spec in CUSTOMERS
        }
        rng = random.Random(SEED)
        rows = _invoice_rows(rng, today)
        for spec in CUSTOMERS:
            invoices_create(
                rows=[r for r in rows if r.customer_number == spec.number],
                actor=ACTOR,
                reference=f"Demo invoices {spec.number}",
            )
        for plan in _payment_plans(rng, rows, today):
            payment_post(
                customer=customers[plan.customer_number],
                amount=plan.amount,
                payment_type=plan.payment_type,
                idempotency_key=plan.key,
                actor=ACTOR,
                source=SOURCE,
                invoices=plan.invoices,
                reference=plan.reference,
                post_date=plan.post_date,
                notes=plan.notes,
            )
        _lump_sum(customers[LUMP_SUM_CUSTOMER], today)
        _credit(customers[CREDIT_CUSTOMER], today)
        _euro_invoices(customers[TWO_CURRENCIES_CUSTOMER], today)
        _users(customers)
        _saved_cards(customers, today)
        return _summary(created=True)


# --- invoices -----------------------------------------------------------------------


TERMS = Terms(Decimal(2), 10)
"""The demo's early-payment terms, on its newest invoices: 2% off within 10 days."""


def _invoice_rows(rng: random.Random, today: date) -> list[InvoiceRow]:
    """Every customer's invoices, numbered INV-10001 upwards in date order."""
    drafts: list[tuple[date, str, Money, str]] = []
    for spec in CUSTOMERS:
        for _ in range(spec.invoices):
            invoice_date = _weekday(today - timedelta(days=rng.randint(2, WINDOW_DAYS - 2)))
            cents = rng.randint(spec.low * 100, spec.high * 100)
            total = Money(Decimal(cents).scaleb(-2), spec.currency)
            drafts.append((invoice_date, spec.number, total, rng.choice(spec.lines)))
    drafts.sort(key=lambda d: (d[0], d[1]))
    names = {spec.number: spec.name for spec in CUSTOMERS}
    recent = today - timedelta(days=TERMS.days - 2)
    return [
        InvoiceRow(
            line=index + 1,
            number=f"INV-{FIRST_INVOICE + index}",
            customer_number=customer_number,
            customer_name=names[customer_number],
            invoice_date=invoice_date,
            due_date=invoice_date + timedelta(days=NET_DAYS),
            total=total,
            description=description,
            # The newest invoices are "2/10 net 30": the portal shows their discount.
            terms=TERMS if invoice_date >= recent else None,
        )
        for index, (invoice_date, customer_number, total, description) in enumerate(drafts)
    ]


def _weekday(day: date) -> date:
    """Invoices go out on working days: a Saturday or Sunday moves back to Friday."""
    return day - timedelta(days=max(0, day.weekday() - 4))


# --- payments -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    customer_number: str
    post_date: date
    amount: Money
    payment_type: str
    reference: str
    notes: str
    invoices: tuple[InvoiceRequest, ...]
    key: str

    @property
    def order_key(self) -> tuple[date, str, str]:
        return (self.post_date, self.customer_number, self.key)


def _payment_plans(rng: random.Random, rows: list[InvoiceRow], today: date) -> list[_Plan]:
    """Who paid what and when: older invoices mostly paid, recent ones mostly open.

    Every planned payment names its invoices and is dated at least two days before
    `today`, so the lump sum and the credit application that follow see what is left.
    They come back in date order, each customer's checks numbered in that order.
    """
    last_day = today - timedelta(days=2)
    plans: list[_Plan] = []
    first_check: dict[str, int] = {}
    for spec in CUSTOMERS:
        first_check[spec.number] = rng.randint(1001, 9400)
        full: list[tuple[InvoiceRow, date]] = []
        partial: list[tuple[InvoiceRow, date]] = []
        for row in (r for r in rows if r.customer_number == spec.number):
            paid_on = min(row.invoice_date + timedelta(days=rng.randint(9, 48)), last_day)
            if paid_on < row.invoice_date + timedelta(days=5):
                continue  # too new to have been paid
            age = (today - row.invoice_date).days
            chances = (0.75, 0.12) if age >= 75 else (0.45, 0.2) if age > NET_DAYS else (0.2, 0.1)
            draw = rng.random()
            if draw < chances[0]:
                full.append((row, paid_on))
            elif draw < chances[0] + chances[1]:
                partial.append((row, paid_on))
        if spec.number == CREDIT_CUSTOMER and full:
            overpaid, full = full[-1], full[:-1]  # the latest payment carries the overpayment
        else:
            overpaid = None

        groups: list[list[tuple[InvoiceRow, date]]] = []
        for item in full:  # a customer often pays two or three invoices with one check
            if (
                groups
                and len(groups[-1]) < 3
                and item[1] - groups[-1][0][1] <= timedelta(days=14)
                and rng.random() < 0.5
            ):
                groups[-1].append(item)
            else:
                groups.append([item])
        for group in groups:
            amount = _sum([row.total for row, _ in group])
            kind, reference, notes = _instrument(rng, spec, amount)
            plans.append(
                _Plan(
                    customer_number=spec.number,
                    post_date=max(paid_on for _, paid_on in group),
                    amount=amount,
                    payment_type=kind,
                    reference=reference,
                    notes=notes,
                    invoices=tuple(InvoiceRequest(row.number) for row, _ in group),
                    key=f"demo:{spec.number}:{len(plans) + 1:04d}",
                )
            )
        for row, paid_on in partial:
            share = Decimal(rng.choice((20, 25, 30, 40, 50, 60, 75))) / 100
            amount = Money.rounded(row.total.amount * share, spec.currency)
            kind, reference, notes = _instrument(rng, spec, amount)
            plans.append(
                _Plan(
                    customer_number=spec.number,
                    post_date=paid_on,
                    amount=amount,
                    payment_type=kind,
                    reference=reference,
                    notes=(notes + " " if notes else "") + "Partial payment; balance to follow.",
                    invoices=(InvoiceRequest(row.number, amount),),
                    key=f"demo:{spec.number}:{len(plans) + 1:04d}",
                )
            )
        if overpaid is not None:
            row, paid_on = overpaid
            plans.append(
                _Plan(
                    customer_number=spec.number,
                    post_date=paid_on,
                    amount=row.total + Money.of("420.00", spec.currency),
                    payment_type=PaymentType.CHECK,
                    reference="",
                    notes="Check was written for more than the invoice; the rest kept as credit.",
                    invoices=(InvoiceRequest(row.number),),
                    key=f"demo:{spec.number}:{len(plans) + 1:04d}",
                )
            )
    plans.sort(key=lambda plan: plan.order_key)
    numbered = []
    for plan in plans:
        if plan.payment_type == PaymentType.CHECK:
            number = first_check[plan.customer_number]
            first_check[plan.customer_number] += 1
            plan = replace(plan, reference=str(number))
        numbered.append(plan)
    return numbered


def _instrument(rng: random.Random, spec: _Customer, amount: Money) -> tuple[str, str, str]:
    """(payment type, reference, notes): a check (numbered later), a money order, cash,
    or a transfer."""
    if spec.currency != "USD":
        return PaymentType.OTHER, f"SEPA {rng.randint(10**9, 10**10 - 1)}", "Bank transfer (SEPA)."
    draw = rng.random()
    if draw < 0.15 and amount <= Money.of("1500", spec.currency):
        return PaymentType.CASH, "", "Paid in cash at the front counter."
    if draw < 0.3:
        return PaymentType.MONEY_ORDER, f"{rng.randint(10**10, 10**11 - 1)}", ""
    return PaymentType.CHECK, "", ""


def _lump_sum(customer: Customer, today: date) -> None:
    """One check covering the two oldest open invoices and part of the third."""
    oldest = list(
        Invoice.objects.filter(customer=customer, status=InvoiceStatus.OPEN).order_by(
            "invoice_date", "due_date", "number"
        )[:3]
    )
    if len(oldest) < 3:
        return
    half = Money.rounded(oldest[2].balance_due.amount / 2, customer.currency)
    checks = Payment.objects.filter(customer=customer, type=PaymentType.CHECK)
    last_check = max((int(r) for r in checks.values_list("reference", flat=True)), default=5000)
    payment_post(
        customer=customer,
        amount=_sum([oldest[0].balance_due, oldest[1].balance_due, half]),
        payment_type=PaymentType.CHECK,
        idempotency_key=f"demo:{customer.number}:lump-sum",
        actor=ACTOR,
        source=SOURCE,
        reference=str(last_check + 1),
        post_date=today - timedelta(days=1),
        notes="One check for the account; applied to the oldest invoices first.",
    )


def _credit(customer: Customer, today: date) -> None:
    """Apply part of the overpayment's credit to the customer's oldest open invoice."""
    oldest = (
        Invoice.objects.filter(customer=customer, status=InvoiceStatus.OPEN)
        .order_by("invoice_date", "due_date", "number")
        .first()
    )
    available = credit_balance(customer=customer, currency=customer.currency)
    if oldest is None or not available.is_positive():
        return
    amount = oldest.balance_due.min(available).min(Money.of("170.00", customer.currency))
    credit_apply(
        customer=customer,
        idempotency_key=f"demo:{customer.number}:credit",
        actor=ACTOR,
        source=SOURCE,
        invoices=[InvoiceRequest(oldest.number, amount)],
    )


def _euro_invoices(customer: Customer, today: date) -> None:
    """Two invoices in EUR for a customer billed in USD, the older paid by a EUR check."""
    rows = [
        InvoiceRow(
            line=n,
            number=f"INV-9000{n}",
            customer_number=customer.number,
            customer_name=customer.name,
            invoice_date=_weekday(today - timedelta(days=days)),
            due_date=_weekday(today - timedelta(days=days)) + timedelta(days=NET_DAYS),
            total=Money.of(total, "EUR"),
            description=description,
        )
        for n, days, total, description in (
            (1, 50, "1840.00", "Installation, Rotterdam branch"),
            (2, 12, "925.50", "Maintenance contract, Rotterdam branch (EUR)"),
        )
    ]
    invoices_create(rows=rows, actor=ACTOR, reference=f"Demo EUR invoices {customer.number}")
    payment_post(
        customer=customer,
        amount=Money.of("1840.00", "EUR"),
        payment_type=PaymentType.CHECK,
        idempotency_key=f"demo:{customer.number}:eur",
        actor=ACTOR,
        source=SOURCE,
        invoices=[InvoiceRequest("INV-90001")],
        reference="7001",
        post_date=today - timedelta(days=3),
        notes="The Rotterdam branch pays its EUR invoices.",
    )


def _sum(amounts: list[Money]) -> Money:
    return sum(amounts[1:], amounts[0])


# --- people -------------------------------------------------------------------------


def _users(customers: dict[str, Customer]) -> None:
    """The staff superuser and two portal users; existing accounts are left as they are."""
    users = get_user_model().objects
    if not users.filter(username=STAFF.username).exists():
        users.create_superuser(
            STAFF.username,
            "staff@remit.example",
            STAFF.password,
            first_name="Sam",
            last_name="Staff",
        )
    clerk = users.filter(username=AP_CLERK.username).first() or users.create_user(
        AP_CLERK.username,
        "ap.clerk@acme-industrial.example",
        AP_CLERK.password,
        first_name="Pat",
        last_name="Lopez",
    )
    viewer = users.filter(username=VIEWER.username).first() or users.create_user(
        VIEWER.username,
        "controller@acme-industrial.example",
        VIEWER.password,
        first_name="Vic",
        last_name="Chen",
    )
    for user, number, role in (
        (clerk, "C-0001", Role.ACCOUNTS_PAYABLE),
        (clerk, "C-0002", Role.ACCOUNTS_PAYABLE),
        (viewer, "C-0001", Role.VIEWER),
    ):
        Membership.objects.get_or_create(
            user=user, customer=customers[number], defaults={"role": role}
        )


def _saved_cards(customers: dict[str, Customer], today: date) -> None:
    """A saved test card for the portal clerk's customers (seed step 6 picks a saved one),
    tokenised by the sandbox as a real card would be; remit keeps only the token."""
    gateway = SandboxGateway()
    for number in ("C-0001", "C-0002"):
        tokenized = gateway.tokenize_card(
            CardDetails(
                number="4242424242424242",
                exp_month=12,
                exp_year=today.year + 3,
                cvc="123",
                holder_name="Accounts Payable",
            )
        )
        payment_method_add(
            customer=customers[number],
            kind="card",
            tokenized=tokenized,
            actor=ACTOR,
            holder_name="Accounts Payable",
            label="Company Visa",
        )


def _summary(*, created: bool) -> DemoSummary:
    numbers = [spec.number for spec in CUSTOMERS]
    return DemoSummary(
        created=created,
        customers=Customer.objects.filter(number__in=numbers).count(),
        invoices=Invoice.objects.filter(customer__number__in=numbers).count(),
        payments=Payment.objects.filter(customer__number__in=numbers).count(),
        logins=LOGINS,
    )
