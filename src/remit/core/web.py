"""What every web face does with a request the same way: the request id the audit trail
records, the client's address, the way to a login page (htmx included), the idle timeout
of a session, and the security log.

`remit.security` gets one line for each refusal and each "not found" that may be a probe
for another customer's data: which face, what happened, the request, who, and why.
"""

from __future__ import annotations

import ipaddress
import logging
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from remit.core.logs import log_bind, log_scope
from remit.core.metrics import view_label

security_log = logging.getLogger("remit.security")
request_log = logging.getLogger("remit.request")

REQUEST_ID_HEADER = "X-Request-ID"
MAX_REQUEST_ID = 64
ROUTINE_VIEWS = frozenset({"static", "healthz", "readyz"})


def request_id(request: HttpRequest) -> str:
    """The caller's X-Request-ID (printable, at most 64 characters), or a new one; the
    same for the whole request (the audit trail, the logs and the response header)."""
    known = getattr(request, "remit_request_id", None)
    if known:
        return known
    given = request.headers.get(REQUEST_ID_HEADER, "")
    chosen = given[:MAX_REQUEST_ID] if given and given.isprintable() else uuid.uuid4().hex
    request.remit_request_id = chosen
    return chosen


class RequestContextMiddleware:
    """Every log line written while a request is served carries its request id, and the
    user once known (API keys bind their prefix in the API's authentication); the
    services add the customer and the payment. One line at the end says what was asked,
    what was answered and how long it took. The response carries X-Request-ID."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        with log_scope(request_id=request_id(request)):
            response = self.get_response(request)
            view = view_label(request)
            # A static file or a load balancer's health check that went well is routine.
            routine = view in ROUTINE_VIEWS and response.status_code < 400
            request_log.log(
                logging.DEBUG if routine else logging.INFO,
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "view": view,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
        response.headers.setdefault(REQUEST_ID_HEADER, request_id(request))
        return response

    def process_view(self, request: HttpRequest, view, args, kwargs) -> None:
        # Runs after the authentication middleware: the session's user is known here.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            log_bind(user=user.get_username())


class HeadWithoutBody:
    """A HEAD request is answered with the GET's headers (Content-Length included) and no
    body. Django leaves dropping the body to the server; gunicorn drops it with a warning
    on every such request, which a load balancer probing with HEAD would fill the log with."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method == "HEAD" and not response.streaming:
            response.headers.setdefault("Content-Length", str(len(response.content)))
            response.content = b""
        return response


def client_address(request: HttpRequest) -> str | None:
    """The address of the client: the connection's own (REMOTE_ADDR), or, behind a proxy
    configured with REMIT_CLIENT_ADDRESS_HEADER, the last address in that header (the one
    the proxy in front of remit saw; the ones before it are the client's word).

    The sign-in lockout (django-axes, through AXES_CLIENT_IP_CALLABLE) and the sandbox
    tokeniser's rate limit count by it.
    """
    header = getattr(settings, "REMIT_CLIENT_ADDRESS_HEADER", "")
    if header:
        meta = "HTTP_" + header.upper().replace("-", "_")
        given = request.META.get(meta, "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(given))
        except ValueError:
            pass  # no header, or not an address: the connection's own
    return request.META.get("REMOTE_ADDR") or None  # None: not known (a test's request)


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


class IdleTimeout:
    """A session that ends after `minutes` without a request: staff after 15 minutes, a
    portal user who may pay after REMIT_PORTAL_IDLE_MINUTES. `key` is where the session
    keeps the time of its last request, written at most every 30 seconds."""

    TOUCH_EVERY = 30  # seconds

    def __init__(self, key: str, minutes: Callable[[], int]) -> None:
        self.key = key
        self._minutes = minutes

    @property
    def minutes(self) -> int:
        return self._minutes()

    @property
    def seconds(self) -> int:
        return self.minutes * 60

    def expired(self, request: HttpRequest) -> bool:
        """True (and the user signed out) when the session has been idle too long;
        otherwise this request counts as activity."""
        seen = request.session.get(self.key)
        if seen is not None and time.time() - seen > self.seconds:
            logout(request)
            return True
        self.mark_seen(request)
        return False

    def mark_seen(self, request: HttpRequest) -> None:
        now = int(time.time())
        if now - request.session.get(self.key, 0) >= self.TOUCH_EVERY:
            request.session[self.key] = now

    def sentence(self) -> str:
        return f"You were signed out after {self.minutes} minutes without activity."


STAFF_IDLE = IdleTimeout("backoffice_seen", lambda: 15)
"""The back office's sessions."""
PORTAL_IDLE = IdleTimeout("portal_seen", lambda: settings.REMIT_PORTAL_IDLE_MINUTES)
"""The sessions of portal users who may pay (the portal's pages and the API alike)."""
