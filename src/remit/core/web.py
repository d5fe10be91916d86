"""What every web face does with a request the same way: the request id the audit trail
records, the way to a login page (htmx included), and the security log.

`remit.security` gets one line for each refusal and each "not found" that may be a probe
for another customer's data: which face, what happened, the request, who, and why.
"""

from __future__ import annotations

import logging
import uuid

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

security_log = logging.getLogger("remit.security")

REQUEST_ID_HEADER = "X-Request-ID"
MAX_REQUEST_ID = 64


def request_id(request: HttpRequest) -> str:
    """The caller's X-Request-ID (printable, at most 64 characters), or a new one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given[:MAX_REQUEST_ID] if given and given.isprintable() else uuid.uuid4().hex


def to_login(request: HttpRequest, login_url: str) -> HttpResponse:
    """Send a visitor who is not signed in to `login_url`, and back here after it.

    htmx cannot follow a redirect to a whole page, so an htmx request is told where to go
    (`HX-Redirect`) instead.
    """
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = login_url
        return response
    return redirect_to_login(request.get_full_path(), login_url=login_url)


def user_label(request: HttpRequest) -> str:
    """`user 'ann' (id 7)`: how the security log names a signed-in user."""
    return f"user {request.user.get_username()!r} (id {request.user.pk})"


def security_event(
    face: str, what: str, why: str, *, request: HttpRequest | None = None, who: str = ""
) -> None:
    """One line on `remit.security`, such as
    `back office refused: POST /staff/… by user 'clerk' (id 7): lacks payments.void_payment`.

    `who` defaults to the request's user; a caller without a request (the API's access
    checks) names the caller itself.
    """
    where = f"{request.method} {request.path} " if request is not None else ""
    if not who:
        who = user_label(request) if request is not None else "an unknown caller"
    security_log.warning("%s %s: %sby %s: %s", face, what, where, who, why)
