"""Card numbers and CVCs never reach remit's database or logs (DESIGN "Who may do what":
cards are tokenised by the gateway; remit keeps the token, brand, last four and expiry).

The scenario adds cards of every sandbox behaviour and bank accounts, pays with each,
settles, reconciles, refunds and has details refused. Then the whole database (every
table, the sandbox's own included, every column as text) and every log record of the
scenario (at DEBUG, the SQL with its parameters included) are scanned for a Luhn-valid
run of 13 to 19 digits, and for a CVC written next to a card brand. The scan is shown to
work on numbers planted on purpose.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date

import pytest
from django.db import connection

from remit.core.audit import Actor
from remit.core.errors import RemitError
from remit.core.money import Money
from remit.gateways.protocol import BankDetails, CardDetails, PaymentDetailsInvalid
from remit.gateways.sandbox import SandboxGateway
from remit.payments.candidates import InvoiceRequest
from remit.payments.models import PaymentMethod
from remit.payments.services.card import card_payment_submit
from remit.payments.services.method import payment_method_add, payment_method_remove
from remit.payments.services.reconcile import payments_reconcile, payments_settle
from remit.payments.services.voids import payment_refund
from remit.payments.states import PaymentStatus
from tests.factories import make_customer, make_invoice
from tests.later import later

pytestmark = pytest.mark.django_db

CLERK = Actor(label="clerk-ann")

# Every sandbox behaviour, and other networks. Each CVC is distinct and starts with a
# zero, so it cannot be mistaken for an id or an amount, which never print that way.
CARDS = {
    "4242424242424242": ("Visa", "047"),  # approves
    "4000000000000002": ("Visa", "068"),  # declines
    "4000000000009995": ("Visa", "019"),  # insufficient funds
    "4000000000000119": ("Visa", "082"),  # processing error
    "4000000000000259": ("Visa", "093"),  # charges, then the answer is lost
    "4000000000000341": ("Visa", "056"),  # refuses voids
    "5555555555554444": ("Mastercard", "031"),
    "378282246310005": ("American Express", "0427"),
    "6011111111111117": ("Discover", "074"),
}
BANK_ACCOUNTS = ("000123456789", "000111111113")  # settles; returned (R01)
ROUTING = "110000000"


# --- the scan ---------------------------------------------------------------------------


def luhn(digits: str) -> bool:
    """The mod-10 check, written here rather than taken from the code under test."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


_SEPARATORS = re.compile(r"(?<=\d)[ -]+(?=\d)")
_DIGIT_RUN = re.compile(r"\d+")
_HEX_WORD = re.compile(r"[0-9A-Fa-f]+")
# Django names savepoints "s<thread id>_x<n>"; a thread id is a long number, Luhn-valid
# one time in ten, so the SQL log's savepoint names are taken out before scanning.
_SAVEPOINT_NAME = re.compile(r"\bs\d+_x\d+\b")


def _inside_random_hex(text: str, start: int, end: int) -> bool:
    """True when the digits are part of a long hex word with letters in it: a gateway token,
    a reference or a request digest, which are random and may hold any run of digits."""
    for word in _HEX_WORD.finditer(text):
        if word.start() <= start and end <= word.end():
            hexa = word.group()
            return len(hexa) >= 24 and not hexa.isdigit()
    return False


def card_numbers_in(text: str) -> list[str]:
    """Every Luhn-valid run of 13 to 19 digits, spaces and dashes between digits ignored."""
    joined = _SEPARATORS.sub("", _SAVEPOINT_NAME.sub("savepoint", text))
    found = []
    for run in _DIGIT_RUN.finditer(joined):
        digits = run.group()
        if (
            13 <= len(digits) <= 19
            and luhn(digits)
            and not _inside_random_hex(joined, run.start(), run.end())
        ):
            found.append(digits)
    return found


def cvc_next_to_brand(text: str, brand: str, cvc: str) -> bool:
    """The CVC, as a number of its own, within 40 characters of the brand (either side),
    or after a 'cvc'/'cvv'/'security code' label."""
    alone = rf"(?<![0-9A-Za-z]){cvc}(?![0-9A-Za-z])"
    near = rf"{re.escape(brand)}.{{0,40}}?{alone}|{alone}.{{0,40}}?{re.escape(brand)}"
    labelled = rf"(?:cvc|cvv|cvv2|security.code)\W{{0,12}}{alone}"
    return bool(re.search(near, text, re.S) or re.search(labelled, text, re.S | re.I))


def test_the_scan_finds_a_planted_card_number_however_it_is_written():
    assert card_numbers_in("paid with 4242424242424242 today") == ["4242424242424242"]
    assert card_numbers_in("card: 4242 4242 4242 4242.") == ["4242424242424242"]
    assert card_numbers_in("card=4000-0000-0000-0002;") == ["4000000000000002"]
    assert card_numbers_in("amex 3782 822463 10005") == ["378282246310005"]
    assert card_numbers_in('{"number": "6011111111111117"}') == ["6011111111111117"]
    assert card_numbers_in("x4242424242424242y") == ["4242424242424242"]


def test_the_scan_leaves_alone_what_is_not_a_card_number():
    assert card_numbers_in("4242424242424241") == []  # fails the Luhn check
    assert card_numbers_in("424242424242") == []  # 12 digits: too short
    assert card_numbers_in("42424242424242424242") == []  # 20 digits: too long
    assert card_numbers_in("PMT-000123 on 2026-11-21 12:00:01.123456, $1,234.56") == []
    planted_in_hex = "tok_sandbox_ab" + "4242424242424242" + "cdef01"
    assert card_numbers_in(planted_in_hex) == []  # a random token, not a number
    assert card_numbers_in('SAVEPOINT "s140254495730560_x72"') == []  # a thread id
    assert card_numbers_in('"s140254495730560_x72" 4242424242424242') == ["4242424242424242"]


def test_the_scan_finds_a_cvc_next_to_the_brand():
    assert cvc_next_to_brand("Visa •••• 4242 cvc 047", "Visa", "047")
    assert cvc_next_to_brand("047 (Visa)", "Visa", "047")
    assert cvc_next_to_brand('{"cvv": "047"}', "Mastercard", "047")
    assert not cvc_next_to_brand("Visa •••• 4242 exp 12/2030", "Visa", "047")
    assert not cvc_next_to_brand("Visa tok_sandbox_a047b", "Visa", "047")
    assert not cvc_next_to_brand("PMT-000047 Visa", "Visa", "047")


# --- what is stored and logged ----------------------------------------------------------------


def database_texts() -> Iterator[tuple[str, str]]:
    """(table.column, value as text) of every non-empty cell of every table."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {quote(table)}")  # table names from the database
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is not None and value != "":
                        yield f"{table}.{column}", str(value)


def log_texts(caplog) -> Iterator[tuple[str, str]]:
    for record in caplog.records:
        yield record.name, record.getMessage()
        if record.exc_info or record.exc_text:
            yield record.name, caplog.handler.format(record)
    yield "caplog.text", caplog.text


@pytest.fixture
def everything_logged(caplog):
    """Every log record at DEBUG, SQL with its parameters included. remit's own loggers do
    not propagate to the root (settings.LOGGING), so the capture is hooked onto them too."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    remit_logger = logging.getLogger("remit")
    old_level = remit_logger.level
    remit_logger.setLevel(logging.DEBUG)
    remit_logger.addHandler(caplog.handler)
    forced = connection.force_debug_cursor
    connection.force_debug_cursor = True
    try:
        yield caplog
    finally:
        connection.force_debug_cursor = forced
        remit_logger.removeHandler(caplog.handler)
        remit_logger.setLevel(old_level)


class NetworkDownGateway:
    """The sandbox, but the charge request is lost on the way (an adapter error that
    names the request, as a careless adapter might)."""

    def __init__(self) -> None:
        self.real = SandboxGateway()

    def charge(self, request):
        raise ConnectionError(f"connection reset while sending {request!r}")

    def __getattr__(self, name):
        return getattr(self.real, name)


def run_card_scenarios() -> dict[str, int]:
    """Add, pay with, settle, reconcile and refund every kind of card and bank account.
    Returns how each payment ended, for the test to check the scenario really ran."""
    gateway = SandboxGateway()
    customer = make_customer()
    year = date.today().year + 3
    ended: dict[str, int] = {}

    def pay(method: PaymentMethod, total: str, key: str, via=None, invoice=None):
        invoice = invoice or make_invoice(customer, total)
        return card_payment_submit(
            customer=customer,
            method=method,
            amount=Money.of(total, "USD"),
            idempotency_key=key,
            actor=CLERK,
            source="portal",
            invoices=[InvoiceRequest(invoice.number)],
            gateway=via,
        )

    payments = []
    for i, (number, (_brand, cvc)) in enumerate(CARDS.items()):
        spaced = " ".join(number[j : j + 4] for j in range(0, len(number), 4))
        tokenized = gateway.tokenize_card(CardDetails(spaced, 11, year, cvc, "Ann Payer"))
        method = payment_method_add(
            customer=customer, kind="card", tokenized=tokenized, actor=CLERK
        )
        payments.append(pay(method, f"{100 + i}.00", f"card-{i}"))
    for i, account in enumerate(BANK_ACCOUNTS):
        tokenized = gateway.tokenize_bank(BankDetails(ROUTING, account, "Acme AP"))
        method = payment_method_add(
            customer=customer, kind="bank", tokenized=tokenized, actor=CLERK
        )
        payments.append(pay(method, f"{200 + i}.00", f"bank-{i}"))

    visa = PaymentMethod.objects.filter(customer=customer, last4="4242").first()
    payments.append(pay(visa, "300.00", "network-down", via=NetworkDownGateway()))
    first_invoice = payments[0].allocations.get().invoice
    payments.append(pay(visa, "100.00", "card-0", invoice=first_invoice))  # a replay

    refused = [
        CardDetails("4242424242424241", 11, year, "047"),  # fails the Luhn check
        CardDetails("4242424242424242", 1, 2001, "047"),  # expired
        CardDetails("4242424242424242", 11, year, "04"),  # short CVC
        CardDetails("4242-4242-4242-424x", 11, year, "047"),  # not digits
    ]
    for card in refused:
        with pytest.raises(PaymentDetailsInvalid):
            gateway.tokenize_card(card)
    with pytest.raises(PaymentDetailsInvalid):
        gateway.tokenize_bank(BankDetails("110000001", BANK_ACCOUNTS[0]))

    with later():  # the lost request's deadline has passed: it can never arrive now
        payments_reconcile(actor=CLERK)
        payments_settle(actor=CLERK)
    settled_visa = payments[0]
    payment_refund(payment=settled_visa, actor=CLERK)
    with pytest.raises(RemitError):
        payment_refund(payment=settled_visa, actor=CLERK)
    mastercard = PaymentMethod.objects.get(customer=customer, last4="4444")
    payment_method_remove(method=mastercard, actor=CLERK)

    for payment in payments:
        payment.refresh_from_db()
        ended[payment.status] = ended.get(payment.status, 0) + 1
    return ended


def test_the_dump_and_the_log_capture_find_a_number_planted_in_them(everything_logged):
    customer = make_customer()
    tokenized = SandboxGateway().tokenize_card(
        CardDetails("4242424242424242", 11, date.today().year + 3, "047")
    )
    payment_method_add(
        customer=customer,
        kind="card",
        tokenized=tokenized,
        actor=CLERK,
        holder_name="5555-5555-5555-4444",  # a careless clerk types the number as the name
        label="cvc 047 Visa",
    )
    logging.getLogger("remit.payments").debug("card %s", "4000 0000 0000 0002")

    stored = list(database_texts())
    logged = list(log_texts(everything_logged))

    assert ("payments_paymentmethod.holder_name", "5555555555554444") in {
        (where, number) for where, text in stored for number in card_numbers_in(text)
    }
    assert "4000000000000002" in {n for _, text in logged for n in card_numbers_in(text)}
    assert any(cvc_next_to_brand(text, "Visa", "047") for _, text in stored)
    assert any(cvc_next_to_brand(text, "Visa", "047") for _, text in logged)  # the SQL


def test_no_card_number_or_cvc_is_stored_or_logged_after_every_card_scenario(
    everything_logged,
):
    ended = run_card_scenarios()

    # The scenario did what it says: 11 methods paid (and one replay of the first key).
    assert ended == {
        PaymentStatus.SETTLED: 6,  # approve, lost answer, refuse-void, MC, Discover, bank
        PaymentStatus.FAILED: 5,  # three declines, the returned debit, the lost request
        PaymentStatus.REFUNDED: 2,  # the first Visa payment, returned twice by the replay
    }
    logged = list(log_texts(everything_logged))
    assert any(name == "django.db.backends" for name, _ in logged), "the SQL was not logged"
    assert any(name == "remit.payments" for name, _ in logged), "remit's logs were not captured"
    stored = list(database_texts())
    tables = {where.split(".")[0] for where, _ in stored}
    assert {"gateways_sandboxtoken", "gateways_sandboxcharge", "payments_paymentmethod"} <= tables

    found = {(where, number) for where, text in stored + logged for number in card_numbers_in(text)}
    assert found == set()

    for brand, cvc in CARDS.values():
        near = [where for where, text in stored + logged if cvc_next_to_brand(text, brand, cvc)]
        assert near == [], f"the CVC {cvc} is written next to {brand}"
        assert [where for where, text in stored if text == cvc] == []
    for account in BANK_ACCOUNTS:
        assert [where for where, text in stored + logged if account in text] == []


# --- through the faces' card entry ---------------------------------------------------------------


def test_no_card_number_is_stored_or_logged_after_cards_are_added_through_the_faces(
    everything_logged,
):
    """The browser's two steps, for each face: the card to the gateway's tokeniser, then
    the token alone to remit's view (saved, not saved, the same card twice), then a
    payment with each. The fingerprints remit keeps are scanned with everything else."""
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django.urls import reverse

    from remit.backoffice.groups import MANAGER
    from tests.integration.test_portal_support import make_world

    world = make_world()
    portal = Client()
    portal.force_login(world.clerk)
    staff_user = User.objects.create_user("staff-scan", password="a-long-password", is_staff=True)
    staff_user.groups.set(Group.objects.filter(name=MANAGER))
    staff = Client()
    staff.force_login(staff_user)
    gateway = Client()  # the gateway's endpoint: no session, no cookies
    year = str(date.today().year + 3)[2:]

    def tokenize(number: str, cvc: str) -> str:
        answer = gateway.post(
            "/sandbox-gateway/v1/tokens", {"number": number, "exp": f"11/{year}", "cvc": cvc}
        )
        assert answer.status_code == 201
        return answer.json()["token"]

    sent_to_remit = []
    for number, (_brand, cvc) in list(CARDS.items())[:4]:
        for save in ("1", ""):
            data = {"token": tokenize(number, cvc), "form_id": "pay-form", "save": save}
            sent_to_remit.append(data)
            portal.post(reverse("portal:method_add"), data, headers={"HX-Request": "true"})
        data = {"token": tokenize(number, cvc), "holder_name": "Ann Payer", "save": save}
        sent_to_remit.append(data)
        staff.post(reverse("backoffice:card_add", args=[world.ours.number]), data)
    for i, method in enumerate(PaymentMethod.objects.filter(customer=world.ours, removed=False)):
        invoice = world.invoices[i % len(world.invoices)]
        data = {
            "invoice": invoice.number,
            "method": method.pk,
            "key": f"{i:08d}-0000-4000-8000-000000000000",
        }
        portal.post(reverse("portal:pay"), data, headers={"HX-Request": "true"})

    # One method per card: the same card through both faces (and the Visa the customer
    # already had) is the one method.
    fingerprints = PaymentMethod.objects.filter(customer=world.ours).values_list(
        "fingerprint", flat=True
    )
    assert len(fingerprints) == len(set(fingerprints)) == 4 and all(fingerprints)
    assert world.ours.payments.count() >= 3  # the cards were paid with, declines included
    assert not any(card_numbers_in(repr(data)) for data in sent_to_remit)
    stored = list(database_texts())
    logged = list(log_texts(everything_logged))
    found = {(where, n) for where, text in stored + logged for n in card_numbers_in(text)}
    assert found == set()
    for brand, cvc in list(CARDS.values())[:4]:
        assert [w for w, text in stored + logged if cvc_next_to_brand(text, brand, cvc)] == []
