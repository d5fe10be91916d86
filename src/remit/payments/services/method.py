"""Saved payment methods: add (from a gateway token), set default, remove, spend.

remit keeps the gateway's token and what may be shown (brand, last four, expiry, holder,
label); the card number and CVC go to the gateway's tokenising form and never here. What
is kept of a token made in a browser is asked of the gateway (`describe_token`), never
taken from the browser.

Two rules of the customer's list live here:

- **One card is one method.** The gateway gives every card a fingerprint (the same for
  each token of it). Adding a card the customer already has returns the method on file
  instead of a copy; a later expiry (a renewed card) refreshes its token and expiry.
- **Only a card the customer chose to save is kept.** A method added with `save=False`
  pays the payment it was added for and nothing else: it is never listed or the default,
  and `payment_method_spend` removes it once a payment has been recorded with it, so a
  declined card is gone after the decline.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.db import transaction

from remit.core.audit import Actor, audit_record
from remit.core.errors import RemitError
from remit.customers.models import Customer
from remit.gateways.protocol import UNKNOWN_DETAILS, Gateway, PaymentDetailsInvalid, Tokenized
from remit.gateways.registry import gateway_name, get_gateway
from remit.payments.models import MethodKind, PaymentMethod
from remit.payments.services.unit_of_work import customer_lock


@dataclass(frozen=True)
class MethodAdded:
    method: PaymentMethod
    already_saved: bool
    """The card was on file already (and saved): the method returned is that one."""

    @property
    def sentence(self) -> str:
        """What the face says: "Visa •••• 4242 was added." or that it is on file already."""
        what = "card" if self.method.kind == MethodKind.CARD else "bank account"
        if self.already_saved:
            return f"That {what} is already saved; it is selected."
        if not self.method.saved:
            return f"{self.method.display} will pay this payment only; it is not saved."
        return f"{self.method.display} was added."


def payment_method_add_from_token(
    *,
    customer: Customer,
    token: str,
    actor: Actor,
    save: bool = True,
    holder_name: str = "",
    label: str = "",
    make_default: bool = False,
    kind: str | None = None,
    gateway: Gateway | None = None,
) -> MethodAdded:
    """Save a token a browser got from the gateway's card form: the gateway says what it
    is (kind, brand, last four, expiry, fingerprint), asked before any lock is taken.
    With `kind`, a token of another kind is refused (a card form takes cards only)."""
    token = token.strip()
    if not token or len(token) > 128 or token.replace(" ", "").isdigit():
        # A string of digits could be the card number itself, which must never be kept.
        raise PaymentDetailsInvalid(
            "The gateway did not return a token; nothing was saved.", fields={"token": "invalid"}
        )
    tokenized = (gateway or get_gateway()).describe_token(token)
    if kind is not None and tokenized.kind != kind:
        raise PaymentDetailsInvalid(
            f"That token is not a {MethodKind(kind).label.lower()}; nothing was saved.",
            fields={"token": "kind"},
        )
    return _add(
        customer=customer,
        tokenized=tokenized,
        actor=actor,
        save=save,
        holder_name=holder_name,
        label=label,
        make_default=make_default,
    )


def payment_method_add(
    *,
    customer: Customer,
    tokenized: Tokenized,
    actor: Actor,
    kind: str | None = None,
    holder_name: str = "",
    label: str = "",
    make_default: bool = False,
    save: bool = True,
) -> PaymentMethod:
    """Save a card or bank account tokenised by remit's own call to the gateway (the CLI,
    the demo data); the customer's first saved method is the default. The same card
    again is the method already on file."""
    if kind is not None and kind != tokenized.kind:
        tokenized = replace(tokenized, kind=kind)
    return _add(
        customer=customer,
        tokenized=tokenized,
        actor=actor,
        save=save,
        holder_name=holder_name,
        label=label,
        make_default=make_default,
    ).method


@transaction.atomic
def _add(
    *,
    customer: Customer,
    tokenized: Tokenized,
    actor: Actor,
    save: bool,
    holder_name: str,
    label: str,
    make_default: bool,
) -> MethodAdded:
    if tokenized.kind not in MethodKind.values:
        raise RemitError(f"'{tokenized.kind}' is not a kind of payment method.")
    customer = customer_lock(customer)
    # A token belongs to one customer: another's is answered as unknown, not "taken".
    if PaymentMethod.objects.filter(token=tokenized.token).exclude(customer=customer).exists():
        raise PaymentDetailsInvalid(UNKNOWN_DETAILS, fields={"token": "unknown"})
    live = PaymentMethod.objects.filter(customer=customer, removed=False)
    same = _same_card(live, tokenized)
    if same is not None:
        return _again(
            same,
            tokenized,
            actor=actor,
            save=save,
            holder_name=holder_name,
            make_default=make_default,
        )
    first = not live.filter(saved=True).exists()
    default = save and (first or make_default)
    if default and not first:
        live.filter(is_default=True).update(is_default=False)
    method = PaymentMethod.objects.create(
        customer=customer,
        kind=tokenized.kind,
        gateway=gateway_name(),
        token=tokenized.token,
        brand=tokenized.brand,
        last4=tokenized.last4,
        exp_month=tokenized.exp_month,
        exp_year=tokenized.exp_year,
        fingerprint=tokenized.fingerprint,
        holder_name=holder_name.strip()[:200],
        label=label.strip()[:100],
        is_default=default,
        saved=save,
    )
    audit_record(
        actor=actor,
        action="method.added",
        obj=method,
        after={"customer": customer.number, "method": method.display, "saved": save},
    )
    return MethodAdded(method=method, already_saved=False)


def _same_card(live, tokenized: Tokenized) -> PaymentMethod | None:
    """The live method of this card: by fingerprint, or by the very token (a repeat)."""
    if tokenized.fingerprint:
        found = live.filter(fingerprint=tokenized.fingerprint, kind=tokenized.kind).first()
        if found is not None:
            return found
    return live.filter(token=tokenized.token).first()


def _again(
    method: PaymentMethod,
    tokenized: Tokenized,
    *,
    actor: Actor,
    save: bool,
    holder_name: str,
    make_default: bool,
) -> MethodAdded:
    """The card is on file: return its method. A later expiry is a renewed card, whose new
    token replaces the old; saving a card added earlier for one payment keeps it; asked to
    be the default, it becomes the default."""
    method = PaymentMethod.objects.select_for_update().get(pk=method.pk)
    already_saved = method.saved
    changed: dict[str, object] = {}
    if (tokenized.exp_year or 0, tokenized.exp_month or 0) > (
        method.exp_year or 0,
        method.exp_month or 0,
    ):
        changed |= {
            "token": tokenized.token,
            "exp_month": tokenized.exp_month,
            "exp_year": tokenized.exp_year,
        }
    if save and not method.saved:
        changed["saved"] = True
        others = PaymentMethod.objects.filter(
            customer_id=method.customer_id, removed=False, saved=True
        )
        changed["is_default"] = not others.exists()
    if make_default and (save or method.saved) and not method.is_default:
        changed["is_default"] = True
    if changed.get("is_default"):
        PaymentMethod.objects.filter(customer_id=method.customer_id, is_default=True).update(
            is_default=False
        )
    if holder_name.strip() and not method.holder_name:
        changed["holder_name"] = holder_name.strip()[:200]
    if changed:
        before = {name: getattr(method, name) for name in changed if name != "token"}
        for name, value in changed.items():
            setattr(method, name, value)
        method.save(update_fields=list(changed))
        audit_record(
            actor=actor,
            action="method.updated",
            obj=method,
            before=before,
            after={name: value for name, value in changed.items() if name != "token"},
        )
    return MethodAdded(method=method, already_saved=already_saved)


@transaction.atomic
def payment_method_set_default(*, method: PaymentMethod, actor: Actor) -> PaymentMethod:
    customer_lock(method.customer)
    method = PaymentMethod.objects.select_for_update().get(pk=method.pk)
    if method.removed:
        raise RemitError("A removed payment method cannot be the default.")
    if not method.saved:
        raise RemitError("A payment method that is not saved cannot be the default.")
    PaymentMethod.objects.filter(customer_id=method.customer_id, is_default=True).update(
        is_default=False
    )
    method.is_default = True
    method.save(update_fields=["is_default"])
    audit_record(actor=actor, action="method.default", obj=method, after={"default": True})
    return method


@transaction.atomic
def payment_method_remove(*, method: PaymentMethod, actor: Actor) -> PaymentMethod:
    """Remove from the list; the row stays for the payments that used it."""
    customer_lock(method.customer)
    method = PaymentMethod.objects.select_for_update().get(pk=method.pk)
    if method.removed:
        raise RemitError("That payment method was already removed.")
    was_default = method.is_default
    method.removed = True
    method.is_default = False
    method.save(update_fields=["removed", "is_default"])
    if was_default:  # the oldest remaining method takes over, so there is always a default
        successor = (
            PaymentMethod.objects.filter(customer_id=method.customer_id, removed=False, saved=True)
            .order_by("id")
            .first()
        )
        if successor:
            successor.is_default = True
            successor.save(update_fields=["is_default"])
    audit_record(actor=actor, action="method.removed", obj=method, after={"removed": True})
    return method


def payment_method_spend(*, method: PaymentMethod, actor: Actor) -> None:
    """A payment was just recorded with `method`: if the customer did not save it, it is
    spent now, whatever the gateway answers. Called inside the transaction that records
    the payment, under the customer's lock, so the payment and the removal are one, and a
    second payment with it is refused (rolled back with this sentence)."""
    if method.saved:
        return
    # Under the customer's lock: a second payment racing with the same card finds it spent.
    if not PaymentMethod.objects.filter(pk=method.pk, removed=False).update(removed=True):
        raise RemitError(
            "That payment method is not on file for this customer.", fields={"method": "unknown"}
        )
    method.removed = True
    audit_record(
        actor=actor,
        action="method.removed",
        obj=method,
        after={"removed": True, "why": "not saved: used for one payment"},
    )
