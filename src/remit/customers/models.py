"""Customers, and which portal users act for them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from remit.core.constraints import number_rule
from remit.core.inputs.identifiers import MAX_LENGTH, NumberKind


class Customer(models.Model):
    number = models.CharField(
        max_length=MAX_LENGTH[NumberKind.CUSTOMER], unique=True, help_text="Such as C-0001."
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    currency = models.CharField(max_length=3, default="USD", help_text="ISO 4217 code.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        permissions = [("manage_customers", "Can create and edit customers")]
        constraints = [
            number_rule(
                "number", max_length=MAX_LENGTH[NumberKind.CUSTOMER], name="customer_number_rule"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Role(models.TextChoices):
    VIEWER = "viewer", "View only"
    """Sees invoices, payments and receipts; is never offered a pay action."""
    ACCOUNTS_PAYABLE = "accounts_payable", "Accounts Payable"
    """Also pays, schedules, applies credit and manages payment methods."""


def role_can_pay(role: str | None) -> bool:
    """Whether a portal user with `role` at a customer may pay, schedule, apply credit
    and manage payment methods there: the one check the portal and the API make."""
    return role == Role.ACCOUNTS_PAYABLE


class Membership(models.Model):
    """A portal user acting for one customer, with one role there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "customer"], name="one_membership_per_customer")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.customer.number} ({self.get_role_display()})"

    @property
    def can_pay(self) -> bool:
        return role_can_pay(self.role)
