"""How back-office views answer: a window as a dialog (htmx) or as a page, and where to
go once something is saved."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render

FRAGMENT = "backoffice/windows/frame_fragment.html"
PAGE = "backoffice/windows/frame_page.html"


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def window(request: HttpRequest, template: str, context: dict, *, status: int = 200):
    """A window: the dialog's content for htmx, a page of its own otherwise (a link opened
    in a new tab, or a browser without JavaScript)."""
    context["frame"] = FRAGMENT if is_htmx(request) else PAGE
    return render(request, template, context, status=status)


def go(request: HttpRequest, url: str) -> HttpResponse:
    """After a save: htmx follows HX-Redirect with a full page load; a form, a 303."""
    if is_htmx(request):
        response = HttpResponse()
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url, status=303)
