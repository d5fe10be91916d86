"""Django settings for remit. Everything that differs per installation comes from the
environment: DATABASE_URL, REMIT_SECRET_KEY, REMIT_DEBUG, REMIT_ALLOWED_HOSTS."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("REMIT_VAR_DIR", PROJECT_DIR / "var"))

DEBUG = os.environ.get("REMIT_DEBUG", "") == "1"
SECRET_KEY = os.environ.get("REMIT_SECRET_KEY") or "dev-only-not-secret-change-me"
ALLOWED_HOSTS = os.environ.get("REMIT_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "remit.core",
    "remit.customers",
    "remit.invoices",
    "remit.ledger",
    "remit.gateways",
    "remit.payments",
    "django_tasks",
    "django_tasks_db",
    "remit.worker",
    "remit.receipts",
    "remit.integrations",
    "remit.portal",
    "remit.backoffice",
    "remit.api",
    "remit.webhooks",
    "ninja",  # serves /api/docs from local static files, not a CDN
    "axes",
]

# Background tasks (reconcile, the daily settlement) are rows in remit's own database;
# `remit worker` runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Which payment gateway remit talks to: "sandbox" (built in, the default) or "stripe".
REMIT_GATEWAY = os.environ.get("REMIT_GATEWAY", "sandbox")
REMIT_STRIPE_API_KEY = os.environ.get("REMIT_STRIPE_API_KEY", "")
# The Stripe webhook endpoint's signing secret (whsec_...); /webhooks/stripe/ refuses
# every event while it is empty.
REMIT_STRIPE_WEBHOOK_SECRET = os.environ.get("REMIT_STRIPE_WEBHOOK_SECRET", "")
# The publishable key (pk_...) the card entry gives Stripe.js in the browser.
REMIT_STRIPE_PUBLISHABLE_KEY = os.environ.get("REMIT_STRIPE_PUBLISHABLE_KEY", "")

# /metrics answers a request bearing `Authorization: Bearer <this>`; unset, it is a 404.
REMIT_METRICS_TOKEN = os.environ.get("REMIT_METRICS_TOKEN", "")

MIDDLEWARE = [
    # First: they time, count and label the whole of a request (remit.core.metrics,
    # remit.core.web: its id and user on every log line).
    "remit.core.metrics.RequestMetricsMiddleware",
    "remit.core.web.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it locks an account after repeated failed logins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# 10 failed logins lock the account for 30 minutes (by username, whatever the address).
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "remit/locked_out.html"
# W006 asks to lock by address too; the rule is per account, so rotating addresses does
# not help an attacker either.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

ROOT_URLCONF = "remit.urls"
WSGI_APPLICATION = "remit.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database() -> dict:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'remit.sqlite3'}"
    config = dj_database_url.parse(url, conn_max_age=0)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config["OPTIONS"] = {
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of one
            # failing with "database is locked" half-way through a money transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
                " PRAGMA foreign_keys=ON;"
            ),
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # Parameters travel apart from the SQL (psycopg's server-side binding): a lump
        # sum's 10,000 ids are one array, not 10,000 literals in the text. Each statement
        # is parsed unnamed and never prepared (Django leaves psycopg's prepare_threshold
        # at None), so it works behind PgBouncer in transaction mode too;
        # REMIT_PG_SERVER_SIDE_BINDING=0 turns it off all the same.
        config.setdefault("OPTIONS", {})["server_side_binding"] = (
            os.environ.get("REMIT_PG_SERVER_SIDE_BINDING", "1") != "0"
        )
        # Behind a pooler in transaction mode (PgBouncer's pool_mode = transaction) a
        # session outlives no transaction: REMIT_PG_TRANSACTION_POOLING=1 turns off what
        # needs one, the server-side cursors of QuerySet.iterator() (Django's advice).
        config["DISABLE_SERVER_SIDE_CURSORS"] = (
            os.environ.get("REMIT_PG_TRANSACTION_POOLING", "") == "1"
        )
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# Secure cookies always: browsers treat http://127.0.0.1 and localhost as secure
# contexts, so `make run` works without weakening this.
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGIN_URL = "/portal/login/"

# One JSON object a line on stderr (remit.core.logs), each with the request id, user or
# API key prefix, customer and payment where known; the formatters mask card numbers, API
# keys and passwords whoever logs them. REMIT_LOG_FORMAT=text for people (`make run` sets it).
REMIT_LOG_FORMAT = os.environ.get("REMIT_LOG_FORMAT", "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "remit.core.logs.ContextFilter"}},
    "formatters": {
        "json": {"()": "remit.core.logs.JsonFormatter"},
        "text": {"()": "remit.core.logs.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "remit.core.logs.StderrHandler",
            "filters": ["context"],
            "formatter": "text" if REMIT_LOG_FORMAT == "text" else "json",
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"remit": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
