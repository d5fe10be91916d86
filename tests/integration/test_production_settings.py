"""Settings that refuse to be unsafe, as an operator meets them: each case starts the
`remit` program or Django in a process of its own, with the environment it names."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
REMIT = Path(sys.executable).parent / "remit"
A_KEY = "k" * 20 + "-a-production-key-made-for-this-test-only-0123456789"
MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'


def run(command: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """`command` with the installation's REMIT_* variables (and the browser tests'
    DJANGO_ALLOW_ASYNC_UNSAFE) cleared, then `env` set."""
    cleared = ("REMIT_", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(cleared)}
    clean |= {"REMIT_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "remit.settings"}
    return subprocess.run(
        command, env=clean | env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )


@pytest.mark.parametrize("key", [None, "dev-only-not-secret-change-me", "django-insecure-abc"])
def test_serve_with_debug_off_refuses_a_missing_or_development_key_in_one_sentence(tmp_path, key):
    env = {} if key is None else {"REMIT_SECRET_KEY": key}

    served = run([str(REMIT), "serve", "--port", "1"], tmp_path, **env)

    assert served.returncode == 2
    assert served.stdout == ""
    assert served.stderr.strip() == (
        "remit: REMIT_SECRET_KEY is missing or the development key, and REMIT_DEBUG is off: "
        f"make a key with `{MAKE_A_KEY}` and set REMIT_SECRET_KEY to it."
    )


def test_the_wsgi_application_refuses_the_development_key_too(tmp_path):
    loaded = run([sys.executable, "-c", "import remit.wsgi"], tmp_path)

    assert loaded.returncode == 1
    assert "ImproperlyConfigured: REMIT_SECRET_KEY is missing" in loaded.stderr


def test_serve_refuses_to_start_before_the_static_files_are_collected(tmp_path):
    served = run([str(REMIT), "serve", "--port", "1"], tmp_path, REMIT_SECRET_KEY=A_KEY)

    assert served.returncode == 2
    assert served.stderr.strip() == (
        f"remit: The static files are not collected in {tmp_path / 'static'}: "
        "run `remit migrate`, which collects them."
    )


def deploy_warnings(tmp_path: Path, **env: str) -> set[str]:
    checked = run([sys.executable, "-m", "django", "check", "--deploy"], tmp_path, **env)
    assert checked.returncode == 0, checked.stderr
    return set(re.findall(r"\((\w+\.W\d+)\)", checked.stdout + checked.stderr))


def test_check_deploy_in_production_leaves_only_the_warnings_the_readme_explains(tmp_path):
    production = {"REMIT_SECRET_KEY": A_KEY, "REMIT_HTTPS": "1"}

    assert deploy_warnings(tmp_path, **production) == {"security.W021"}
    assert deploy_warnings(tmp_path, **production, REMIT_HSTS_PRELOAD="1") == set()
    # plain HTTP, as `make run` serves: no redirect and no HSTS, each said in the README
    assert deploy_warnings(tmp_path, REMIT_SECRET_KEY=A_KEY) == {"security.W004", "security.W008"}
    for warning in ("security.W021", "security.W004", "security.W008"):
        assert f"`{warning}`" in README, f"README does not explain {warning}"


def settings_under(tmp_path: Path, names: str, **env: str) -> str:
    code = f"from django.conf import settings as s; print([getattr(s, n) for n in {names!r}])"
    shown = run([sys.executable, "-c", f"import django; django.setup(); {code}"], tmp_path, **env)
    assert shown.returncode == 0, shown.stderr
    return shown.stdout.strip()


def test_remit_https_turns_on_the_redirect_and_hsts_and_plain_serving_leaves_them_off(tmp_path):
    names = ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS"]

    assert settings_under(tmp_path, names, REMIT_HTTPS="1") == "[True, 31536000, True]"
    assert settings_under(tmp_path, names) == "[False, 0, False]"


def test_the_proxy_ssl_header_is_named_by_the_environment(tmp_path):
    names = ["SECURE_PROXY_SSL_HEADER"]

    assert settings_under(tmp_path, names) == "[None]"
    assert (
        settings_under(tmp_path, names, REMIT_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO")
        == "[('HTTP_X_FORWARDED_PROTO', 'https')]"
    )
    assert (
        settings_under(tmp_path, names, REMIT_PROXY_SSL_HEADER="HTTP_X_FORWARDED_SSL=on")
        == "[('HTTP_X_FORWARDED_SSL', 'on')]"
    )


def test_behind_a_proxy_that_says_https_a_page_is_served_not_redirected(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    assert client.get("/portal/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert client.get("/portal/login/").status_code == 301
