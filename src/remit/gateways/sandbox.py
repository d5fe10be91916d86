"""The built-in sandbox gateway: behaves like a real provider, keeps its own store.

Test cards and accounts are in `behaviours.py`. Charges authorise at once (bank debits
stay pending) and settle at `settle_all`, the daily cut-off that `remit settle` runs.
Every call is counted, repeats included, so tests can prove a charge happened once.

The store lives in remit's database, so call the sandbox outside a money transaction,
as a real provider would be: a rollback in the caller would also undo the provider.

A request that arrives after its deadline is refused before anything is stored, and the
deadline is checked again inside the transaction that stores the charge, void or refund:
so once a deadline has passed, a `lookup` that finds nothing is final
(`lookup_final_after` is zero).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from remit.core.money import Money
from remit.gateways import rules
from remit.gateways.behaviours import (
    DECLINE_REASONS,
    Behaviour,
    bank_behaviour,
    bank_name,
    card_behaviour,
)
from remit.gateways.models import (
    Operation,
    SandboxAction,
    SandboxCall,
    SandboxCharge,
    SandboxDispute,
    SandboxToken,
)
from remit.gateways.protocol import (
    UNKNOWN_DETAILS,
    ActionRequest,
    BankDetails,
    CardDetails,
    ChargeRecord,
    ChargeRequest,
    ChargeStatus,
    DisputeNotice,
    DisputeRecord,
    DisputeState,
    GatewayRefused,
    GatewayResult,
    GatewayTimeout,
    Outcome,
    PaymentDetailsInvalid,
    RefundRecord,
    RefundRequest,
    Settlement,
    Tokenized,
)
from remit.gateways.validation import card_brand, check_bank, check_card

KEY_REUSED = "This idempotency key was already used for a different request."
TOO_LATE = "The request reached the gateway after its deadline; nothing was done."
DISPUTED = "This charge is disputed by the cardholder; it cannot be refunded."
DISPUTE_FEE = "15"  # units of the charge's currency, kept by the sandbox whatever the outcome


class SandboxGateway:
    """Implements `remit.gateways.protocol.Gateway`."""

    name = "sandbox"
    call_timeout = timedelta(seconds=30)
    lookup_final_after = timedelta(0)  # it refuses late requests and sees every charge

    def __init__(self, *, clock: Callable[[], datetime] = timezone.now) -> None:
        self._clock = clock  # tests pass a fixed clock for expiry and settlement

    # --- tokens -----------------------------------------------------------------------
    def tokenize_card(self, card: CardDetails) -> Tokenized:
        self._count(Operation.TOKENIZE_CARD)  # no key: nothing of the card is written down
        number, year = check_card(card, today=self._clock().date())
        return self._token(
            prefix="tok_sandbox_",
            brand=card_brand(number),
            last4=number[-4:],
            exp=(card.exp_month, year),
            behaviour=card_behaviour(number),
            fingerprint=fingerprint("card", number),
        )

    def tokenize_bank(self, bank: BankDetails) -> Tokenized:
        self._count(Operation.TOKENIZE_BANK)
        routing, account = check_bank(bank)
        return self._token(
            prefix="btok_sandbox_",
            brand=bank_name(routing),
            last4=account[-4:],
            exp=(None, None),
            behaviour=bank_behaviour(routing, account),
            fingerprint=fingerprint("bank", f"{routing}:{account}"),
        )

    def describe_token(self, token: str) -> Tokenized:
        """The store's record of a token; no call is counted (it moves nothing)."""
        record = SandboxToken.objects.filter(token=token).first()
        if record is None:
            raise PaymentDetailsInvalid(UNKNOWN_DETAILS, fields={"token": "unknown"})
        return _tokenized(record)

    # --- money ------------------------------------------------------------------------
    def charge(self, request: ChargeRequest) -> GatewayResult:
        self._count(Operation.CHARGE, request.idempotency_key)
        # A real gateway takes a moment; REMIT_SANDBOX_LATENCY lets a demo (or a browser
        # test against a separate server process) see what a clerk sees while it works.
        if latency := settings.REMIT_SANDBOX_LATENCY:
            time.sleep(latency)
        try:
            return self._charge(request)
        except GatewayTimeout:  # the charge is stored; only the answer never came back
            return GatewayResult(outcome=Outcome.UNKNOWN)

    def void(self, request: ActionRequest) -> GatewayResult:
        self._count(Operation.VOID, request.idempotency_key)
        return self._act(
            Operation.VOID, request.idempotency_key, request.charge_key, None, request.deadline
        )

    def refund(self, request: RefundRequest) -> GatewayResult:
        self._count(Operation.REFUND, request.idempotency_key)
        return self._act(
            Operation.REFUND,
            request.idempotency_key,
            request.charge_key,
            request.amount,
            request.deadline,
        )

    def lookup(self, charge_key: str) -> GatewayResult:
        self._count(Operation.LOOKUP, charge_key)
        charge = SandboxCharge.objects.filter(idempotency_key=charge_key).first()
        if charge is None:  # not (yet) made: final once the request's deadline has passed
            return GatewayResult(
                outcome=Outcome.UNKNOWN,
                decline_reason=rules.NO_CHARGE,
                charge_status=ChargeStatus.NOT_FOUND,
            )
        return rules.current_state(charge)

    def records(self) -> Iterator[ChargeRecord]:
        """Every charge in the store, with its approved refunds."""
        refunds: dict[str, list[RefundRecord]] = {}
        approved = SandboxAction.objects.filter(operation=Operation.REFUND, outcome="approved")
        for action in approved.order_by("id"):
            amount = Money.from_minor(action.amount_minor or 0, action.currency)
            refunds.setdefault(action.charge_key, []).append(
                RefundRecord(action.idempotency_key, amount)
            )
        disputes: dict[str, list[DisputeRecord]] = {}
        for dispute in SandboxDispute.objects.order_by("id"):
            disputes.setdefault(dispute.charge_key, []).append(
                DisputeRecord(
                    dispute.dispute_id,
                    Money.from_minor(dispute.amount_minor, dispute.currency),
                    DisputeState(dispute.status),
                )
            )
        for charge in SandboxCharge.objects.order_by("id").iterator(2000):
            yield ChargeRecord(
                key=charge.idempotency_key,
                reference=charge.reference,
                amount=Money.from_minor(charge.amount_minor, charge.currency),
                status=ChargeStatus(charge.status),
                refunds=tuple(refunds.get(charge.idempotency_key, ())),
                disputes=tuple(disputes.get(charge.idempotency_key, ())),
            )

    # --- the sandbox's own controls ---------------------------------------------------
    def settle_all(self, now: datetime | None = None) -> list[Settlement]:
        """Settle every authorised charge made up to `now`; return each one, settled or returned."""
        now = now or self._clock()
        self._count(Operation.SETTLE)
        settled: list[Settlement] = []
        with transaction.atomic():
            due = SandboxCharge.objects.select_for_update().filter(
                status=ChargeStatus.AUTHORIZED, created_at__lte=now
            )
            for charge in due.order_by("id"):
                if charge.behaviour == Behaviour.BANK_RETURNED:
                    charge.status = ChargeStatus.DECLINED
                    charge.decline_reason = DECLINE_REASONS[Behaviour.BANK_RETURNED]
                else:
                    charge.status = ChargeStatus.SETTLED
                    if charge.behaviour == Behaviour.DISPUTED:  # the cardholder disputes it
                        self._dispute_create(charge, None)
                charge.settled_at = now
                charge.save(update_fields=["status", "decline_reason", "settled_at"])
                settled.append(Settlement(charge.idempotency_key, rules.current_state(charge)))
        return settled

    def dispute(
        self, charge_key: str, state: DisputeState, amount: Money | None = None
    ) -> DisputeNotice:
        """Open a dispute of a settled charge (for `amount`, or all that was not refunded),
        or decide its open dispute (won or lost); the notice to tell remit, as a webhook
        would. Refused with GatewayRefused when the charge cannot be disputed or has no
        open dispute to decide."""
        self._count(Operation.DISPUTE, charge_key)
        with transaction.atomic():
            charge = (
                SandboxCharge.objects.select_for_update().filter(idempotency_key=charge_key).first()
            )
            if charge is None:
                raise GatewayRefused(rules.NO_CHARGE)
            latest = SandboxDispute.objects.filter(charge_key=charge_key).order_by("-id").first()
            if state == DisputeState.OPEN:
                if latest is not None:
                    raise GatewayRefused(f"This charge was already disputed ({latest.status}).")
                if charge.status not in (ChargeStatus.SETTLED, ChargeStatus.REFUNDED):
                    raise GatewayRefused("Only a settled charge can be disputed.")
                dispute = self._dispute_create(charge, amount)
            else:
                if latest is None or latest.status != DisputeState.OPEN:
                    raise GatewayRefused("This charge has no open dispute to decide.")
                dispute = latest
                dispute.status = state
                dispute.delivered = False
                dispute.save(update_fields=["status", "delivered"])
        return _notice(dispute)

    def dispute_notices(self) -> list[DisputeNotice]:
        """The disputes whose latest state remit was not told of yet (a webhook to send)."""
        return [_notice(d) for d in SandboxDispute.objects.filter(delivered=False).order_by("id")]

    def dispute_delivered(self, notice: DisputeNotice) -> None:
        """remit took the notice (a 2xx to the webhook): not sent again."""
        SandboxDispute.objects.filter(dispute_id=notice.dispute_id, status=notice.state).update(
            delivered=True
        )

    def _dispute_create(self, charge: SandboxCharge, amount: Money | None) -> SandboxDispute:
        left = charge.amount_minor - charge.refunded_minor
        minor = left if amount is None else amount.minor
        if amount is not None and amount.currency != charge.currency:
            raise GatewayRefused(f"A dispute must be in {charge.currency}, the charge's currency.")
        if minor <= 0 or minor > left:
            raise GatewayRefused("A dispute cannot be for more than was left of the charge.")
        return SandboxDispute.objects.create(
            dispute_id="dp_sandbox_" + secrets.token_hex(12),
            charge_key=charge.idempotency_key,
            amount_minor=minor,
            fee_minor=Money.of(DISPUTE_FEE, charge.currency).minor,
            currency=charge.currency,
            status=DisputeState.OPEN,
            created_at=self._clock(),
        )

    def calls(self, operation: str, key: str | None = None) -> int:
        """How many `operation` requests arrived (repeats included), for one key if given."""
        calls = SandboxCall.objects.filter(operation=operation)
        return calls.filter(key=key).count() if key is not None else calls.count()

    # --- inside -----------------------------------------------------------------------
    def _count(self, operation: Operation, key: str = "") -> None:
        SandboxCall.objects.create(operation=operation, key=key, at=self._clock())

    def _token(self, *, prefix: str, exp: tuple[int | None, int | None], **fields) -> Tokenized:
        token = SandboxToken.objects.create(
            token=prefix + secrets.token_hex(12),
            exp_month=exp[0],
            exp_year=exp[1],
            created_at=self._clock(),
            **fields,  # brand, last4, behaviour, fingerprint: never the number or the CVC
        )
        return _tokenized(token)

    def _charge(self, request: ChargeRequest) -> GatewayResult:
        replay = self._charge_replay(request)
        if replay is not None:
            return replay
        if SandboxAction.objects.filter(idempotency_key=request.idempotency_key).exists():
            raise GatewayRefused(KEY_REUSED)
        self._in_time(request.deadline)
        now = self._clock()
        token = SandboxToken.objects.filter(token=request.token).first()
        outcome, reason = rules.charge_decision(token, now=now)
        try:
            with transaction.atomic():
                self._in_time(request.deadline)  # again, just before it is stored
                charge = SandboxCharge.objects.create(
                    idempotency_key=request.idempotency_key,
                    reference="ch_sandbox_" + secrets.token_hex(12),
                    token=request.token,
                    behaviour=token.behaviour if token else "",
                    amount_minor=request.amount.minor,
                    currency=request.amount.currency,
                    description=request.description[:300],
                    outcome=outcome,
                    status=ChargeStatus.DECLINED if reason else ChargeStatus.AUTHORIZED,
                    decline_reason=reason,
                    created_at=now,
                )
        except IntegrityError:  # a concurrent request with the same key got there first
            replay = self._charge_replay(request)
            if replay is None:
                raise
            return replay
        if charge.behaviour == Behaviour.TIMEOUT_AFTER_CHARGE and outcome == Outcome.APPROVED:
            raise GatewayTimeout
        return rules.first_answer(charge)

    def _charge_replay(self, request: ChargeRequest) -> GatewayResult | None:
        charge = SandboxCharge.objects.filter(idempotency_key=request.idempotency_key).first()
        if charge is None:
            return None
        same = (charge.token, charge.amount_minor, charge.currency) == (
            request.token,
            request.amount.minor,
            request.amount.currency,
        )
        if not same:
            raise GatewayRefused(KEY_REUSED)
        return rules.first_answer(charge)

    def _act(
        self,
        operation: Operation,
        key: str,
        charge_key: str,
        amount: Money | None,
        deadline: datetime | None,
    ) -> GatewayResult:
        """A void (amount None) or a refund: at most once per key, under a lock on the charge."""
        replay = self._action_replay(operation, key, charge_key, amount)
        if replay is not None:
            return replay
        if SandboxCharge.objects.filter(idempotency_key=key).exists():
            raise GatewayRefused(KEY_REUSED)
        self._in_time(deadline)
        try:
            with transaction.atomic():
                self._in_time(deadline)
                charges = SandboxCharge.objects.select_for_update()
                charge = charges.filter(idempotency_key=charge_key).first()
                if amount is None:
                    reason = rules.void_refusal(charge)
                else:
                    reason = rules.refund_refusal(charge, amount)
                    if not reason and _disputed(charge_key):
                        reason = DISPUTED
                if not reason:
                    assert charge is not None  # a refusal is given when there is no charge
                    _apply(charge, operation, amount)
                action = SandboxAction.objects.create(
                    idempotency_key=key,
                    operation=operation,
                    charge_key=charge_key,
                    amount_minor=_amount(amount)[0],
                    currency=_amount(amount)[1],
                    outcome=Outcome.DECLINED if reason else Outcome.APPROVED,
                    reference="" if reason else f"{operation[:2]}_sandbox_{secrets.token_hex(12)}",
                    decline_reason=reason,
                    created_at=self._clock(),
                )
        except IntegrityError:  # a concurrent request with the same key got there first
            replay = self._action_replay(operation, key, charge_key, amount)
            if replay is None:
                raise
            return replay
        return rules.action_answer(action)

    def _action_replay(
        self, operation: Operation, key: str, charge_key: str, amount: Money | None
    ) -> GatewayResult | None:
        action = SandboxAction.objects.filter(idempotency_key=key).first()
        if action is None:
            return None
        asked = (operation, charge_key, *_amount(amount))
        stored = (action.operation, action.charge_key, action.amount_minor, action.currency)
        if asked != stored:
            raise GatewayRefused(KEY_REUSED)
        return rules.action_answer(action)

    def _in_time(self, deadline: datetime | None) -> None:
        """Refuse a request whose deadline has passed: its sender has stopped waiting."""
        if deadline is not None and self._clock() > deadline:
            raise GatewayRefused(TOO_LATE)


def fingerprint(kind: str, number: str) -> str:
    """One card (or bank account) is one fingerprint, whatever its token: an HMAC of the
    number keyed with the sandbox's secret (Django's SECRET_KEY), so the number cannot be
    found again from it by trying every possible card, as it could from a plain hash."""
    return salted_hmac("remit.gateways.sandbox.fingerprint", f"{kind}:{number}").hexdigest()[:32]


def _disputed(charge_key: str) -> bool:
    """The charge has a dispute that is open or lost (its money is with the cardholder)."""
    return (
        SandboxDispute.objects.filter(charge_key=charge_key)
        .exclude(status=DisputeState.WON)
        .exists()
    )


def _notice(dispute: SandboxDispute) -> DisputeNotice:
    return DisputeNotice(
        event_id=f"evt_sandbox_{dispute.dispute_id}_{dispute.status}",
        dispute_id=dispute.dispute_id,
        charge_key=dispute.charge_key,
        amount=Money.from_minor(dispute.amount_minor, dispute.currency),
        fee=Money.from_minor(dispute.fee_minor, dispute.currency),
        state=DisputeState(dispute.status),
        reason=dispute.reason,
    )


def _tokenized(token: SandboxToken) -> Tokenized:
    return Tokenized(
        token=token.token,
        brand=token.brand,
        last4=token.last4,
        exp_month=token.exp_month,
        exp_year=token.exp_year,
        fingerprint=token.fingerprint,
        kind="bank" if token.token.startswith("btok_") else "card",
    )


def _apply(charge: SandboxCharge, operation: Operation, amount: Money | None) -> None:
    if operation == Operation.VOID:
        charge.status = ChargeStatus.VOIDED
    else:
        assert amount is not None
        charge.refunded_minor += amount.minor
        if charge.refunded_minor == charge.amount_minor:
            charge.status = ChargeStatus.REFUNDED
    charge.save(update_fields=["status", "refunded_minor"])


def _amount(amount: Money | None) -> tuple[int | None, str]:
    """A refund's amount as stored (minor units, currency); a void has none."""
    return (amount.minor, amount.currency) if amount else (None, "")
