"""The guard on every log line (remit.core.logs.redact): card numbers, API key secrets,
bearer tokens and passwords are masked; the numbers an operator needs are kept."""

from __future__ import annotations

import json
import logging

import pytest

from remit.core.logs import JsonFormatter, TextFormatter, log_bind, log_fields, log_scope, redact


@pytest.mark.parametrize(
    ("said", "logged"),
    [
        ("card 4242424242424242 declined", "card [card …4242] declined"),
        ("card 4242 4242 4242 4242", "card [card …4242]"),
        ("card 4000-0000-0000-0002", "card [card …0002]"),
        ("amex 378282246310005.", "amex [card …0005]."),
        ("with its cvc 4242 4242 4242 4242 123", "with its cvc [card …4242]"),
        ("19 digits 6011000990139424123", "19 digits 6011000990139424123"),  # not Luhn-valid
        ("rk_0a1b2c3d_Zx-9_aQ is the key", "rk_0a1b2c3d_[redacted] is the key"),
        ("Authorization: Bearer abc.def", "Authorization: Bearer [redacted]"),
        ('{"password": "pa55word"}', '{"password": "[redacted]"}'),
        ("cvc=123 given", "cvc=[redacted] given"),
        ('json {\\"password\\": \\"pa55\\"}', 'json {\\"password\\": \\"[redacted]\\"}'),
    ],
)
def test_secrets_are_masked(said, logged):
    assert redact(said) == logged


@pytest.mark.parametrize(
    "kept",
    [
        "PMT-000123 for C-0001: $1,250.00 on INV-10045",
        "4242424242424241 is not a card (Luhn)",
        "request 2f1e9c0a7b3d4e5f8a9b0c1d2e3f4a5b took 12.5 ms",
        "epoch 1764556800123",  # 13 digits, not Luhn-valid
        "order 123456789012",  # 12 digits: too short for a card
        "rk_notakey",
    ],
)
def test_what_is_not_a_secret_is_kept(kept):
    assert redact(kept) == kept


def test_a_scope_carries_its_fields_and_binding_adds_to_a_request_not_to_a_task():
    with log_scope(request_id="r-1"):
        log_bind(user="ann", customer="")
        assert log_fields() == {"request_id": "r-1", "user": "ann"}
        with log_scope(task="reconcile", bindable=False):
            log_bind(payment="PMT-1")
            assert log_fields() == {"request_id": "r-1", "user": "ann", "task": "reconcile"}
    assert log_fields() == {}
    log_bind(payment="PMT-2")  # outside any scope: nothing
    assert log_fields() == {}


def test_both_formats_mask_and_leave_the_record_as_logged_for_other_handlers():
    record = logging.LogRecord(
        "remit.test", logging.WARNING, __file__, 1, "card %s", ("4242424242424242",), None
    )
    record.card_number = "4242"
    text, line = TextFormatter().format(record), JsonFormatter().format(record)

    assert "4242424242424242" not in text + line
    assert text.endswith("WARNING remit.test: card [card …4242] [card_number=[redacted]]")
    assert json.loads(line)["message"] == "card [card …4242]"
    assert record.getMessage() == "card 4242424242424242"  # a test's capture still sees it


def test_a_masked_json_line_is_still_json():
    record = logging.LogRecord(
        "remit.test", logging.INFO, __file__, 1, 'sign-in password="pa55 word"', None, None
    )
    assert json.loads(JsonFormatter().format(record))["message"] == (
        'sign-in password="[redacted] word"'
    )
