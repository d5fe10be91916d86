"""The invoices a payment names, each with the amount to apply or none (spread the rest).

Every face names invoices its own way (the command line's `--invoice INV-1=150.00`, the
API's `{"number", "amount"}`, the back office's rows of a window) and hands the pairs of
text here. Each number follows the number rule, each amount the amount syntax in the
customer's currency, and an invoice named twice is refused, with the same sentences in
every face.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from remit.core.errors import InvalidAmount, RemitError
from remit.core.inputs.amounts import amount_parse
from remit.core.inputs.identifiers import NumberKind, number_parse
from remit.core.money import Money


@dataclass(frozen=True)
class InvoiceRequest:
    """An invoice named by the user, with the amount to apply or None to spread."""

    number: str
    amount: Money | None = None


def invoice_item_split(text: str) -> tuple[str, str | None]:
    """`INV-1=150.00` -> ("INV-1", "150.00"); `INV-1` -> ("INV-1", None)."""
    number, equals, amount = text.partition("=")
    return number, amount if equals else None


def invoice_request_parse(
    number: str, amount: str | None, currency: str, *, index: int = 0
) -> InvoiceRequest:
    """One named invoice; a refusal names its place (`invoices[2].amount`) and, for an
    amount, the invoice ("INV-0042: '1e3' is not an amount: ...")."""
    number_parse(number, NumberKind.INVOICE, field=f"invoices[{index}].number")
    if amount is None or amount == "":
        return InvoiceRequest(number)
    try:
        return InvoiceRequest(number, amount_parse(amount, currency))
    except InvalidAmount as error:
        problem = f"{number}: {error.message}"
        raise InvalidAmount(problem, fields={f"invoices[{index}].amount": problem}) from None


def invoice_requests_parse(
    items: Iterable[tuple[str, str | None]], currency: str
) -> list[InvoiceRequest]:
    """Every named invoice, in order; the first refusal stops."""
    requests = [
        invoice_request_parse(number, amount, currency, index=index)
        for index, (number, amount) in enumerate(items)
    ]
    invoices_once([r.number for r in requests])
    return requests


def invoices_once(numbers: Sequence[str]) -> None:
    """Refuse a list that names an invoice more than once."""
    twice = sorted(number for number, count in Counter(numbers).items() if count > 1)
    if twice:
        raise RemitError(
            f"An invoice is named more than once: {', '.join(twice)}.",
            fields={"invoices": "repeated"},
        )
