"""POST /webhooks/stripe/: Stripe says that a PaymentIntent or a charge changed.

Trust: nothing in the request is believed before `verify_event` has checked its
`Stripe-Signature` header against settings.REMIT_STRIPE_WEBHOOK_SECRET (an HMAC of the
exact body, signed less than five minutes ago). CSRF protection is off for this view
alone: the signature replaces it (Stripe has no CSRF token to send). Even a genuine event
only *names* the charge: the payment moves by what the gateway answers when asked
(`payment_sync`), never by the event's body, so a late or reordered event cannot move a
payment the wrong way.

Answers:
- 503, nothing written: Stripe is not configured here (no REMIT_STRIPE_WEBHOOK_SECRET);
- 400, nothing written: an unsigned, forged, tampered, expired or malformed request;
- 200, nothing done: an event id already processed (Stripe redelivers until it gets a
  2xx, and may deliver twice anyway), or an event remit has no use for;
- 200: the event's charge was brought up to date;
- a `charge.dispute.*` event (a chargeback) is recorded by `dispute_notice_apply` in the
  same transaction as its delivery: 200 (a repeat: nothing more), or 500 (refused for
  now, kept as unprocessed);
- 500: that failed; the event is not kept as processed, so Stripe's retry is processed
  (and the reconciler, every few minutes, catches up in any case).

The event names the charge by remit's key (`remit_key` in its metadata); a key this
installation never made (another installation sharing the account, a charge made by hand
in Stripe's dashboard) is logged and ignored.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from remit.core.audit import Actor
from remit.core.errors import NotFound
from remit.gateways.models import ProcessedWebhookEvent
from remit.gateways.protocol import DisputeNotice
from remit.gateways.stripe_webhooks import WebhookRefused, dispute_notice, verify_event
from remit.payments.models import GatewayAttempt
from remit.payments.services.disputes import dispute_notice_apply
from remit.payments.services.reconcile import payment_sync

log = logging.getLogger("remit.webhooks")

SOURCE = "stripe-webhook"  # the actor of what a webhook changes: system:stripe-webhook


def wants_sync(event_type: str) -> bool:
    """Events that may change a payment: every PaymentIntent change, and refunds."""
    return event_type.startswith("payment_intent.") or event_type == "charge.refunded"


def remit_key(event: dict) -> str:
    """remit's charge key from the event's object (a PaymentIntent, or a Charge, which
    Stripe gives a copy of its PaymentIntent's metadata); '' if it has none."""
    obj = (event.get("data") or {}).get("object") or {}
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    key = metadata.get("remit_key") if isinstance(metadata, dict) else None
    return key if isinstance(key, str) else ""


@csrf_exempt  # signature-verified instead; see the module's notes
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    secret = getattr(settings, "REMIT_STRIPE_WEBHOOK_SECRET", "")
    if not secret.strip():
        log.error("stripe webhook: REMIT_STRIPE_WEBHOOK_SECRET is not set; event not accepted")
        return _error(
            503,
            "not_configured",
            "Stripe is not configured on this installation, so its webhooks are not accepted.",
        )
    try:
        verify_event(request.body, request.headers.get("Stripe-Signature"), secret)
    except WebhookRefused as refused:
        log.warning("stripe webhook refused: %s", refused.message)
        return _error(400, refused.code, refused.message)
    event = json.loads(request.body)  # verified: a JSON object with an id
    event_id, event_type = str(event["id"]), str(event.get("type", ""))
    notice = dispute_notice(event)
    if notice is not None:
        return _dispute(notice, event_type)

    try:
        with transaction.atomic():
            ProcessedWebhookEvent.objects.create(event_id=event_id, type=event_type[:100])
    except IntegrityError:
        log.info("stripe webhook %s (%s): already processed; ignored", event_id, event_type)
        return JsonResponse({"received": True, "duplicate": True})

    key = remit_key(event) if wants_sync(event_type) else ""
    if key:
        try:
            payment_sync(charge_key=key, actor=Actor.system(SOURCE))
        except GatewayAttempt.DoesNotExist:
            # Not a charge this installation made: nothing here to update.
            log.warning("stripe webhook %s: no charge with key %r here; ignored", event_id, key)
        except Exception:
            # Forget the event, so that Stripe's next delivery of it is processed.
            ProcessedWebhookEvent.objects.filter(event_id=event_id).delete()
            log.exception("stripe webhook %s (%s): the update failed", event_id, event_type)
            return _error(500, "internal", "The event could not be processed; send it again.")
    return JsonResponse({"received": True, "duplicate": False})


def _dispute(notice: DisputeNotice, event_type: str) -> JsonResponse:
    """A chargeback: the event's dispute is recorded (and the delivery with it, in one
    transaction) by `dispute_notice_apply`; a refusal keeps nothing, so Stripe sends it
    again (a refund of the payment under way finishes first)."""
    try:
        _, repeat = dispute_notice_apply(notice=notice, actor=Actor.system(SOURCE))
    except NotFound:
        log.warning(
            "stripe webhook %s: no charge %r here; ignored", notice.event_id, notice.charge_key
        )
        return JsonResponse({"received": True, "duplicate": False})
    except Exception:
        log.exception("stripe webhook %s (%s): the dispute failed", notice.event_id, event_type)
        return _error(500, "internal", "The event could not be processed; send it again.")
    return JsonResponse({"received": True, "duplicate": repeat})


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "fields": {}}, status=status)
