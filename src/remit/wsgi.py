"""The WSGI application, for a server started another way than `remit serve` (which runs
gunicorn on the same application, after the same check)."""

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

from remit.core.deploy import secret_key_problem

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "remit.settings")
application = get_wsgi_application()

if problem := secret_key_problem():
    raise ImproperlyConfigured(problem)
