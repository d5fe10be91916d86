"""The Bank screen: upload a bank file, its lines by status, the review queue (Enter
accepts the suggestion; another customer or other invoices can be chosen, the split
previewed as you type; Ignore with a reason), and deposits with their slip."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from remit.backoffice.access import POST_PAYMENT, staff_view
from remit.backoffice.selectors import customer_search
from remit.backoffice.web import go
from remit.bank.deposits import deposit_create, deposit_slip_pdf, undeposited_payments
from remit.bank.models import BankLine, Deposit, LineStatus, Statement
from remit.bank.selectors import bank_lines
from remit.bank.services import (
    bank_line_accept,
    bank_line_get,
    bank_line_ignore,
    bank_statement_import,
)
from remit.core.errors import RemitError
from remit.core.inputs.identifiers import NumberKind, number_parse
from remit.core.inputs.invoice_list import invoice_requests_parse
from remit.customers.models import Customer
from remit.invoices.models import Invoice, InvoiceStatus
from remit.payments.selectors import payment_preview

FILTERS = [
    ("", "All"),
    ("review", "Review"),
    ("unmatched", "Unmatched"),
    ("posted", "Posted"),
    ("ignored", "Ignored"),
]
QUEUE = (LineStatus.REVIEW, LineStatus.UNMATCHED)
MAX_UPLOAD = 50 * 1024 * 1024


@require_GET
@staff_view()
def index(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in dict(FILTERS):
        status = ""
    statement = request.GET.get("statement", "")
    statement_id = int(statement) if statement.isdigit() else None
    lines = bank_lines(statement=statement_id, status=status or None)
    page = Paginator(lines, 50).get_page(request.GET.get("page", 1))
    return render(
        request,
        "backoffice/bank.html",
        {
            "filters": FILTERS,
            "status": status,
            "statement": statement_id,
            "statements": Statement.objects.all()[:10],
            "page": page,
            "waiting": BankLine.objects.filter(status__in=QUEUE).count(),
        },
    )


@require_POST
@staff_view(POST_PAYMENT)
def upload(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a bank file to upload.")
        return go(request, reverse("backoffice:bank"))
    if upload.size > MAX_UPLOAD:
        messages.error(request, "The file is larger than 50 MB; split it.")
        return go(request, reverse("backoffice:bank"))
    try:
        result = bank_statement_import(
            data=upload.read(), filename=upload.name or "", actor=request.actor
        )
    except RemitError as error:
        messages.error(request, error.message)
        return go(request, reverse("backoffice:bank"))
    counts = result.counts
    if result.duplicate_of is not None:
        messages.warning(
            request,
            f"{upload.name} was imported before (statement {result.duplicate_of}); "
            "nothing was posted.",
        )
    else:
        messages.success(
            request,
            f"Statement {result.statement.pk}: {result.lines} lines, {counts['posted']} posted, "
            f"{counts['review']} to review, {counts['unmatched']} unmatched, "
            f"{counts['ignored']} ignored.",
        )
    return go(request, reverse("backoffice:bank") + f"?statement={result.statement.pk}")


def _line_or_404(line_id: int) -> BankLine:
    try:
        return bank_line_get(line_id=line_id)
    except RemitError:
        raise Http404("There is no such bank line.") from None


@require_GET
@staff_view(POST_PAYMENT)
def review(request: HttpRequest, line_id: int | None = None) -> HttpResponse:
    """One line of the queue: its suggestion and reason; the next after it."""
    queue = BankLine.objects.filter(status__in=QUEUE).order_by("id")
    if line_id is None:
        line = queue.select_related("customer", "statement").first()
        if line is None:
            return render(request, "backoffice/bank_review.html", {"line": None})
    else:
        line = _line_or_404(line_id)
    customer = line.customer
    chosen = request.GET.get("customer", "")
    if chosen:
        customer = Customer.objects.filter(number=chosen).first() or customer
    return render(request, "backoffice/bank_review.html", _review_context(line, customer, queue))


def _review_context(line: BankLine, customer: Customer | None, queue) -> dict:
    suggested = {a["invoice"]: a["amount"] for a in line.allocations}
    same = customer is not None and customer.pk == line.customer_id
    invoices = []
    if customer is not None:
        open_invoices = Invoice.objects.filter(
            customer=customer, status=InvoiceStatus.OPEN, balance_due_minor__gt=0
        ).order_by("invoice_date", "due_date", "number")[:200]
        for invoice in open_invoices:
            invoices.append(
                {
                    "invoice": invoice,
                    "checked": same and invoice.number in suggested,
                    "amount": suggested.get(invoice.number, "") if same else "",
                }
            )
    return {
        "line": line,
        "customer": customer,
        "invoices": invoices,
        "waiting": queue.count(),
        "next": queue.filter(pk__gt=line.pk).values_list("pk", flat=True).first(),
        "in_queue": line.status in QUEUE,
    }


@require_GET
@staff_view(POST_PAYMENT)
def customers(request: HttpRequest, line_id: int) -> HttpResponse:
    """Search as you type for another customer."""
    line = _line_or_404(line_id)
    query = request.GET.get("q", "")
    results = customer_search(query=query, limit=10) if query.strip() else []
    return render(
        request,
        "backoffice/partials/bank_customers.html",
        {"line": line, "results": results, "query": query},
    )


def _requests(request: HttpRequest, line: BankLine):
    chosen = request.POST.getlist("invoice")
    pairs = [(n, request.POST.get(f"amount-{n}", "").strip() or None) for n in chosen]
    return invoice_requests_parse(pairs, line.currency)


def _customer(request: HttpRequest) -> Customer | None:
    number = request.POST.get("customer", "").strip()
    if not number:
        return None
    number_parse(number, NumberKind.CUSTOMER, field="customer")
    customer = Customer.objects.filter(number=number).first()
    if customer is None:
        raise RemitError(f"There is no customer {number}.", fields={"customer": "unknown"})
    return customer


@require_POST
@staff_view(POST_PAYMENT)
def preview(request: HttpRequest, line_id: int) -> HttpResponse:
    """The split the accept would make, as the clerk ticks invoices and types amounts."""
    line = _line_or_404(line_id)
    context: dict = {"line": line}
    try:
        customer = _customer(request) or line.customer
        if customer is None:
            raise RemitError("Choose a customer.")
        requests = _requests(request, line)
        context["split"] = payment_preview(
            customer=customer, amount=line.amount, invoices=requests or None
        )
        context["customer"] = customer
    except RemitError as error:
        context["error"] = error.message
    return render(request, "backoffice/partials/bank_split.html", context)


@require_POST
@staff_view(POST_PAYMENT)
def accept(request: HttpRequest, line_id: int) -> HttpResponse:
    line = _line_or_404(line_id)
    try:
        customer = _customer(request)
        requests = _requests(request, line)
        same = customer is None or customer.pk == line.customer_id
        if same and request.POST.get("as_suggested") == "1":
            accepted = bank_line_accept(line_id=line.pk, actor=request.actor)
        else:
            accepted = bank_line_accept(
                line_id=line.pk,
                customer=customer or line.customer,
                invoices=requests,
                actor=request.actor,
            )
    except RemitError as error:
        messages.error(request, error.message)
        return go(request, reverse("backoffice:bank_review_line", args=[line.pk]))
    messages.success(
        request,
        f"Line {accepted.pk}: {accepted.payment.number} posted to "
        f"{accepted.customer.number} for {accepted.amount.format()}.",
    )
    return go(request, reverse("backoffice:bank_review"))


@require_POST
@staff_view(POST_PAYMENT)
def ignore(request: HttpRequest, line_id: int) -> HttpResponse:
    line = _line_or_404(line_id)
    try:
        bank_line_ignore(
            line_id=line.pk, reason=request.POST.get("reason", ""), actor=request.actor
        )
    except RemitError as error:
        messages.error(request, error.message)
        return go(request, reverse("backoffice:bank_review_line", args=[line.pk]))
    messages.success(request, f"Line {line.pk} ignored.")
    return go(request, reverse("backoffice:bank_review"))


@require_GET
@staff_view()
def deposits(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "backoffice/bank_deposits.html",
        {
            "undeposited": undeposited_payments()[:500],
            "deposits": Deposit.objects.prefetch_related("items")[:50],
            "today": timezone.localdate(),
        },
    )


@require_POST
@staff_view(POST_PAYMENT)
def deposit_save(request: HttpRequest) -> HttpResponse:
    try:
        deposit = deposit_create(
            payment_numbers=request.POST.getlist("payment"),
            deposited_on=timezone.localdate(),
            actor=request.actor,
        )
    except RemitError as error:
        messages.error(request, error.message)
        return go(request, reverse("backoffice:bank_deposits"))
    messages.success(
        request,
        f"Deposit {deposit.number}: {deposit.items.count()} item(s), {deposit.total.format()}.",
    )
    return go(request, reverse("backoffice:bank_deposits"))


@require_GET
@staff_view()
def deposit_pdf(request: HttpRequest, number: str) -> HttpResponse:
    deposit = Deposit.objects.filter(number=number).first()
    if deposit is None:
        raise Http404("There is no such deposit.")
    response = HttpResponse(deposit_slip_pdf(deposit), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{deposit.number}.pdf"'
    return response
