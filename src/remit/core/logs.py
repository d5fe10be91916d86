"""Logs an operator can search: one JSON object a line, each carrying what it happened to.

`ContextFilter` (on the handler, settings.LOGGING) adds the fields of the current scope
to every record: a web request's id, the signed-in user or the API key's prefix, and the
customer and payment the request is working on (bound by the services as they learn
them); a worker task's name. A scope is a contextvar, so a service's own log lines inside
a request carry them without being told.

`JsonFormatter` writes one JSON object a line; `TextFormatter` is for people
(`REMIT_LOG_FORMAT=text`, which `make run` sets). Both are the guard: a Luhn-valid run of
13 to 19 digits (a card number), a remit API key's secret, a bearer token and a
`password=` value are masked in the message, an exception's text and every extra field
(an extra named like a password or a card number is masked whole), whoever logged them.
They mask what they write and leave the record as it was, so another handler (an error
tracker, the tests' capture) still sees what was logged.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from remit.core.inputs.free_text import card_numbers_in

CONTEXT_FIELDS = ("request_id", "user", "api_key", "customer", "payment", "task")

_scope: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "remit_log_scope", default=None
)


@contextmanager
def log_scope(*, bindable: bool = True, **fields: Any) -> Iterator[dict[str, Any]]:
    """Fields every log line inside the block carries. In a `bindable` scope (a web
    request) `log_bind` adds more as they become known; a worker task's scope is not
    bindable, as one task works through many customers' payments."""
    outer = _scope.get() or {}
    scope = {**outer, **{k: v for k, v in fields.items() if v not in (None, "")}}
    scope["_bindable"] = bindable
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def log_bind(**fields: Any) -> None:
    """Add fields to the current request's scope (nothing outside a bindable one)."""
    scope = _scope.get()
    if scope is not None and scope.get("_bindable"):
        scope.update({k: v for k, v in fields.items() if v not in (None, "")})


def log_fields() -> dict[str, Any]:
    """The current scope's fields."""
    return {k: v for k, v in (_scope.get() or {}).items() if not k.startswith("_")}


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in log_fields().items():
            if not hasattr(record, name):  # an explicit extra= wins
                setattr(record, name, value)
        return True


# Digits, maybe in groups split by a space or a dash. A run is masked when it holds a card
# number as the free-text rule finds one (`core.inputs.free_text`: 13 to 19 Luhn-valid
# digits in whole groups, "4242 4242 4242 4242 123" included), so ids, amounts and
# timestamps stay readable.
_DIGIT_RUN = re.compile(r"\d+(?:[ -]\d+)*")
_API_KEY = re.compile(r"\b(rk_[0-9a-f]{8})_[A-Za-z0-9_-]+")
_BEARER = re.compile(r"(?i)\b(bearer)\s+(?!\[redacted\])\S+")
_SECRET_VALUE = re.compile(
    r"(?i)\b(password|passwd|secret|cvc|cvv)(\\?[\"']?\s*[:=]\s*\\?[\"']?)"
    r"(?!\[redacted\])[^\s&,;'\"\\]+"
)
_SECRET_NAMES = re.compile(r"(?i)password|passwd|secret|cvc|cvv|authorization|card_number")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """`text` with card numbers, API key secrets, bearer tokens and passwords masked."""

    def card(match: re.Match) -> str:
        found = next(card_numbers_in(match.group()), None)
        return f"[card …{found[-4:]}]" if found else match.group()

    text = _DIGIT_RUN.sub(card, text)
    text = _API_KEY.sub(rf"\1_{REDACTED}", text)
    text = _BEARER.sub(rf"\1 {REDACTED}", text)
    return _SECRET_VALUE.sub(rf"\1\2{REDACTED}", text)


_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    """The record's extra fields and context, masked."""
    fields = {}
    for name, value in record.__dict__.items():
        if name in _STANDARD or name.startswith("_"):
            continue
        if _SECRET_NAMES.search(name):
            fields[name] = REDACTED
        elif isinstance(value, str):
            fields[name] = redact(value)
        else:
            fields[name] = value
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, the context, the
    exception if any; masked."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            **_extras(record),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = redact(record.exc_text)
        # Again over the whole line: a secret inside an extra that is not a string.
        return redact(json.dumps(line, default=str, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    """`2026-12-01 10:00:00,000 INFO remit.payments: message [request_id=… user=…]`;
    masked."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        if context:
            first, newline, rest = text.partition("\n")
            text = f"{first} [{context}]{newline}{rest}"
        return redact(text)


class StderrHandler(logging.StreamHandler):
    """Writes to `sys.stderr` as it is when each line is written, not as it was when
    logging was configured (a test's capture, since closed, or a replaced stream)."""

    def __init__(self) -> None:
        self._stream = None
        super().__init__()

    @property
    def stream(self):
        return self._stream or sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        self._stream = None if value is sys.stderr else value
