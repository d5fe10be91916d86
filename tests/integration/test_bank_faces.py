"""`remit bank …` and the API's /bank resources, as an operator and an integration use them."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from remit.bank.models import BankLine
from remit.books.audit import books_audit
from remit.customers.services import customer_create
from remit.main import main
from remit.payments.models import Payment
from tests.factories import ACTOR, make_invoice
from tests.integration.test_api_support import API, key_for

pytestmark = pytest.mark.django_db
HEADER = "date,amount,currency,bank_reference,payer,text\n"
FILE = HEADER + (
    "2026-11-30,430.00,USD,R1,ACME CORP,INV-10045\n"
    "2026-11-30,240.00,USD,R2,Globex LLC,INV-20001\n"
    "2026-11-30,57.00,USD,R3,Nobody,hello\n"
    "2026-11-30,-9.00,USD,R4,,fee\n"
)
LINE_KEYS = {
    "id",
    "statement",
    "date",
    "amount",
    "currency",
    "bank_reference",
    "payer",
    "text",
    "status",
    "customer",
    "payment",
    "allocations",
    "credit_created",
    "confidence",
    "reason",
}


@pytest.fixture
def book():
    acme = customer_create(number="C-0001", name="Acme Corporation", actor=ACTOR)
    globex = customer_create(number="C-0002", name="Globex LLC", actor=ACTOR)
    make_invoice(acme, "430.00", number="INV-10045", days_ago=60)
    make_invoice(acme, "120.00", number="INV-10046", days_ago=50)
    make_invoice(globex, "250.00", number="INV-20001", days_ago=30)
    return acme, globex


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_line_imports_lists_accepts_and_ignores(book, capsys, tmp_path):
    path = tmp_path / "nov.csv"
    path.write_text(FILE)
    code, out, _ = run(capsys, "bank", "import", str(path), "--json")
    assert code == 0
    result = json.loads(out)
    statement = result["statement"]
    assert result == {
        "statement": statement,
        "format": "csv",
        "lines": 4,
        "posted": 1,
        "review": 1,
        "unmatched": 1,
        "ignored": 1,
        "duplicate_of": None,
    }
    code, out, _ = run(capsys, "bank", "import", str(path), "--json")
    assert json.loads(out)["duplicate_of"] == statement and json.loads(out)["posted"] == 0

    code, out, _ = run(capsys, "bank", "lines", "--status", "review", "--json")
    [review] = json.loads(out)
    assert set(review) == LINE_KEYS
    assert (review["customer"], review["payment"], review["amount"]) == ("C-0002", None, "240.00")
    assert review["allocations"] == [{"invoice": "INV-20001", "amount": "240.00"}]
    assert review["credit_created"] == "0.00" and "short by $10.00" in review["reason"]

    code, out, _ = run(capsys, "bank", "accept", str(review["id"]), "--json")
    accepted = json.loads(out)
    assert code == 0 and accepted["status"] == "posted" and accepted["payment"].startswith("PMT-")

    [unmatched] = json.loads(run(capsys, "bank", "lines", "--status", "unmatched", "--json")[1])
    code, out, _ = run(
        capsys,
        "bank",
        "accept",
        str(unmatched["id"]),
        "--customer",
        "C-0001",
        "--invoice",
        "INV-10046=50.00",
        "--json",
    )
    accepted = json.loads(out)
    assert accepted["allocations"] == [{"invoice": "INV-10046", "amount": "50.00"}]
    assert accepted["credit_created"] == "7.00"
    assert books_audit().ok, books_audit().problems


def test_the_command_line_refuses_bad_input_with_one_sentence_and_exit_2(book, capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "2026-11-30,1.005,USD,R1,A,b\n")
    code, _, err = run(capsys, "bank", "import", str(bad))
    assert code == 2 and "line 2: amount: USD amounts have 2 decimal places" in err
    assert not BankLine.objects.exists()
    assert run(capsys, "bank", "accept", "x1")[0] == 2
    assert run(capsys, "bank", "accept", "999")[2].strip() == "remit: Bank line 999 does not exist."
    path = tmp_path / "nov.csv"
    path.write_text(FILE)
    run(capsys, "bank", "import", str(path))
    line = BankLine.objects.get(bank_reference="R3")
    code, _, err = run(capsys, "bank", "ignore", str(line.pk), "--reason", "")
    assert code == 2 and "Say why" in err
    assert run(capsys, "bank", "ignore", str(line.pk), "--reason", "Owner's transfer")[0] == 0
    code, _, err = run(capsys, "bank", "accept", str(line.pk))
    assert code == 2 and "is ignored" in err


def upload(client: Client, key: str, data: str, idem: str = "up-1"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        API + "/bank/statements",
        {"file": SimpleUploadedFile("nov.csv", data.encode(), content_type="text/csv")},
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idem},
    )


def test_the_api_uploads_lists_accepts_and_ignores(book):
    client, key = Client(), key_for()
    auth = {"Authorization": f"Bearer {key}"}
    first = upload(client, key, FILE)
    assert first.status_code == 201, first.content
    assert first.json()["posted"] == 1 and first.json()["format"] == "csv"
    replay = upload(client, key, FILE)
    assert replay.json() == first.json() and replay["Idempotent-Replayed"] == "true"
    again = upload(client, key, FILE, idem="up-2")
    assert again.json()["duplicate_of"] == first.json()["statement"]
    assert Payment.objects.count() == 1

    page = client.get(API + "/bank/lines", {"status": "review"}, headers=auth).json()
    [review] = page["items"]
    assert set(review) == LINE_KEYS and page["next_cursor"] is None
    accepted = client.post(
        API + f"/bank/lines/{review['id']}/accept",
        "{}",
        content_type="application/json",
        headers={**auth, "Idempotency-Key": "acc-1"},
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "posted"
    [unmatched] = client.get(API + "/bank/lines", {"status": "unmatched"}, headers=auth).json()[
        "items"
    ]
    ignored = client.post(
        API + f"/bank/lines/{unmatched['id']}/ignore",
        json.dumps({"reason": "not ours"}),
        content_type="application/json",
        headers={**auth, "Idempotency-Key": "ign-1"},
    )
    assert ignored.status_code == 200 and ignored.json()["status"] == "ignored"
    assert books_audit().ok


def test_the_api_refuses_a_bad_file_and_a_key_limited_to_one_customer(book):
    client = Client()
    acme, _ = book
    refused = upload(client, key_for(), HEADER + "2026-11-30,1.005,USD,R1,A,b\n")
    assert refused.status_code == 422 and refused.json()["code"] == "statement_refused"
    assert not BankLine.objects.exists()
    limited = upload(client, key_for(customer=acme), FILE, idem="up-3")
    assert limited.status_code == 403
    assert not BankLine.objects.exists()
