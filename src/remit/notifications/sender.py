"""Sending the outbox: claim, send, record; never lost, never sent twice.

1. Claim: one row moves to `sending` with `claimed_until`, by a compare-and-set update
   committed before anything is sent, so two workers never send one row at once.
2. Send it with its own Message-ID (made with the row), outside any transaction.
3. Record the server's acceptance ("250 …": `sent`), or the failure: a 4xx, a lost
   connection or a timeout is tried again later with backoff (`rules.next_try_delay`),
   a 5xx or the last try marks it `failed`.

A worker killed after the claim leaves the row `sending`; once its claim runs out another
worker sends it. If the kill came after the server accepted the message but before step 3
committed, that second send repeats the same message with the same Message-ID (mail
systems take one Message-ID as one message); no other path sends a row twice, because a
row is `sent` in the same statement that records the acceptance.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.message import EmailMessage

from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

from remit.notifications import rules
from remit.notifications.compose import mime
from remit.notifications.models import Email, EmailStatus, Kind
from remit.notifications.transport import (
    Refused,
    Transport,
    TryLater,
    configured_transport,
    deliver,
)
from remit.payments.models import Payment, PaymentType, Source
from remit.payments.services.checkout import checkout_of
from remit.payments.states import Outcome, PaymentStatus
from remit.receipts.pdf import receipt_pdf
from remit.receipts.selectors import receipt_for

log = logging.getLogger("remit.notifications")

CLAIM = timedelta(minutes=5)  # longer than any SMTP exchange (30 s timeouts)
HOLD = timedelta(seconds=60)  # a receipt waits this long for its charge's answer


def emails_send(
    *, now: datetime | None = None, transport: Transport | None = None, limit: int = 200
) -> dict[str, int]:
    """Send what is due; counts of sent, retry, failed, cancelled and held."""
    transport = transport or configured_transport()
    counts = {"sent": 0, "retry": 0, "failed": 0, "cancelled": 0, "held": 0}
    for _ in range(limit):
        email = email_claim(now=now or timezone.now())
        if email is None:
            break
        counts[email_send(email, transport=transport, now=now or timezone.now())] += 1
    return counts


def email_claim(*, now: datetime) -> Email | None:
    """The next due row, claimed for this worker (committed), or None."""
    due = Q(status=EmailStatus.QUEUED, next_try_at__lte=now) | Q(
        status=EmailStatus.SENDING, claimed_until__lt=now
    )
    for email in Email.objects.filter(due).order_by("id")[:20]:
        claimed = Email.objects.filter(
            pk=email.pk, status=email.status, claimed_until=email.claimed_until
        ).update(status=EmailStatus.SENDING, claimed_until=now + CLAIM)
        if claimed:
            email.status, email.claimed_until = EmailStatus.SENDING, now + CLAIM
            return email
    return None


def email_send(email: Email, *, transport: Transport, now: datetime) -> str:
    """Send one claimed row; what became of it."""
    attachments: list[tuple[str, bytes]] = []
    if email.kind == Kind.RECEIPT:
        verdict = _receipt_verdict(email.payment)
        if verdict == "held":
            _release(email, next_try_at=now + HOLD)
            return "held"
        if verdict:
            _finish(email, status=EmailStatus.CANCELLED, last_error=verdict)
            return "cancelled"
        checkout = checkout_of(email.payment)
        receipt = receipt_for(checkout.payment, credit_application=checkout.credit_application)
        attachments.append((f"{receipt.number}.pdf", receipt_pdf(receipt)))
    elif email.kind == Kind.STATEMENT:
        attachments.append(_statement_attachment(email))
    try:
        answer = deliver_message(transport, mime(email, attachments=attachments))
    except TryLater as problem:
        tries = email.tries + 1
        delay = rules.next_try_delay(tries)
        if delay is None:
            _finish(email, status=EmailStatus.FAILED, last_error=str(problem), tries=tries)
            log.error(
                "email %s to %s given up after %s tries: %s", email.pk, email.to, tries, problem
            )
            return "failed"
        _release(email, next_try_at=now + delay, last_error=str(problem), tries=tries)
        log.warning(
            "email %s to %s not sent (%s); trying again in %s", email.pk, email.to, problem, delay
        )
        return "retry"
    except Refused as problem:
        _finish(email, status=EmailStatus.FAILED, last_error=str(problem), tries=email.tries + 1)
        log.error("email %s to %s refused: %s", email.pk, email.to, problem)
        return "failed"
    _finish(email, status=EmailStatus.SENT, smtp_answer=answer, tries=email.tries + 1, sent=True)
    log.info("email %s (%s) sent to %s: %s", email.pk, email.kind, email.to, answer)
    return "sent"


def deliver_message(transport: Transport, message: EmailMessage) -> str:
    """The one call that hands a message to the server (a test may put a crash around it)."""
    return deliver(transport, message)


def _receipt_verdict(payment: Payment | None) -> str:
    """'' to send the receipt now, 'held' while its charge awaits an answer, or why not."""
    if payment is None:
        return "The payment is gone."
    payment.refresh_from_db()
    if payment.status in (PaymentStatus.FAILED, PaymentStatus.VOIDED):
        return f"{payment.number} is {payment.status}: no receipt."
    if payment.status == PaymentStatus.PENDING and payment.gateway_outcome not in (
        Outcome.APPROVED,
        Outcome.PENDING,
    ):
        return "held"
    key = payment.idempotency_key
    if (
        payment.type == PaymentType.CREDIT
        and payment.source == Source.PORTAL
        and key.endswith(":credit")
    ):
        card = Payment.objects.filter(customer_id=payment.customer_id, idempotency_key=key[:-7])
        if card.exists():
            return "The receipt of the card payment made with it includes this credit."
    return ""


def _statement_attachment(email: Email) -> tuple[str, bytes]:
    from remit.statements.pdf import statement_pdf
    from remit.statements.selectors import statement_for

    data = email.data
    statement = statement_for(
        customer=email.customer,
        start=datetime.fromisoformat(data["from"]).date(),
        end=datetime.fromisoformat(data["to"]).date(),
        currency=data.get("currency", ""),
    )
    return (f"statement-{email.customer.number}-{data['to']}.pdf", statement_pdf(statement))


def _release(email: Email, *, next_try_at: datetime, last_error: str = "", tries=None) -> None:
    Email.objects.filter(pk=email.pk, status=EmailStatus.SENDING).update(
        status=EmailStatus.QUEUED,
        claimed_until=None,
        next_try_at=next_try_at,
        last_error=last_error[:500],
        tries=email.tries if tries is None else tries,
    )


def _finish(
    email: Email,
    *,
    status: str,
    last_error: str = "",
    smtp_answer: str = "",
    tries=None,
    sent: bool = False,
) -> None:
    Email.objects.filter(pk=email.pk, status=EmailStatus.SENDING).update(
        status=status,
        claimed_until=None,
        last_error=last_error[:500],
        smtp_answer=smtp_answer[:500],
        tries=email.tries if tries is None else tries,
        sent_at=Now() if sent else None,
    )
