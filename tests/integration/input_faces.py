"""How each face is asked in the cross-face input tests (this module holds no tests): the
back office's and the portal's forms through Django's test client, the API with a write
key, the command line in-process (exit code and stderr), and a one-line CSV through the
back office's Import CSV and through `remit import-invoices`. Each answer is a `Shown`:
refused or not, the text the person or program saw, and the status or exit code."""

from __future__ import annotations

import csv
import io
import itertools
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from remit.backoffice.groups import MANAGER
from remit.cli.main import main
from remit.customers.models import Role
from tests.factories import make_customer, make_invoice
from tests.integration.test_api_support import Api, key_for
from tests.integration.test_portal_support import portal_user, saved_card

TODAY = timezone.localdate()
HTMX = {"HX-Request": "true"}
COLUMNS = [
    "invoice_number",
    "customer_number",
    "customer_name",
    "invoice_date",
    "due_date",
    "currency",
    "total",
    "description",
]
_serial = itertools.count(1)


# --- the world every face is asked in ---------------------------------------------------


@dataclass
class World:
    staff: Client
    clerk: Client
    api: Api
    card_id: int
    tmp: Path
    capsys: pytest.CaptureFixture


def make_world(tmp_path: Path, capsys: pytest.CaptureFixture) -> World:
    """Customer C-ACME (USD) with INV-A1 ($100), a billing manager signed in to the back
    office, an Accounts Payable clerk signed in to the portal with a saved card, and an
    API key that may write for every customer."""
    acme = make_customer(number="C-ACME")
    make_invoice(acme, "100.00", days_ago=10, number="INV-A1")
    staff_user = User.objects.create_user("manager", password="a-long-password-1", is_staff=True)
    staff_user.groups.set(Group.objects.filter(name=MANAGER))
    staff, clerk = Client(), Client()
    staff.force_login(staff_user)
    clerk.force_login(portal_user((acme, Role.ACCOUNTS_PAYABLE)))
    card = saved_card(acme)
    return World(staff, clerk, Api(Client(), key_for()), card.pk, tmp_path, capsys)


def fresh(prefix: str) -> str:
    return f"{prefix}-{next(_serial)}"


# --- how each face is asked, and what it showed -----------------------------------------


@dataclass(frozen=True)
class Shown:
    """A face's answer: refused or not, and the text the person or program saw."""

    refused: bool
    text: str
    status: int


def page(response) -> Shown:
    """A page or a dialog: a refusal is a form error, shown in the page (never a 500)."""
    body = response.content.decode()
    saved = response.status_code in (302, 303) or response.has_header("HX-Redirect")
    return Shown(not saved and response.status_code < 500, body, response.status_code)


def api(response) -> Shown:
    body = response.json()
    assert set(body) >= {"code", "message", "fields"} or response.status_code < 300, body
    refused = 400 <= response.status_code < 500
    return Shown(refused, body.get("message", "") if refused else "", response.status_code)


def cli(w: World, *argv: str) -> Shown:
    w.capsys.readouterr()  # what earlier requests logged is not this command's answer
    code = main(list(argv))
    _, err = w.capsys.readouterr()
    return Shown(code == 2, err, code)


def csv_text(**values: str) -> str:
    row = {
        "invoice_number": fresh("INV-CSV"),
        "customer_number": "C-ACME",
        "customer_name": "",
        "invoice_date": TODAY.isoformat(),
        "due_date": (TODAY + timedelta(days=30)).isoformat(),
        "currency": "USD",
        "total": "10.00",
        "description": "",
    } | values
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerow([row[c] for c in COLUMNS])
    return out.getvalue()


def import_in_backoffice(w: World, **values: str) -> Shown:
    upload = SimpleUploadedFile("i.csv", csv_text(**values).encode(), content_type="text/csv")
    response = w.staff.post(reverse("backoffice:invoice_import_run"), {"file": upload})
    shown = page(response)
    return Shown("Nothing was imported" in shown.text, shown.text, shown.status)


def import_on_command_line(w: World, **values: str) -> Shown:
    path = w.tmp / f"{fresh('import')}.csv"
    path.write_text(csv_text(**values), encoding="utf-8")
    return cli(w, "import-invoices", str(path))


def batch_payment(w: World, **fields: object) -> Shown:
    data = {
        "post_date": TODAY.isoformat(),
        "payment_type": "check",
        "reference": "4411",
        "amount": "10.00",
        "notes": "",
        "idempotency_key": fresh("bo-key"),
        "invoice": ["INV-A1"],
        "fixed": [""],
    } | fields
    url = reverse("backoffice:payment_batch_save", args=["C-ACME"])
    return page(w.staff.post(url, data, headers=HTMX))


def invoice_form(w: World, **fields: str) -> Shown:
    data = {
        "customer": "C-ACME",
        "number": fresh("INV-BO"),
        "invoice_date": TODAY.isoformat(),
        "due_date": (TODAY + timedelta(days=30)).isoformat(),
        "total": "10.00",
        "description": "",
    } | fields
    return page(w.staff.post(reverse("backoffice:invoice_create"), data))


def customer_form(w: World, number: str) -> Shown:
    data = {"number": number, "name": "New Co", "email": "", "currency": "USD"}
    return page(w.staff.post(reverse("backoffice:customer_create"), data))


def api_payment(w: World, **fields: object) -> Shown:
    body = {"customer": "C-ACME", "type": "check", "amount": "10.00"} | fields
    return api(w.api.post("/payments", body))


def api_invoice(w: World, **fields: object) -> Shown:
    body = {
        "customer": "C-ACME",
        "number": fresh("INV-API"),
        "invoice_date": TODAY.isoformat(),
        "due_date": (TODAY + timedelta(days=30)).isoformat(),
        "total": "10.00",
    } | fields
    return api(w.api.post("/invoices", body))


def cli_post(w: World, *options: str) -> Shown:
    return cli(w, "post", "--customer=C-ACME", "--type=check", *options)


def portal_pay(w: World, number: str) -> Shown:
    data = {"invoice": [number], "method": w.card_id, "key": str(uuid.uuid4())}
    return page(w.clerk.post(reverse("portal:pay"), data, headers=HTMX))


def portal_schedule(w: World, number: str = "INV-A1", run_on: str = "") -> Shown:
    run_on = run_on or (TODAY + timedelta(days=7)).isoformat()
    data = {"invoice": [number], "method": w.card_id, "run_on": run_on, "key": str(uuid.uuid4())}
    return page(w.clerk.post(reverse("portal:schedule"), data, headers=HTMX))


def api_schedule(w: World, number: str = "INV-A1", run_on: str = "") -> Shown:
    run_on = run_on or (TODAY + timedelta(days=7)).isoformat()
    body = {"customer": "C-ACME", "method": w.card_id, "invoices": [number], "run_on": run_on}
    return api(w.api.post("/scheduled-payments", body))
