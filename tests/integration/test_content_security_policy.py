"""A Content-Security-Policy on every page (django-csp), strict enough that an injected
script or style cannot run: scripts and styles come from remit's own static files only,
and no template holds inline code that would need 'unsafe-inline'. The browser suite
fails on any violation (tests/browser/conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

import remit
from remit.settings import _content_security_policy

pytestmark = pytest.mark.django_db

# Emails' HTML parts are not pages: no browser shows them under this policy, and mail
# clients read only inline styles (remit.notifications.compose).
EMAILS = Path(remit.__file__).parent / "notifications" / "templates" / "notifications" / "email"
TEMPLATES = sorted(
    path
    for path in Path(remit.__file__).parent.glob("*/templates/**/*.html")
    if EMAILS not in path.parents
)
PAGES = ["/portal/login/", "/staff/login/", "/admin/login/", "/api/docs", "/portal/"]


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in parts}


@pytest.mark.parametrize("url", PAGES)
def test_every_page_carries_the_policy(url):
    response = Client().get(url, follow=True)
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header


def test_stripe_js_and_its_frames_are_allowed_only_with_the_stripe_gateway():
    sandbox = _content_security_policy("sandbox")["DIRECTIVES"]
    stripe = _content_security_policy("stripe")["DIRECTIVES"]
    assert not any("stripe" in source for sources in sandbox.values() for source in sources)
    assert "https://js.stripe.com" in stripe["script-src"]
    assert {"https://js.stripe.com", "https://hooks.stripe.com"} <= set(stripe["frame-src"])
    assert "https://api.stripe.com" in stripe["connect-src"]
    assert "'unsafe-inline'" not in stripe["script-src"] + stripe["style-src"]


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "script"),
    (re.compile(r"<style\b", re.I), "<style>"),
    (re.compile(r"\sstyle=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"\bhx-on", re.I), "hx-on handler"),
    (re.compile(r"hx-trigger=\"[^\"]*\[", re.I), "hx-trigger filter (evaluated as code)"),
]


def test_no_template_holds_inline_script_style_or_handlers():
    assert len(TEMPLATES) > 40
    found = [
        f"{path.relative_to(Path(remit.__file__).parent)}: {what}"
        for path in TEMPLATES
        for pattern, what in INLINE
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert not found, "\n".join(found)


def test_the_lockout_page_is_styled_from_the_stylesheet(settings):
    from django.template.loader import render_to_string

    html = render_to_string("remit/locked_out.html")
    assert 'class="panel locked-out"' in html and "style=" not in html
