"""`/api/v1/…` (the API and its schema), `/api/docs` (Swagger UI over that schema).

Whatever else reaches `/api/` is answered in the API's one error shape too: an unknown
path 404, a method a path does not take 405 (ninja's own answer there is plain text).
"""

from __future__ import annotations

from functools import partial, wraps

from django.http import HttpRequest, HttpResponse
from django.urls import path, re_path
from ninja.openapi.views import openapi_view

from remit.api.api import api
from remit.api.errors import respond


def _json_405(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code != 405 or "json" in response.get("Content-Type", ""):
            return response
        allowed = response.get("Allow", "")
        refusal = respond(
            405, "method_not_allowed", f"{request.method} is not allowed here; use {allowed}."
        )
        refusal["Allow"] = allowed
        return refusal

    return wrapper


def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    return respond(404, "not_found", "There is no such API route; see /api/docs.")


# Not `app_name`: a module-level name of that name would namespace the whole include.
_patterns, _app, _namespace = api.urls
for _pattern in _patterns:
    _pattern.callback = _json_405(_pattern.callback)

urlpatterns = [
    path("v1/", (_patterns, _app, _namespace)),
    path("docs", partial(openapi_view, api=api), name="api-docs"),
    re_path(r"^(?P<rest>.*)$", unknown),
]
