"""schemathesis over the whole API schema, with two customers' keys, inside the normal run.

Every operation gets bounded generated requests (examples, coverage of the boundaries and
fuzzing; valid and invalid), sent with a write key limited to one customer. Valid requests
are often given that customer's real ids, sometimes the other customer's, so that they
reach the services and try to cross over. Every response is checked by schemathesis (no
500; status, content type, headers and body as the schema declares; invalid data refused)
and here: nothing of the other customer is answered. When an operation's fuzzing is over,
every object of each customer is asked for with the other's key (404 each, in no list),
and the books must pass `books_audit`.

schemathesis' lazy `from_fixture` loader does not run under pytest 9 (it sets
`request.node._nodeid`), so the schema is loaded at import and the data comes from the
`world` fixture, which the generation hook reads through `Current`.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from remit.books.audit import books_audit
from remit.core.money import Money
from remit.invoices.models import Invoice
from remit.payments.models import Payment, PaymentMethod, ScheduledPayment
from remit.payments.services.offline import payment_post
from remit.payments.services.schedule import schedule_create
from tests.factories import make_customer, make_invoice
from tests.integration.test_api_support import ADMIN, Api, key_for, save_card

pytestmark = pytest.mark.django_db

CUSTOMERS = ("C-ACME", "C-GLOBEX")
EXAMPLES = 25  # per operation and key, besides the coverage phase's own cases


class World:
    """Two customers, each with invoices, a check payment that paid some, a saved card, a
    scheduled payment, and a write key limited to it."""

    def __init__(self) -> None:
        self.keys: dict[str, str] = {}
        for number in CUSTOMERS:
            customer = make_customer(number=number)
            for total, days in (("100.00", 90), ("250.00", 60), ("75.50", 30), ("20.00", 5)):
                make_invoice(customer, total, days_ago=days)
            payment_post(
                customer=customer,
                amount=Money.of("150.00", "USD"),
                payment_type="check",
                idempotency_key=f"world-{number}",
                actor=ADMIN,
                source="backoffice",
            )
            schedule_create(
                customer=customer,
                method=save_card(customer),
                invoice_numbers=[customer.invoices.order_by("-invoice_date")[0].number],
                run_on=date.today() + timedelta(days=7),
                idempotency_key=f"world-{number}",
                actor=ADMIN,
                source="backoffice",
            )
            self.keys[number] = key_for(scope="write", customer=customer, name=number)

    @staticmethod
    def other(number: str) -> str:
        return next(n for n in CUSTOMERS if n != number)

    @staticmethod
    def ids(number: str) -> dict[str, list]:
        """Every id of `number`'s objects the API takes, read now (fuzzing adds more)."""
        of = {"customer__number": number}
        invoices = list(Invoice.objects.filter(**of).values_list("number", flat=True))
        payments = list(Payment.objects.filter(**of).values_list("number", flat=True))
        schedules = list(ScheduledPayment.objects.filter(**of).values_list("number", flat=True))
        return {
            "customer": [number],
            "invoices": invoices,
            "payments": payments,
            "schedules": schedules,
            "numbers": invoices + payments + schedules,
            "methods": list(PaymentMethod.objects.filter(**of).values_list("pk", flat=True)),
        }


class Current:
    """The running test's data, for the generation hook (hooks take no fixtures)."""

    world: World | None = None
    caller: str = ""
    keys: dict[str, str] = {}


schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json",
    get_wsgi_application(),
    config=schemathesis.Config.from_dict(
        {
            "generation": {"mode": "all"},
            "checks": {
                # A valid-looking request can be refused by the books: an invoice number
                # that does not exist (404), more decimal places than the currency has
                # (422). So "valid data is accepted" is not asked; everything else is.
                "positive_data_acceptance": {"enabled": False},
            },
        }
    ),
)


@schema.hook
def flatmap_case(ctx, case):
    """Give valid requests the caller's own ids (mostly) or the other customer's."""
    world = Current.world
    if world is None or case.meta is None or not case.meta.generation.mode.is_positive:
        return st.just(case)
    whose = {"mine": Current.caller, "theirs": World.other(Current.caller)}
    choices = st.sampled_from(["generated", "mine", "mine", "mine", "theirs"])
    return st.tuples(choices, st.randoms()).map(
        lambda drawn: _swap(
            case, World.ids(whose[drawn[0]]) if drawn[0] in whose else None, drawn[1]
        )
    )


def _swap(case, ids, rnd):
    if ids is None:
        return case
    body = case.body if isinstance(case.body, dict) else {}
    if "customer" in body:
        body["customer"] = ids["customer"][0]
    if "currency" in body and case.operation.path != "/api/v1/customers":
        body["currency"] = rnd.choice([None, "USD"])
    if isinstance(body.get("method"), int) or body.get("type") in ("card", "bank"):
        body["method"] = rnd.choice(ids["methods"] or [1])
        if "type" in body:
            body["type"], body["reference"] = "card", ""
    elif "type" in body:
        body["method"] = None
    shares = body.get("invoices")
    if isinstance(shares, list) and shares:
        chosen = rnd.sample(ids["invoices"], min(len(shares), len(ids["invoices"])))
        body["invoices"] = [
            ({**share, "number": number} if isinstance(share, dict) else number)
            for share, number in zip(shares, chosen, strict=False)
        ]
    on_customers = case.operation.path.startswith("/api/v1/customers")
    for container in (case.path_parameters, case.query):
        if not container:
            continue
        if "customer" in container:
            container["customer"] = ids["customer"][0]
        if "number" in container:
            container["number"] = rnd.choice(ids["customer"] if on_customers else ids["numbers"])
        if "method_id" in container:
            container["method_id"] = rnd.choice(ids["methods"] or [1])
    return case


@pytest.fixture(autouse=True)
def one_connection_per_test():
    """schemathesis calls Django's WSGI handler, which closes the database connection when
    a request ends (as after any request to a server); the test's transaction lives on
    that connection, so the test keeps it open, as Django's own test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, client, caller: str):
    Current.world, Current.caller = World(), caller
    Current.keys = Current.world.keys
    yield Current.world
    Current.world = None
    # The operation's fuzzing is over: nothing crossed over, and the books are right.
    assert_walled_off(client, Current.keys)
    report = books_audit()
    assert report.ok, report.problems


@pytest.mark.parametrize("caller", CUSTOMERS)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
)
def test_the_api_answers_every_request_within_its_schema(case, world: World, caller: str):
    response = case.call_and_validate(headers={"Authorization": f"Bearer {world.keys[caller]}"})
    assert_nothing_of_the_other(case, response, caller)


def assert_nothing_of_the_other(case, response, caller: str) -> None:
    """A success never answers a request naming the other customer's objects, and no
    answer holds one of their ids as a value."""
    theirs = World.ids(World.other(caller))
    foreign = {*theirs["customer"], *theirs["numbers"]}
    sent = json.dumps([case.body, case.path_parameters, case.query], default=str)
    named = {token for token in foreign if token in sent}
    is_json = "json" in str(response.headers.get("content-type", ""))
    shown = (values(json.loads(response.text)) & foreign) - named if is_json else set()
    assert not shown, f"{case.method} {case.formatted_path} showed {shown}"
    if response.status_code < 300:
        assert not named, f"{case.method} {case.formatted_path} answered {named}"


# Where the API names an object: an invoice number the fuzzer made up can equal an
# ordinary value ("USD", a date), which is no leak; the same string under one of these keys is.
ID_KEYS = frozenset({"number", "customer", "invoice", "invoices", "payment", "object"})


def values(data: object, *, named: bool = False) -> set[str]:
    """Every string in a JSON document that names an object (under one of ID_KEYS)."""
    if isinstance(data, str):
        return {data} if named else set()
    if isinstance(data, dict):
        return set().union(*(values(v, named=named or k in ID_KEYS) for k, v in data.items()))
    if isinstance(data, list):
        return set().union(*(values(v, named=named) for v in data))
    return set()


def assert_walled_off(client, keys: dict[str, str]) -> None:
    """Every object of each customer, asked for with the other's key: 404, and in no list."""
    for owner in CUSTOMERS:
        other = Api(client, keys[World.other(owner)])
        ids = World.ids(owner)
        paths = [f"/customers/{owner}"]
        paths += [f"/invoices/{n}" for n in ids["invoices"]]
        paths += [f"/scheduled-payments/{n}" for n in ids["schedules"]]
        for n in ids["payments"]:
            paths += [f"/payments/{n}", f"/payments/{n}/receipt", f"/payments/{n}/receipt.pdf"]
        for route in ("/credit", "/credit/entries", "/payment-methods", "/invoices"):
            paths.append(f"{route}?customer={owner}")
        for route in ("/payments", "/scheduled-payments", "/events"):
            paths.append(f"{route}?customer={owner}")
        for path in paths:
            assert other.get(path).status_code == 404, path
        for route in ("/customers", "/invoices", "/payments", "/scheduled-payments", "/events"):
            listed = values(other.get(route, limit=500).json())
            assert not listed & {owner, *ids["numbers"]}, route
        for method_id in ids["methods"]:
            assert other.delete(f"/payment-methods/{method_id}").status_code == 404
