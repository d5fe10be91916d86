"""Small helpers the portal views share: dialogs, redirects, the safe error sentence."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render

from remit.core.errors import RemitError

log = logging.getLogger("remit.portal")

GENERIC_ERROR = (
    "Something went wrong on our side and the request could not be completed. "
    "Nothing was charged twice: check Payments before you try again."
)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def render_dialog(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """A dialog's content for htmx (shown in the page's <dialog>), or the same content as a
    page of its own when the browser asked for the URL directly (no script, a new tab)."""
    if is_htmx(request):
        return render(request, template, context, status=status)
    return render(
        request, "portal/dialog_page.html", {**context, "dialog_template": template}, status=status
    )


def go(request: HttpRequest, url: str) -> HttpResponse:
    """After a POST: a real redirect (303), or for htmx a full navigation to `url`."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url, status=303)


def error_sentence(error: Exception) -> str:
    """What may be shown of an error: a RemitError's own sentence, else a generic one
    (and the error is logged with its traceback)."""
    if isinstance(error, RemitError):
        return error.message
    log.error("portal request failed", exc_info=error)
    return GENERIC_ERROR
