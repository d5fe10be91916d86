"""What a server refuses to start with: the development secret key while DEBUG is off,
and pages whose static files were never collected.

`remit serve` checks both before it starts gunicorn, and `remit.wsgi` checks the key, so
a server started another way (`gunicorn remit.wsgi`) refuses it too. The tests and the
command line keep the development key: they serve nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.files.storage import storages

MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'


def secret_key_problem() -> str | None:
    """The sentence saying why the secret key is unsafe to serve with, or None."""
    if settings.DEBUG:
        return None
    key = settings.SECRET_KEY
    development = getattr(settings, "DEVELOPMENT_SECRET_KEY", None)
    if not key or key == development or key.startswith("django-insecure-"):
        return (
            "REMIT_SECRET_KEY is missing or the development key, and REMIT_DEBUG is off: "
            f"make a key with `{MAKE_A_KEY}` and set REMIT_SECRET_KEY to it."
        )
    return None


def static_files_problem() -> str | None:
    """The sentence saying that the static files were never collected, or None. In DEBUG
    the pages name the files as the apps hold them, and WhiteNoise finds them there."""
    if settings.DEBUG:
        return None
    storage = storages["staticfiles"]
    if isinstance(storage, ManifestFilesMixin) and storage.read_manifest() is None:
        return (
            f"The static files are not collected in {settings.STATIC_ROOT}: "
            "run `remit migrate`, which collects them."
        )
    return None


def serving_problem() -> str | None:
    """The first reason not to serve, or None."""
    return secret_key_problem() or static_files_problem()
