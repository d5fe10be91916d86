"""A small fake of the Stripe API, so the stripe gateway is tested without the internet.

`FakeStripe` is a threaded HTTP server on 127.0.0.1 (an ephemeral port) that answers the
few endpoints the adapter uses, in Stripe's shapes, closely enough for the official SDK:

    POST /v1/payment_methods                  a card PaymentMethod (test mode)
    GET  /v1/payment_methods/{id}             as Stripe.js would have made it
    POST /v1/payment_intents                  create and confirm (confirm=true)
    GET  /v1/payment_intents/search           only `metadata['remit_key']:'…'` queries
    GET  /v1/payment_intents/{id}             with expand[]=latest_charge
    POST /v1/payment_intents/{id}/cancel      refused once captured (unexpected state)
    POST /v1/payment_intents/{id}/capture     for manual capture
    POST /v1/refunds                          never more than is left on the charge

Like Stripe, every POST honours its `Idempotency-Key`: the same key with the same request
replays the first response (`Idempotent-Replayed: true`); with a different request it is
refused with an `idempotency_error`.

A card's `fingerprint` is the same for every PaymentMethod of one number, as Stripe's is.
`add_browser_card(number)` makes a PaymentMethod as Stripe.js would, with no request to
remit's adapter, so a test can hand remit only its id.

Card numbers decide what a confirmation does, as Stripe's test cards do (`CARD_DECLINES`).
Tests can also script the next request to an endpoint (`script`):

- "timeout": the work is done and recorded (a replay of the key gets the answer), then
  the connection is held without an answer until the client gives up, and closed;
- "server_error": the work is done, then a 500 `api_error` is the answer;
- "processing" (payment intents only): the intent is left `processing`, as a bank debit
  in flight is, until `complete(intent_id)`.

`searchable = False` hides everything from the search API, as Stripe's search lags behind
writes (it is documented as not for read-after-write).
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_KEY = "sk_test_remit_fake_0000000000"

# Test cards that decline on confirmation: number -> (code, decline_code, Stripe's message).
CARD_DECLINES: dict[str, tuple[str, str | None, str]] = {
    "4000000000000002": ("card_declined", "generic_decline", "Your card was declined."),
    "4000000000009995": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "4000000000009987": ("card_declined", "lost_card", "Your card was declined."),
    "4000000000000069": ("expired_card", "expired_card", "Your card has expired."),
    "4000000000000127": (
        "incorrect_cvc",
        "incorrect_cvc",
        "Your card's security code is incorrect.",
    ),
    "4000000000000119": (
        "processing_error",
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
}

_BRANDS = (("4", "visa"), ("34", "amex"), ("37", "amex"), ("5", "mastercard"), ("6", "discover"))
_CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
_SEARCH = re.compile(r"^metadata\['remit_key'\]:'((?:[^'\\]|\\.)*)'$")


class _Answer(Exception):
    """Raised inside a handler to answer with a Stripe error."""

    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", ""))
        self.status = status
        self.error = error


@dataclass
class Recorded:
    method: str
    path: str
    idempotency_key: str | None
    params: dict[str, Any] = field(default_factory=dict)


class FakeStripe:
    """Start with `with FakeStripe() as fake:`; `fake.url` is the SDK's api base."""

    def __init__(self, *, api_key: str = API_KEY, hold_seconds: float = 1.5) -> None:
        self.api_key = api_key
        self.hold_seconds = hold_seconds  # how long a "timeout" holds the connection at most
        self.searchable = True
        self.payment_methods: dict[str, dict[str, Any]] = {}
        self.intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self.errors: list[str] = []  # the fake's own crashes: a test should assert none
        self._idempotent: dict[str, tuple[tuple[str, str, str], int, bytes]] = {}
        self._scripts: dict[tuple[str, str], deque[str]] = defaultdict(deque)
        self._numbers: dict[str, str] = {}  # payment method id -> card number (the fake's own)
        self._fingerprints: dict[str, str] = {}  # card number -> its fingerprint
        self._lock = threading.RLock()
        self._released = threading.Event()
        self._clock = itertools.count(int(time.time()))
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------
    def __enter__(self) -> FakeStripe:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._released.set()  # let any held "timeout" connection go
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- scripting and inspection -----------------------------------------------------
    def script(self, method: str, path: str, behaviour: str) -> None:
        """The next `method path` request behaves so: timeout, server_error or processing."""
        assert behaviour in ("timeout", "server_error", "processing"), behaviour
        self._scripts[(method.upper(), path)].append(behaviour)

    def complete(self, intent_id: str) -> None:
        """A `processing` intent succeeds, as a bank debit does when it clears."""
        with self._lock:
            intent = self.intents[intent_id]
            assert intent["status"] == "processing"
            self._capture(intent)

    def add_browser_card(self, number: str, exp_month: int = 12, exp_year: int = 2040) -> str:
        """A PaymentMethod made the way Stripe.js makes one in the browser: its id."""
        with self._lock:
            card = {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": "123"}
            return self._create_payment_method({"type": "card", "card": card})["id"]

    def count(self, method: str, path: str) -> int:
        """Requests that arrived for `method path` (exact path), repeats included."""
        return sum(1 for r in self.requests if (r.method, r.path) == (method.upper(), path))

    # --- the API ----------------------------------------------------------------------
    def handle(
        self, method: str, path: str, params: dict[str, Any], key: str | None
    ) -> tuple[int, dict[str, Any], str | None]:
        """The status and body for one authorised request, and the scripted behaviour."""
        behaviour = self._next_behaviour(method, path)
        if method == "POST" and path == "/v1/payment_methods":
            return 200, self._create_payment_method(params), behaviour
        found = re.fullmatch(r"/v1/payment_methods/([^/]+)", path)
        if method == "GET" and found:
            if found[1] not in self.payment_methods:
                raise _Answer(
                    404,
                    {
                        **_invalid(f"No such PaymentMethod: '{found[1]}'", "payment_method"),
                        "code": "resource_missing",
                    },
                )
            return 200, dict(self.payment_methods[found[1]]), behaviour
        if method == "POST" and path == "/v1/payment_intents":
            return 200, self._create_intent(params, processing=behaviour == "processing"), behaviour
        if method == "GET" and path == "/v1/payment_intents/search":
            return 200, self._search(params), behaviour
        if method == "GET" and path == "/v1/payment_intents":
            intents = [self._view(i, _expand_under(params, "data")) for i in self.intents.values()]
            return 200, _page(path, intents, params), behaviour
        if method == "GET" and path == "/v1/refunds":
            return 200, _page(path, list(self.refunds.values()), params), behaviour
        if method == "POST" and path == "/v1/refunds":
            return 200, self._refund(params), behaviour
        match = re.fullmatch(r"/v1/payment_intents/([A-Za-z0-9_]+)(/cancel|/capture)?", path)
        if match:
            intent = self._intent(match[1])
            if method == "GET" and not match[2]:
                return 200, self._view(intent, params), behaviour
            if method == "POST" and match[2] == "/cancel":
                return 200, self._cancel(intent, params), behaviour
            if method == "POST" and match[2] == "/capture":
                return 200, self._capture_request(intent), behaviour
        raise _Answer(404, _invalid(f"Unrecognized request URL ({method}: {path}).", ""))

    def _next_behaviour(self, method: str, path: str) -> str | None:
        queue = self._scripts.get((method, path))
        return queue.popleft() if queue else None

    def _create_payment_method(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("type") != "card":
            raise _Answer(400, _invalid("Only card payment methods are faked.", "type"))
        card = params.get("card") or {}
        number = str(card.get("number", ""))
        if not _luhn(number):
            raise _Answer(
                402,
                {
                    "type": "card_error",
                    "code": "incorrect_number",
                    "param": "number",
                    "message": "Your card number is incorrect.",
                },
            )
        brand = next((b for prefix, b in _BRANDS if number.startswith(prefix)), "unknown")
        method = {
            "id": _id("pm"),
            "object": "payment_method",
            "type": "card",
            "created": next(self._clock),
            "livemode": False,
            "billing_details": {"name": (params.get("billing_details") or {}).get("name")},
            "card": {
                "brand": brand,
                "last4": number[-4:],
                "exp_month": int(card.get("exp_month", 0)),
                "exp_year": int(card.get("exp_year", 0)),
                "fingerprint": self._fingerprints.setdefault(number, secrets.token_hex(8)),
                "funding": "credit",
            },
        }
        self.payment_methods[method["id"]] = method
        self._numbers[method["id"]] = number
        return method

    def _create_intent(self, params: dict[str, Any], *, processing: bool) -> dict[str, Any]:
        for name in ("amount", "currency", "payment_method"):
            if not params.get(name):
                raise _Answer(
                    400,
                    {
                        **_invalid(f"Missing required param: {name}.", name),
                        "code": "parameter_missing",
                    },
                )
        if params.get("confirm") != "true":
            raise _Answer(400, _invalid("The fake only creates confirmed intents.", "confirm"))
        method_id = params["payment_method"]
        if method_id not in self.payment_methods:
            raise _Answer(
                400,
                {
                    **_invalid(f"No such PaymentMethod: '{method_id}'", "payment_method"),
                    "code": "resource_missing",
                },
            )
        amount = int(params["amount"])
        intent = {
            "id": _id("pi"),
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "currency": params["currency"],
            "capture_method": params.get("capture_method", "automatic"),
            "cancellation_reason": None,
            "created": next(self._clock),
            "description": params.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": dict(params.get("metadata") or {}),
            "payment_method": method_id,
            "payment_method_types": _values(params.get("payment_method_types")) or ["card"],
            "status": "requires_payment_method",
        }
        self.intents[intent["id"]] = intent
        decline = CARD_DECLINES.get(self._numbers[method_id])
        if decline is not None:
            code, decline_code, message = decline
            error = {
                "type": "card_error",
                "code": code,
                "decline_code": decline_code,
                "message": message,
                "payment_method": self.payment_methods[method_id],
            }
            intent["last_payment_error"] = error
            raise _Answer(402, {**error, "payment_intent": dict(intent)})
        if processing:
            intent["status"] = "processing"
            return dict(intent)
        charge = {
            "id": _id("ch"),
            "object": "charge",
            "amount": amount,
            "amount_captured": 0,
            "amount_refunded": 0,
            "captured": False,
            "currency": intent["currency"],
            "paid": True,
            "payment_intent": intent["id"],
            "refunded": False,
            "status": "succeeded",
        }
        self.charges[charge["id"]] = charge
        intent["latest_charge"] = charge["id"]
        if intent["capture_method"] == "manual":
            intent["status"] = "requires_capture"
            intent["amount_capturable"] = amount
        else:
            self._capture(intent)
        return dict(intent)

    def _capture(self, intent: dict[str, Any]) -> None:
        if intent["latest_charge"] is None:  # a processing intent gets its charge on success
            charge_id = _id("ch")
            self.charges[charge_id] = {
                "id": charge_id,
                "object": "charge",
                "amount": intent["amount"],
                "amount_refunded": 0,
                "currency": intent["currency"],
                "paid": True,
                "payment_intent": intent["id"],
                "refunded": False,
                "status": "succeeded",
            }
            intent["latest_charge"] = charge_id
        charge = self.charges[intent["latest_charge"]]
        charge.update(captured=True, amount_captured=intent["amount"])
        intent.update(status="succeeded", amount_received=intent["amount"], amount_capturable=0)

    def _capture_request(self, intent: dict[str, Any]) -> dict[str, Any]:
        if intent["status"] != "requires_capture":
            raise _unexpected_state(intent, "capture", ("requires_capture",))
        self._capture(intent)
        return dict(intent)

    def _cancel(self, intent: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if intent["status"] not in _CANCELABLE:
            raise _unexpected_state(intent, "cancel", _CANCELABLE)
        intent.update(
            status="canceled",
            amount_capturable=0,
            cancellation_reason=params.get("cancellation_reason", "requested_by_customer"),
        )
        return dict(intent)

    def _refund(self, params: dict[str, Any]) -> dict[str, Any]:
        intent_id = params.get("payment_intent", "")
        if intent_id not in self.intents:
            raise _Answer(
                400,
                {
                    **_invalid(f"No such payment_intent: '{intent_id}'", "payment_intent"),
                    "code": "resource_missing",
                },
            )
        intent = self.intents[intent_id]
        if intent["status"] != "succeeded":
            raise _unexpected_state(intent, "refund", ("succeeded",))
        charge = self.charges[intent["latest_charge"]]
        left = charge["amount_captured"] - charge["amount_refunded"]
        if left == 0:
            raise _Answer(
                400,
                {
                    **_invalid(f"Charge {charge['id']} has already been refunded.", ""),
                    "code": "charge_already_refunded",
                },
            )
        amount = int(params.get("amount", left))
        if amount > left:
            raise _Answer(
                400,
                {
                    **_invalid(
                        f"Refund amount ({amount}) is greater than unrefunded amount ({left}).",
                        "amount",
                    ),
                    "code": "amount_too_large",
                },
            )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount_captured"]
        refund = {
            "id": _id("re"),
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "created": next(self._clock),
            "currency": charge["currency"],
            "metadata": dict(params.get("metadata") or {}),
            "payment_intent": intent_id,
            "status": "succeeded",
        }
        self.refunds[refund["id"]] = refund
        return refund

    def _search(self, params: dict[str, Any]) -> dict[str, Any]:
        match = _SEARCH.match(params.get("query", ""))
        if not match:
            raise _Answer(400, _invalid("The fake searches metadata['remit_key'] only.", "query"))
        wanted = re.sub(r"\\(.)", r"\1", match[1])
        found = [
            self._view(intent, _expand_under(params, "data"))
            for intent in self.intents.values()
            if self.searchable and intent["metadata"].get("remit_key") == wanted
        ]
        return {
            "object": "search_result",
            "url": "/v1/payment_intents/search",
            "has_more": False,
            "next_page": None,
            "data": found,
        }

    def _intent(self, intent_id: str) -> dict[str, Any]:
        if intent_id not in self.intents:
            raise _Answer(
                404,
                {
                    **_invalid(f"No such payment_intent: '{intent_id}'", "intent"),
                    "code": "resource_missing",
                },
            )
        return self.intents[intent_id]

    def _view(self, intent: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        view = dict(intent)
        if "latest_charge" in _values(params.get("expand")) and intent["latest_charge"]:
            view["latest_charge"] = dict(self.charges[intent["latest_charge"]])
        return view

    # --- idempotency, done by the handler under the fake's lock ------------------------
    def answer(
        self, method: str, path: str, params: dict[str, Any], key: str | None
    ) -> tuple[int, bytes, dict[str, str], str | None]:
        with self._lock:
            self.requests.append(Recorded(method, path, key, params))
            fingerprint = (method, path, json.dumps(params, sort_keys=True))
            if method == "POST" and key and key in self._idempotent:
                first, status, body = self._idempotent[key]
                if first != fingerprint:
                    error = {
                        "type": "idempotency_error",
                        "message": (
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with."
                        ),
                    }
                    return 400, json.dumps({"error": error}).encode(), {}, None
                return status, body, {"Idempotent-Replayed": "true"}, None
            try:
                status, payload, behaviour = self.handle(method, path, params, key)
            except _Answer as refusal:
                status, payload, behaviour = refusal.status, {"error": refusal.error}, None
            except Exception as crash:  # a bug in the fake: answer, and let the test see it
                self.errors.append(f"{method} {path}: {crash!r}")
                status, payload, behaviour = 500, {"error": {"type": "api_error"}}, None
            if behaviour == "server_error":
                status = 500
                payload = {"error": {"type": "api_error", "message": "An unknown error occurred."}}
            body = json.dumps(payload).encode()
            if method == "POST" and key:
                self._idempotent[key] = (fingerprint, status, body)
            return status, body, {}, behaviour

    def hold(self) -> None:
        """A "timeout": keep the client waiting, without an answer, until it gives up."""
        self._released.wait(self.hold_seconds)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStripe
    protocol_version = "HTTP/1.1"
    wbufsize = -1  # headers and body leave in one write (no 40 ms delayed-ACK stall)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        params = _nest(parse_qsl(body if method == "POST" else url.query, keep_blank_values=True))
        if self.headers.get("Authorization") != f"Bearer {self.fake.api_key}":
            error = _invalid("Invalid API Key provided.", "")
            self._send(401, json.dumps({"error": error}).encode(), {})
            return
        status, payload, headers, behaviour = self.fake.answer(
            method, url.path, params, self.headers.get("Idempotency-Key")
        )
        if behaviour == "timeout":
            self.fake.hold()
            self.close_connection = True  # no answer, ever: the client has given up
            return
        self._send(status, payload, headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", _id("req"))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


# --- helpers ------------------------------------------------------------------------------
def _page(path: str, items: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """A list page as Stripe answers one: newest first, `limit` at a time after the id
    `starting_after`."""
    items = list(reversed(items))
    after = params.get("starting_after")
    if after:
        items = items[[i["id"] for i in items].index(after) + 1 :]
    limit = int(params.get("limit", 10))
    return {"object": "list", "url": path, "has_more": len(items) > limit, "data": items[:limit]}


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _invalid(message: str, param: str) -> dict[str, Any]:
    error: dict[str, Any] = {"type": "invalid_request_error", "message": message}
    if param:
        error["param"] = param
    return error


def _unexpected_state(intent: dict[str, Any], action: str, allowed: tuple[str, ...]) -> _Answer:
    return _Answer(
        400,
        {
            "type": "invalid_request_error",
            "code": "payment_intent_unexpected_state",
            "message": (
                f"You cannot {action} this PaymentIntent because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses "
                f"may be {action}ed: {', '.join(allowed)}."
            ),
            "payment_intent": dict(intent),
        },
    )


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (`card[number]=…`, `expand[0]=…`) as nested dicts."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        head, *rest = re.findall(r"[^\[\]]+", key) or [key]
        node = result
        names = [head, *rest]
        for name in names[:-1]:
            node = node.setdefault(name, {})
        node[names[-1]] = value
    return result


def _values(value: Any) -> list[Any]:
    """A form-encoded list (`{"0": a, "1": b}`) as a list; a single value as a list of one."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [value[k] for k in sorted(value, key=int)]
    return [value]


def _expand_under(params: dict[str, Any], prefix: str) -> dict[str, Any]:
    """`expand[]=data.latest_charge` on a search is `expand[]=latest_charge` on each item."""
    inner = [v[len(prefix) + 1 :] for v in _values(params.get("expand")) if v.startswith(prefix)]
    return {"expand": {str(i): v for i, v in enumerate(inner)}}


def _luhn(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0
