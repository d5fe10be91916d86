"""One table of bad inputs, fed to every face that reads that kind of input: the portal's
forms, the back office's forms, the JSON API, the command line, and the CSV import (in
the back office and on the command line). Each face must refuse it with the sentence the
shared parser gives (`remit.core.inputs` and the domain's date rules): a form error on
the page, a 4xx `{"code", "message", "fields"}` from the API, exit code 2 and that one
sentence on stderr from the command line, "line 2: column: sentence" from an import.
No face may answer 500, and nothing may be written (every table's rows are counted).

The portal takes no typed amount (it pays the balances of the invoices ticked) and no
post date (a portal payment is dated today), so it is fed the invoice numbers and the
schedule dates it does take. A second table of good amounts checks that the back office,
the CSV import and the command line accept exactly what the API accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils.html import escape

from remit.core.errors import RemitError
from remit.core.inputs.amounts import amount_parse
from remit.core.inputs.dates import date_parse
from remit.core.inputs.free_text import free_text_parse
from remit.core.inputs.identifiers import NumberKind, number_parse
from remit.invoices.models import Invoice
from remit.invoices.rules import invoice_day_check
from remit.payments.post_date import post_date_check
from tests.integration.input_faces import (
    TODAY,
    Shown,
    World,
    api,
    api_invoice,
    api_payment,
    api_schedule,
    batch_payment,
    cli,
    cli_post,
    customer_form,
    import_in_backoffice,
    import_on_command_line,
    invoice_form,
    make_world,
    portal_pay,
    portal_schedule,
)
from tests.integration.test_api_support import row_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tmp_path, capsys) -> World:
    return make_world(tmp_path, capsys)


Face = Callable[[World, str], Shown]
IMPORTED = "line 2: "
"""How an import names the line: the header is line 1, the bad invoice line 2."""

# Each kind of input: the faces that read it (name, how to ask, how the refusal is worded)
# and the shared rule that gives the expected sentence.
KINDS: dict[str, tuple[Callable[[str], object], dict[str, tuple[Face, Callable[[str], str]]]]] = {
    "amount": (
        lambda text: amount_parse(text, "USD"),
        {
            "back office: Total Payment Amount": (
                lambda w, t: batch_payment(w, amount=t),
                escape,
            ),
            "back office: invoice Total": (lambda w, t: invoice_form(w, total=t), escape),
            "API: payment amount": (lambda w, t: api_payment(w, amount=t), str),
            "API: invoice total": (lambda w, t: api_invoice(w, total=t), str),
            "command line: post --amount": (lambda w, t: cli_post(w, f"--amount={t}"), str),
            "back office: CSV total": (
                lambda w, t: import_in_backoffice(w, total=t),
                lambda s: escape(f"total: {s.rstrip('.')}"),
            ),
            "command line: CSV total": (
                lambda w, t: import_on_command_line(w, total=t),
                lambda s: f"{IMPORTED}total: {s.rstrip('.')}",
            ),
        },
    ),
    # The back office and the command line put the invoice first ("INV-A1: '1e3' is not
    # an amount: ..."); the API names it by its place, invoices[0].amount.
    "amount for one invoice": (
        lambda text: amount_parse(text, "USD"),
        {
            "back office: Amount Applied of a row": (
                lambda w, t: batch_payment(w, fixed=[t]),
                escape,
            ),
            "API: invoices[0].amount": (
                lambda w, t: api_payment(w, invoices=[{"number": "INV-A1", "amount": t}]),
                str,
            ),
            "command line: post --invoice N=AMOUNT": (
                lambda w, t: cli_post(w, "--amount=10.00", f"--invoice=INV-A1={t}"),
                str,
            ),
        },
    ),
    "invoice number to pay": (
        lambda text: number_parse(text, NumberKind.INVOICE),
        {
            "portal: Pay Selected Invoices": (portal_pay, escape),
            "portal: Schedule Payment": (lambda w, t: portal_schedule(w, number=t), escape),
            "back office: a row of the Customer Payment window": (
                lambda w, t: batch_payment(w, invoice=[t]),
                escape,
            ),
            "API: invoices[0].number": (
                lambda w, t: api_payment(w, invoices=[{"number": t}]),
                str,
            ),
            "API: scheduled payment invoices": (lambda w, t: api_schedule(w, number=t), str),
            "command line: post --invoice N": (
                lambda w, t: cli_post(w, "--amount=10.00", f"--invoice={t}"),
                str,
            ),
        },
    ),
    "new invoice number": (
        lambda text: number_parse(text, NumberKind.INVOICE),
        {
            "back office: new invoice": (lambda w, t: invoice_form(w, number=t), escape),
            "API: POST /invoices": (lambda w, t: api_invoice(w, number=t), str),
            "back office: CSV invoice_number": (
                lambda w, t: import_in_backoffice(w, invoice_number=t),
                lambda s: escape(f"invoice_number: {s.rstrip('.')}"),
            ),
            "command line: CSV invoice_number": (
                lambda w, t: import_on_command_line(w, invoice_number=t),
                lambda s: f"{IMPORTED}invoice_number: {s.rstrip('.')}",
            ),
        },
    ),
    "new customer number": (
        lambda text: number_parse(text, NumberKind.CUSTOMER),
        {
            "back office: new customer": (customer_form, escape),
            "API: POST /customers": (
                lambda w, t: api(w.api.post("/customers", {"number": t, "name": "New Co"})),
                str,
            ),
            "back office: CSV customer_number": (
                lambda w, t: import_in_backoffice(w, customer_number=t, customer_name="New Co"),
                lambda s: escape(f"customer_number: {s.rstrip('.')}"),
            ),
            "command line: CSV customer_number": (
                lambda w, t: import_on_command_line(w, customer_number=t, customer_name="New"),
                lambda s: f"{IMPORTED}customer_number: {s.rstrip('.')}",
            ),
        },
    ),
    "post date": (
        lambda text: post_date_check(date_parse(text), today=TODAY),
        {
            "back office: Post Date": (lambda w, t: batch_payment(w, post_date=t), escape),
            "API: post_date": (lambda w, t: api_payment(w, post_date=t), str),
            "command line: post --post-date": (
                lambda w, t: cli_post(w, "--amount=10.00", f"--post-date={t}"),
                str,
            ),
        },
    ),
    "invoice date": (
        lambda text: invoice_day_check(date_parse(text), field="invoice_date"),
        {
            "back office: new invoice": (lambda w, t: invoice_form(w, invoice_date=t), escape),
            "API: POST /invoices": (lambda w, t: api_invoice(w, invoice_date=t), str),
            "back office: CSV invoice_date": (
                lambda w, t: import_in_backoffice(w, invoice_date=t),
                lambda s: escape(f"invoice_date: {s.rstrip('.')}"),
            ),
            "command line: CSV invoice_date": (
                lambda w, t: import_on_command_line(w, invoice_date=t),
                lambda s: f"{IMPORTED}invoice_date: {s.rstrip('.')}",
            ),
        },
    ),
    # Free text: a card number in it is refused (never stored), with the field named.
    "check reference": (
        lambda text: free_text_parse(text, what="reference"),
        {
            "back office: Check/Money Order #": (
                lambda w, t: batch_payment(w, reference=t),
                escape,
            ),
            "API: payment reference": (lambda w, t: api_payment(w, reference=t), str),
            "command line: post --reference": (
                lambda w, t: cli_post(w, "--amount=10.00", f"--reference={t}"),
                str,
            ),
        },
    ),
    "notes": (
        lambda text: free_text_parse(text, what="notes"),
        {
            "back office: Notes": (lambda w, t: batch_payment(w, notes=t), escape),
            "API: payment notes": (lambda w, t: api_payment(w, notes=t), str),
            "command line: post --note": (
                lambda w, t: cli_post(w, "--amount=10.00", f"--note={t}"),
                str,
            ),
        },
    ),
    "invoice description": (
        lambda text: free_text_parse(text, what="description"),
        {
            "back office: invoice Description": (
                lambda w, t: invoice_form(w, description=t),
                escape,
            ),
            "API: invoice description": (lambda w, t: api_invoice(w, description=t), str),
            "back office: CSV description": (
                lambda w, t: import_in_backoffice(w, description=t),
                lambda s: escape(f"description: {s.rstrip('.')}"),
            ),
            "command line: CSV description": (
                lambda w, t: import_on_command_line(w, description=t),
                lambda s: f"{IMPORTED}description: {s.rstrip('.')}",
            ),
        },
    ),
    "schedule date": (
        date_parse,
        {
            "portal: Schedule Payment date": (
                lambda w, t: portal_schedule(w, run_on=t),
                escape,
            ),
            "API: run_on": (lambda w, t: api_schedule(w, run_on=t), str),
        },
    ),
}


BAD: dict[str, list[str]] = {
    "amount": [
        "1e10",
        "1E3",
        "1_000.00",
        "\uff11\uff10.00",  # full-width 10.00
        "\u0663.\u0665\u0660",  # Arabic-Indic 3.50
        "-5.00",
        "+5.00",
        "NaN",
        "Infinity",
        "1 000.00",
        "$10.00",
        "10\u20ac",
        "10.001",
        "1,25",
        "1.000,00",
        "5.",
        ".5",
        "0",
        "0.00",
        "1000000000000",
        "abc",
    ],
    "amount for one invoice": ["1e3", "1_0", "-1", "NaN", "$5", "5.001", "0", "\uff15"],
    "invoice number to pay": [
        "a/b",
        "a b796",
        "-A1",
        "INV\u00e91",
        "I" * 65,
        "INV#1",
        "..",
        "a\\b",
    ],
    "new invoice number": ["a/b", "a b796", "-A1", "INV\u00e91", "I" * 65, "INV?1"],
    "new customer number": ["a/b", "a b", "-C1", "C\u00e9", "C" * 33, "C%2F1"],
    "post date": [
        "9999-12-31",
        "0001-01-01",
        (TODAY + timedelta(days=31)).isoformat(),
        (TODAY - timedelta(days=366)).isoformat(),
        "2026-02-30",
        "20261121",
        "21/11/2026",
    ],
    "invoice date": ["0001-01-01", "1999-12-31", "2101-01-01", "2026-02-30", "2026/01/01"],
    "schedule date": ["2026-02-30", "20261121", "next week", "\uff12\uff10\uff12\uff16-01-01"],
    "check reference": ["4242424242424242", "4111 1111 1111 1111", "3782-822463-10005"],
    "notes": [
        "Customer read me their card 4242 4242 4242 4242 exp 12/29",
        "amex 378282246310005, call back",
        "6011-0009-9013-9424 cvc 123",
    ],
    "invoice description": [
        "Widgets; paid by 5555 5555 5555 4444",
        "4000056655665556",
        "card 4242 4242 4242 4242 123",  # the CVC typed right after the number
    ],
}
CASES = [
    pytest.param(kind, text, id=f"{kind}={text!r}") for kind, texts in BAD.items() for text in texts
]


def expected_sentence(kind: str, text: str) -> str:
    parse, _ = KINDS[kind]
    with pytest.raises(RemitError) as refused:
        parse(text)
    return refused.value.message


@pytest.mark.parametrize(("kind", "text"), CASES)
def test_every_face_refuses_a_bad_input_with_the_same_sentence_and_writes_nothing(
    world, kind, text
):
    sentence = expected_sentence(kind, text)
    _, faces = KINDS[kind]
    wrong = []
    for name, (ask, worded) in faces.items():
        before = row_counts()
        shown = ask(world, text)
        if shown.status >= 500 or shown.status == 1:
            wrong.append(f"{name}: answered {shown.status}")
        elif not shown.refused:
            wrong.append(f"{name}: accepted it ({shown.status})")
        elif worded(sentence) not in shown.text:
            wrong.append(f"{name}: did not say {sentence!r}; it said {shown.text[-400:]!r}")
        if row_counts() != before:
            wrong.append(f"{name}: wrote something")
    assert not wrong, "\n".join(wrong)


def test_the_command_line_says_exactly_the_one_sentence_on_stderr(world):
    shown = cli_post(world, "--amount=1e10")
    assert shown.status == 2
    assert shown.text == (
        "remit: '1e10' is not an amount: write the digits out, without an exponent (1e3 is 1000).\n"
    )


def test_the_api_names_the_field_and_gives_the_sentence(world):
    answer = world.api.post("/payments", {"customer": "C-ACME", "type": "check", "amount": "1e10"})
    assert answer.status_code == 422
    sentence = "'1e10' is not an amount: write the digits out, without an exponent (1e3 is 1000)."
    assert answer.json()["fields"] == {"amount": sentence}
    assert answer.json()["message"] == f"The request is not valid: amount: {sentence}"


def test_the_table_covers_every_face_and_every_kind_in_three_faces_or_more():
    faces = {name.split(":")[0] for _, named in KINDS.values() for name in named}
    assert faces == {"portal", "back office", "API", "command line"}
    for kind, (_, named) in KINDS.items():
        readers = {name.split(":")[0] for name in named}
        assert len(readers) >= 2, kind
        assert BAD[kind], kind


# --- what the API accepts, every face accepts ---------------------------------------------

GOOD = ["1,250.00", "1,000", "150", "150.5", "0.01", "999,999,999,999.99"]


@pytest.mark.parametrize("text", GOOD)
def test_an_amount_the_api_accepts_is_accepted_by_every_face_as_the_same_money(world, text):
    money = amount_parse(text, "USD")
    made = {
        "API": api_invoice(world, number="INV-G-API", total=text),
        "back office": invoice_form(world, number="INV-G-BO", total=text),
        "back office CSV": import_in_backoffice(world, invoice_number="INV-G-CSV", total=text),
        "command line CSV": import_on_command_line(world, invoice_number="INV-G-CLI", total=text),
    }
    assert {face: shown.refused for face, shown in made.items()} == dict.fromkeys(made, False)
    totals = dict(
        Invoice.objects.filter(number__startswith="INV-G-").values_list("number", "total_minor")
    )
    assert totals == dict.fromkeys(["INV-G-API", "INV-G-BO", "INV-G-CSV", "INV-G-CLI"], money.minor)
    posted = cli_post(world, f"--amount={text}", "--json")
    assert posted.status == 0 and not posted.refused


@pytest.mark.parametrize(
    "text", ["4411", "Check 000123456789", "INV-10045, INV-10046", "Call 555-123-4567"]
)
def test_free_text_without_a_card_number_is_kept_by_every_face(world, text):
    assert not batch_payment(world, reference="4411", notes=text).refused
    # another amount: the same check #4411 twice would be warned about as a duplicate
    assert api_payment(world, reference="4411", notes=text, amount="20.00").status == 201
    assert cli_post(world, "--amount=1.00", "--reference=4411", f"--note={text}").status == 0
    assert not import_in_backoffice(world, description=text).refused
    assert api_invoice(world, description=text).status == 201


def test_a_post_date_inside_the_window_is_accepted_by_every_face(world):
    day = (TODAY - timedelta(days=365)).isoformat()
    assert not batch_payment(world, post_date=day, amount="1.00").refused
    assert api_payment(world, post_date=day, amount="1.00").status == 201
    assert cli_post(world, "--amount=1.00", f"--post-date={day}").status == 0


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"description": "d" * 501}, "description: It has 501 characters; at most 500"),
        ({"description": "a\x00b"}, "description: The NUL character cannot be stored"),
        (
            {"customer_number": "C-NEW", "customer_name": "N" * 201},
            "customer_name: It has 201 characters; at most 200",
        ),
    ],
)
def test_an_import_line_the_database_could_not_hold_is_a_line_error_in_both_faces(
    world, values, words
):
    before = row_counts()
    in_backoffice = import_in_backoffice(world, **values)
    on_command_line = import_on_command_line(world, **values)
    assert in_backoffice.refused and escape(words) in in_backoffice.text
    assert on_command_line.status == 2 and f"line 2: {words}" in on_command_line.text
    assert row_counts() == before


def test_a_card_number_in_the_reason_for_a_void_is_refused_by_the_api_and_the_cli(world):
    posted = api_payment(world, reference="4411")
    number = world.api.get("/payments").json()["items"][0]["number"]
    assert posted.status == 201
    sentence = "Remove the card number from the reason: card numbers are never stored."
    before = row_counts()

    by_api = api(world.api.post(f"/payments/{number}/void", {"reason": "4242424242424242"}))
    by_cli = cli(world, "void", number, "--reason=card 4242 4242 4242 4242")

    assert by_api.refused and sentence in by_api.text
    assert by_cli.status == 2 and sentence in by_cli.text
    assert row_counts() == before
