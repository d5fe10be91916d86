"""What the faces read of the outbox: a customer's emails and contacts."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import Http404

from remit.customers.models import Customer
from remit.notifications.models import Contact, Email, Kind

KIND_FIELDS = tuple((kind.value, kind.label) for kind in Kind)


def customer_emails(*, customer: Customer, page: int = 1, per_page: int = 50) -> Page:
    emails = Email.objects.filter(customer=customer).order_by("-id")
    return Paginator(emails, per_page).get_page(page)


def customer_email(*, customer: Customer, email_id: int | str) -> Email:
    """One of the customer's emails; another customer's id is not found."""
    try:
        return Email.objects.get(customer=customer, pk=int(email_id))
    except (Email.DoesNotExist, ValueError, TypeError):
        raise Http404("No such email") from None


def customer_contacts(*, customer: Customer) -> list[Contact]:
    return list(Contact.objects.filter(customer=customer))
