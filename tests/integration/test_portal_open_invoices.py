"""Open Invoices: filters, search, sorts, keyset paging, and the page's constant cost."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from remit.core.audit import Actor
from remit.core.money import Money
from remit.customers.models import Role
from remit.invoices.csv_import import InvoiceRow
from remit.invoices.models import Invoice, InvoiceStatus
from remit.invoices.services import invoices_create
from remit.payments.candidates import InvoiceRequest
from remit.payments.services.offline import payment_post
from remit.portal.selectors import FILTERS, GROUPED_SORTS, SORTS, InvoiceQuery, invoice_page
from tests.factories import make_customer
from tests.integration.test_portal_support import SETUP, make_world, portal_user

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 15)
_batch = itertools.count(1)


def many_invoices(customer, count: int, *, start: date = date(2026, 1, 1)) -> list[str]:
    """`count` open invoices, several sharing each date (so the ties matter)."""
    batch = next(_batch)
    rows = [
        InvoiceRow(
            line=i + 1,
            number=f"INV-{batch}-{(i * 7919) % count:05d}",  # numbers not in date order
            customer_number=customer.number,
            customer_name=customer.name,
            invoice_date=start + timedelta(days=i // 3),
            due_date=start + timedelta(days=i // 3 + 30 - i % 2),
            total=Money.of(f"{10 + i}.50", customer.currency),
            description="",
        )
        for i in range(count)
    ]
    invoices_create(rows=rows, actor=Actor(label="t"), reference=f"batch {batch}")
    return [row.number for row in rows]


def hold_some(customer, numbers: list[str]) -> None:
    """Mixed statuses for the walks (set directly: only the list's reading is tested)."""
    Invoice.objects.filter(number__in=numbers[::5]).update(status=InvoiceStatus.PENDING)
    Invoice.objects.filter(number__in=numbers[1::7]).update(status=InvoiceStatus.SCHEDULED)
    Invoice.objects.filter(number__in=numbers[2::9]).update(status=InvoiceStatus.PAID)


def walk(customer, query: InvoiceQuery) -> list[str]:
    """Every page, forwards, by the Next cursor."""
    seen, after = [], None
    while True:
        page = invoice_page(customer=customer, query=query, today=TODAY, after=after)
        assert len(page.lines) <= query.size
        seen += [line.number for line in page.lines]
        if page.next_after is None:
            return seen
        after = page.next_after


def expected(customer, query: InvoiceQuery) -> list[str]:
    _, columns, descending = SORTS[query.sort]
    _, statuses = FILTERS[query.status]
    rows = Invoice.objects.filter(customer=customer, status__in=statuses)
    if query.search:
        rows = rows.filter(number__icontains=query.search)
    if query.status == "partly_paid":
        rows = [r for r in rows if r.balance_due_minor < r.total_minor]
    rank = {status: i for i, status in enumerate(statuses)}

    def key(r):
        columns_of = tuple(getattr(r, c) for c in columns)
        return (rank[r.status], *columns_of) if query.sort in GROUPED_SORTS else columns_of

    return [r.number for r in sorted(rows, key=key, reverse=descending)]


@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize("status", ["unpaid", "all", "pending"])
def test_paging_forwards_shows_every_invoice_once_in_order(sort, status):
    customer = make_customer()
    hold_some(customer, many_invoices(customer, 61))
    query = InvoiceQuery(status=status, sort=sort, size=25)
    assert walk(customer, query) == expected(customer, query)


def test_paging_backwards_returns_the_pages_seen_going_forwards():
    customer = make_customer()
    hold_some(customer, many_invoices(customer, 60))
    query = InvoiceQuery(size=25)
    first = invoice_page(customer=customer, query=query, today=TODAY)
    second = invoice_page(customer=customer, query=query, today=TODAY, after=first.next_after)
    third = invoice_page(customer=customer, query=query, today=TODAY, after=second.next_after)
    back = invoice_page(customer=customer, query=query, today=TODAY, before=third.prev_before)
    assert back.lines == second.lines
    start = invoice_page(customer=customer, query=query, today=TODAY, before=back.prev_before)
    assert start.lines == first.lines and start.prev_before is None


def test_search_by_number_filter_by_status_and_partly_paid():
    customer = make_customer()
    numbers = many_invoices(customer, 30)
    hold_some(customer, numbers)
    target = Invoice.objects.get(number=numbers[3])
    payment_post(
        customer=customer,
        amount=Money.of("5.00", "USD"),
        payment_type="check",
        invoices=[InvoiceRequest(target.number)],
        idempotency_key="part",
        actor=SETUP,
        source="backoffice",
    )
    for query in (
        InvoiceQuery(search=numbers[3][-3:]),
        InvoiceQuery(status="partly_paid"),
        InvoiceQuery(status="paid"),
        InvoiceQuery(status="scheduled", search="INV"),
    ):
        assert walk(customer, query) == expected(customer, query), query
    query = InvoiceQuery(status="partly_paid")
    (line,) = invoice_page(customer=customer, query=query, today=TODAY).lines
    assert line.number == target.number and line.status_label == "Partly paid"


def test_overdue_is_marked_only_where_something_is_still_due():
    customer = make_customer()
    many_invoices(customer, 6, start=TODAY - timedelta(days=40))
    lines = invoice_page(customer=customer, query=InvoiceQuery(status="all"), today=TODAY).lines
    assert {line.overdue for line in lines} == {True}
    Invoice.objects.filter(customer=customer).update(status=InvoiceStatus.PENDING)
    lines = invoice_page(customer=customer, query=InvoiceQuery(status="all"), today=TODAY).lines
    assert {line.overdue for line in lines} == {False}


def test_held_invoices_are_greyed_out_with_the_reason_on_hover():
    world = make_world()
    Invoice.objects.filter(pk=world.invoices[1].pk).update(status=InvoiceStatus.PENDING)
    Invoice.objects.filter(pk=world.invoices[2].pk).update(status=InvoiceStatus.SCHEDULED)
    client = Client()
    client.force_login(world.clerk)
    page = client.get(reverse("portal:invoices")).content.decode()
    held = ((world.invoices[1], "Pending: a payment"), (world.invoices[2], "Scheduled:"))
    for invoice, words in held:
        row = row_of(page, invoice.number)
        assert 'class="is-held' in row and "disabled" in row and f'title="{words}' in row
    assert "disabled" not in row_of(page, world.invoices[0].number)
    assert "Overdue" in row_of(page, world.invoices[0].number)  # due 30 days ago


def row_of(page: str, number: str) -> str:
    at = page.index(f'data-invoice="{number}"')
    start = page.rindex("<tr", 0, at)
    return page[start : page.index("</tr>", at)]


def test_the_page_costs_the_same_queries_for_10_and_300_invoices():
    counts = []
    for size in (10, 300):
        customer = make_customer()
        numbers = many_invoices(customer, size, start=timezone.localdate() - timedelta(days=90))
        hold_some(customer, numbers)
        client = Client()
        client.force_login(portal_user((customer, Role.ACCOUNTS_PAYABLE)))
        client.get(reverse("portal:invoices"))
        for url in (reverse("portal:invoices"), reverse("portal:invoices") + "?sort=-due"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
    # The default (open first) walks the statuses in turn and stops once a page is full,
    # so 300 invoices may cost fewer queries than 10, never more; a merged sort the same.
    assert counts[2] <= counts[0] and counts[3] == counts[1]


def test_a_cursor_of_another_customer_is_not_found():
    world = make_world()
    client = Client()
    client.force_login(world.clerk)
    url = reverse("portal:invoices")
    assert client.get(url, {"after": world.their_invoice.number}).status_code == 404
    assert client.get(url, {"before": "INV-NOPE"}).status_code == 404


def test_unknown_filters_fall_back_to_the_defaults():
    query = InvoiceQuery.parse({"status": "evil", "sort": "drop table", "per": "100000"})
    assert query == InvoiceQuery()
