"""The two staff groups, with their permissions.

Created by migration 0001 on a fresh database, and again after `post_migrate` when they are
missing (a test flush empties every table). An existing group is left as its admins set it.
"""

from __future__ import annotations

CLERK = "Billing clerk"
MANAGER = "Billing manager"

VIEWED_MODELS = {
    "core": [("auditevent", "audit event")],
    "customers": [("customer", "customer"), ("membership", "membership")],
    "invoices": [("invoice", "invoice")],
    "ledger": [("journalentry", "journal entry"), ("journalline", "journal line")],
    "payments": [
        ("payment", "payment"),
        ("allocation", "allocation"),
        ("creditentry", "credit entry"),
        ("paymentmethod", "payment method"),
        ("gatewayattempt", "gateway attempt"),
        ("paymentevent", "payment event"),
    ],
}
"""Both groups may view these (app label: [(model, verbose name)])."""

# (app label, model, codename, name): as the models' Meta declares them.
POST_PAYMENT = ("payments", "payment", "post_payment", "Can post payments")
VOID_PAYMENT = ("payments", "payment", "void_payment", "Can void and refund payments")
MANAGE_INVOICES = ("invoices", "invoice", "manage_invoices", "Can create, import and void invoices")
MANAGE_CUSTOMERS = ("customers", "customer", "manage_customers", "Can create and edit customers")
CONFIGURE_GATEWAY = (
    "gateways",
    "processedwebhookevent",
    "configure_gateway",
    "Can configure the payment gateway",
)


def _view_permissions() -> list[tuple[str, str, str, str]]:
    return [
        (app, model, f"view_{model}", f"Can view {name}")
        for app, models in VIEWED_MODELS.items()
        for model, name in models
    ]


def group_permissions() -> dict[str, list[tuple[str, str, str, str]]]:
    view = _view_permissions()
    return {
        CLERK: [*view, POST_PAYMENT],
        MANAGER: [
            *view,
            POST_PAYMENT,
            VOID_PAYMENT,
            MANAGE_INVOICES,
            MANAGE_CUSTOMERS,
            CONFIGURE_GATEWAY,
        ],
    }


def ensure_staff_groups(apps) -> None:
    """Create each missing group with its permissions (and any missing permission row:
    Django writes permissions only after all migrations have run)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    for group_name, permissions in group_permissions().items():
        if Group.objects.filter(name=group_name).exists():
            continue
        rows = []
        for app_label, model, codename, name in permissions:
            content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type, codename=codename, defaults={"name": name}
            )
            rows.append(permission)
        group = Group.objects.create(name=group_name)
        group.permissions.set(rows)


def remove_staff_groups(apps) -> None:
    apps.get_model("auth", "Group").objects.filter(name__in=[CLERK, MANAGER]).delete()
