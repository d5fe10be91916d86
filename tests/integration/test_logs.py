"""What an operator reads in remit's logs: one JSON object a line, each naming the request,
who made it, and the customer and payment it was about; never a card number, an API key's
secret or a password, whoever logged them.

The lines are read from the handler settings.LOGGING configures (its filters included),
with its stream pointed at a buffer.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from datetime import date

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from remit.backoffice.groups import MANAGER
from remit.core.logs import JsonFormatter, log_scope
from remit.payments.models import Payment
from tests.factories import make_customer, make_invoice
from tests.integration.test_api_support import Api, key_for

pytestmark = pytest.mark.django_db

CARD = "4242 4242 4242 4242"


@pytest.fixture
def log_lines():
    """The JSON lines the configured console handler writes during the test."""
    (handler,) = [h for h in logging.getLogger("remit").handlers if h.name == "console"]
    buffer = io.StringIO()
    old_formatter = handler.formatter
    handler.setStream(buffer)
    handler.setFormatter(JsonFormatter())
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        handler.setStream(sys.stderr)  # back to whatever stderr is
        handler.setFormatter(old_formatter)


@pytest.fixture
def staff() -> Client:
    user = User.objects.create_user("ann.clerk", password="a-long-test-password", is_staff=True)
    user.groups.set(Group.objects.filter(name=MANAGER))
    client = Client()
    client.force_login(user)
    return client


def test_a_check_posted_in_the_back_office_logs_request_user_customer_and_payment(
    staff, log_lines, django_capture_on_commit_callbacks
):
    customer = make_customer()
    invoice = make_invoice(customer, "100.00")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse("backoffice:payment_batch_save", args=[customer.number]),
            {"post_date": date.today().isoformat(), "payment_type": "check",
             "reference": "4411", "amount": "100.00", "notes": "", "idempotency_key": "log-1",
             "invoice": [invoice.number], "fixed": [""]},
            headers={"X-Request-ID": "req-check-1"},
        )  # fmt: skip
    assert response.status_code == 303
    assert response["X-Request-ID"] == "req-check-1"
    payment = Payment.objects.get()

    lines = log_lines()
    posted = next(line for line in lines if line["message"].endswith("posted (check, settled)"))
    expected = {
        "request_id": "req-check-1",
        "user": "ann.clerk",
        "customer": customer.number,
        "payment": payment.number,
    }
    assert posted.items() >= expected.items()
    assert posted["level"] == "INFO" and posted["logger"] == "remit.payments"
    (finished,) = [line for line in lines if line["logger"] == "remit.request"]
    assert finished["message"].startswith(f"POST /staff/customers/{customer.number}/")
    assert finished.items() >= (expected | {"status": 303}).items()
    assert finished["view"] == "backoffice:payment_batch_save"


def test_an_api_payment_logs_the_keys_prefix_and_never_its_secret(client, log_lines):
    customer = make_customer(number="C-LOGS")
    make_invoice(customer, "100.00")
    key = key_for()
    answer = Api(client, key).post(
        "/payments", {"customer": "C-LOGS", "amount": "100.00", "type": "check"}
    )
    assert answer.status_code == 201

    (finished,) = [line for line in log_lines() if line["logger"] == "remit.request"]
    assert finished["api_key"] == key.split("_")[1]
    assert finished["customer"] == "C-LOGS"
    assert finished["payment"] == answer.json()["number"]
    assert "user" not in finished
    assert key not in json.dumps(log_lines())


def test_a_line_given_a_card_number_an_api_key_or_a_password_never_prints_them(log_lines):
    log = logging.getLogger("remit.test")
    api_key = "rk_0a1b2c3d_" + "S3cr3t-value_" * 3
    with log_scope(request_id="r-1"):
        log.warning("card %s declined", CARD)
        log.warning("key %s refused", api_key, extra={"password": "hunter2-long"})
        log.warning("login failed: password=hunter2-long, header Bearer %s", api_key)
        try:
            raise ValueError(f"could not charge {CARD.replace(' ', '')}")
        except ValueError:
            log.exception("gateway said no")

    text = "\n".join(json.dumps(line) for line in log_lines())
    for secret in (CARD, CARD.replace(" ", ""), "S3cr3t", "hunter2"):
        assert secret not in text
    first, second, third, fourth = log_lines()
    assert first["message"] == "card [card …4242] declined"
    assert first["request_id"] == "r-1"
    assert second["message"] == "key rk_0a1b2c3d_[redacted] refused"
    assert second["password"] == "[redacted]"
    assert third["message"] == "login failed: password=[redacted], header Bearer [redacted]"
    assert "could not charge [card …4242]" in fourth["exception"]


@pytest.mark.parametrize(("fmt", "json_lines"), [("", True), ("json", True), ("text", False)])
def test_remit_log_format_chooses_json_or_text(fmt, json_lines):
    env = {k: v for k, v in os.environ.items() if k != "REMIT_LOG_FORMAT"}
    if fmt:
        env["REMIT_LOG_FORMAT"] = fmt
    code = (
        "import django, logging; django.setup();"
        " logging.getLogger('remit.demo').warning('payment %s', 'PMT-000001')"
    )
    env["DJANGO_SETTINGS_MODULE"] = "remit.settings"
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    (line,) = run.stderr.splitlines()
    if json_lines:
        assert json.loads(line) | {"time": "t"} == {
            "time": "t", "level": "WARNING", "logger": "remit.demo", "message": "payment PMT-000001"
        }  # fmt: skip
    else:
        assert line.endswith(" WARNING remit.demo: payment PMT-000001")


def test_a_health_check_that_went_well_is_not_an_info_line(client, log_lines):
    assert client.get("/healthz").status_code == 200
    assert client.get("/no-such-page").status_code == 404

    requests = [line for line in log_lines() if line["logger"] == "remit.request"]
    assert [line["path"] for line in requests] == ["/no-such-page"]
