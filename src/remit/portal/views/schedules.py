"""Schedule Payment for Selected Invoices, the scheduled payments, and Cancel."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from remit.core.errors import InvalidNumber
from remit.core.money import Money
from remit.invoices.models import Invoice
from remit.payments.models import ScheduledPayment
from remit.payments.selectors import method_chosen, payment_methods
from remit.payments.services.schedule import schedule_cancel, schedule_create
from remit.portal.access import not_found, portal_view
from remit.portal.forms import ScheduleForm
from remit.portal.lookups import schedule_of, schedules
from remit.portal.views.methods import method_from_form
from remit.portal.views.pay import selected
from remit.portal.web import error_sentence, go, is_htmx, render_dialog


@require_http_methods(["GET", "POST"])
@portal_view(pay=True)
def schedule(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    try:
        invoices = selected(request, data.getlist("invoice"))
    except InvalidNumber as error:
        return _dialog(request, [], key=uuid.uuid4(), error=error.message)
    if request.method == "GET":
        return _dialog(request, invoices, key=uuid.uuid4())
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        error = next(iter(form.errors.values()))[0]
        return _dialog(request, invoices, key=uuid.uuid4(), error=error, form=form)
    method = method_from_form(request, form.cleaned_data["method"])
    try:
        held = schedule_create(
            customer=request.portal.customer,
            method=method,
            invoice_numbers=[invoice.number for invoice in invoices],
            run_on=form.cleaned_data["run_on"],
            idempotency_key=f"portal:{form.cleaned_data['key']}",
            actor=request.actor,
            source="portal",
        )
    except Exception as error:
        key = form.cleaned_data["key"]
        return _dialog(request, invoices, key=key, error=error_sentence(error), form=form)
    messages.success(
        request,
        f"Payment scheduled for {held.run_on:%B} {held.run_on.day}, {held.run_on.year} "
        f"with {held.method.display} ({held.number}). The invoices show Scheduled until then.",
    )
    return go(request, reverse("portal:invoices"))


@require_GET
@portal_view()
def schedule_list(request: HttpRequest) -> HttpResponse:
    """The scheduled payments: a page, or from Actions the dialog of those to cancel."""
    customer = request.portal.customer
    if is_htmx(request):
        waiting = schedules(customer, waiting_only=True)
        return render_dialog(request, "portal/schedules_dialog.html", {"schedules": waiting})
    return render(
        request, "portal/schedules.html", {"schedules": schedules(customer), "nav": "schedules"}
    )


@require_POST
@portal_view(pay=True)
def schedule_cancel_view(request: HttpRequest, number: str) -> HttpResponse:
    held = _schedule(request, number)
    try:
        schedule_cancel(schedule=held, actor=request.actor)
        messages.success(request, f"{held.number} was cancelled. Its invoices are Open again.")
    except Exception as error:
        messages.error(request, error_sentence(error))
    return go(request, reverse("portal:invoices"))


def _schedule(request: HttpRequest, number: str) -> ScheduledPayment:
    held = schedule_of(request.portal.customer, number)
    if held is None:
        raise not_found(request, "scheduled payment", number)
    return held


def _dialog(
    request: HttpRequest,
    invoices: list[Invoice],
    *,
    key: uuid.UUID,
    error: str = "",
    form: ScheduleForm | None = None,
) -> HttpResponse:
    customer = request.portal.customer
    methods = payment_methods(customer=customer)
    earliest, latest = ScheduleForm.date_range()
    given = form.data if form is not None else {}
    payable = [invoice for invoice in invoices if invoice.is_payable]
    return render_dialog(
        request,
        "portal/schedule_dialog.html",
        {
            "invoices": invoices,
            "not_payable": [i for i in invoices if not i.is_payable],
            "total": sum((i.balance_due for i in payable), Money.zero(customer.currency)),
            "methods": methods,
            "chosen": method_chosen(methods, given.get("method", "")),
            "run_on": given.get("run_on", ""),
            "earliest": earliest,
            "latest": latest,
            "key": key,
            "error": error,
            "form_id": "schedule-form",
        },
    )
