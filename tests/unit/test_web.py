"""What every web face does with a request the same way (`remit.core.web`)."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from django.test import RequestFactory

from remit.core.web import request_id, security_event, to_login

requests = RequestFactory()


def test_the_callers_request_id_is_kept_up_to_64_characters():
    assert request_id(requests.get("/", headers={"X-Request-ID": "erp-7731"})) == "erp-7731"
    long = "r" * 100
    assert request_id(requests.get("/", headers={"X-Request-ID": long})) == "r" * 64


def test_a_missing_or_unprintable_request_id_is_replaced_by_a_new_one():
    made = request_id(requests.get("/"))
    assert len(made) == 32 and made != request_id(requests.get("/"))
    assert request_id(requests.get("/", headers={"X-Request-ID": "a\x1bb"})) != "a\x1bb"


def test_a_page_is_redirected_to_the_login_and_back_after_it():
    answer = to_login(requests.get("/portal/payments/?page=2"), "/portal/login/")
    assert answer.status_code == 302
    assert answer["Location"] == "/portal/login/?next=/portal/payments/%3Fpage%3D2"


def test_an_htmx_request_is_told_where_the_login_is_instead_of_redirected():
    answer = to_login(requests.get("/staff/", headers={"HX-Request": "true"}), "/staff/login/")
    assert answer.status_code == 204 and answer["HX-Redirect"] == "/staff/login/"


def test_a_security_event_names_the_face_the_request_who_and_why():
    request = requests.post("/staff/customers/C-1/payments/PMT-1/void/")
    request.user = SimpleNamespace(get_username=lambda: "clerk", pk=7)
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger = logging.getLogger("remit.security")
    handler = Keep(level=logging.WARNING)
    logger.addHandler(handler)
    try:
        security_event("back office", "refused", "lacks payments.void_payment", request=request)
        security_event("api", "not found", "payment PMT-9 is another customer's", who="api-key:3")
    finally:
        logger.removeHandler(handler)
    assert [r.getMessage() for r in records] == [
        "back office refused: POST /staff/customers/C-1/payments/PMT-1/void/ "
        "by user 'clerk' (id 7): lacks payments.void_payment",
        "api not found: by api-key:3: payment PMT-9 is another customer's",
    ]
