"""A customer's emails (every one remit queued or sent: subject, when, status, body) and
the contacts that get them, each kind on or off."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from remit.backoffice.access import MANAGE_CUSTOMERS, staff_view
from remit.backoffice.selectors import customer_by_number
from remit.backoffice.web import go
from remit.core.errors import RemitError
from remit.notifications.compose import mime
from remit.notifications.models import Contact, Kind
from remit.notifications.selectors import (
    KIND_FIELDS,
    customer_contacts,
    customer_email,
    customer_emails,
)
from remit.notifications.services import contact_remove, contact_save


@require_GET
@staff_view()
def index(request: HttpRequest, number: str) -> HttpResponse:
    customer = customer_by_number(number)
    return render(
        request,
        "backoffice/emails.html",
        {
            "customer": customer,
            "emails": customer_emails(customer=customer, page=request.GET.get("page") or 1),
            "contacts": [
                (contact, [(value, label, contact.wants(value)) for value, label in KIND_FIELDS])
                for contact in customer_contacts(customer=customer)
            ],
        },
    )


@require_GET
@staff_view()
def show(request: HttpRequest, number: str, email_id: str) -> HttpResponse:
    customer = customer_by_number(number)
    email = customer_email(customer=customer, email_id=email_id)
    return render(request, "backoffice/email.html", {"customer": customer, "email": email})


@require_GET
@staff_view()
def download(request: HttpRequest, number: str, email_id: str) -> HttpResponse:
    """The email as sent (text and HTML parts; attachments are made when it is sent)."""
    customer = customer_by_number(number)
    email = customer_email(customer=customer, email_id=email_id)
    response = HttpResponse(mime(email).as_bytes(), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="email-{email.pk}.eml"'
    return response


@require_POST
@staff_view(MANAGE_CUSTOMERS)
def contact(request: HttpRequest, number: str) -> HttpResponse:
    """Add a contact or save one's kinds (a checkbox per kind); `remove` removes it."""
    customer = customer_by_number(number)
    address = request.POST.get("email", "")
    back = reverse("backoffice:emails", args=[customer.number])
    if request.POST.get("remove"):
        found = Contact.objects.filter(customer=customer, email=address).first()
        if found is None:
            raise Http404("No such contact")
        contact_remove(contact=found, actor=request.actor)
        messages.success(request, f"{address} was removed.")
        return go(request, back)
    kinds = (
        None if request.POST.get("new") else set(request.POST.getlist("kind")) & set(Kind.values)
    )
    try:
        saved = contact_save(
            customer=customer,
            email=address,
            name=request.POST.get("name", ""),
            kinds=kinds,
            actor=request.actor,
        )
        messages.success(request, f"{saved.email} saved.")
    except RemitError as error:
        messages.error(request, error.message)
    return go(request, back)
