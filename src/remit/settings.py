"""Django settings for remit. Everything that differs per installation comes from the
environment: DATABASE_URL, REMIT_SECRET_KEY, REMIT_DEBUG, REMIT_ALLOWED_HOSTS, REMIT_HTTPS,
REMIT_PROXY_SSL_HEADER (README "Running in production").

The development key below lets the tests and the command line run without a key; the
servers refuse it while DEBUG is off (`remit.core.deploy.secret_key_problem`, checked by
`remit serve` and by `remit.wsgi`)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("REMIT_VAR_DIR", PROJECT_DIR / "var"))

DEBUG = os.environ.get("REMIT_DEBUG", "") == "1"
DEVELOPMENT_SECRET_KEY = "dev-only-not-secret-change-me"  # noqa: S105  (refused by servers)
SECRET_KEY = os.environ.get("REMIT_SECRET_KEY") or DEVELOPMENT_SECRET_KEY
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
    "remit.notifications",
    "remit.statements",
    "remit.bank",
    "remit.portal",
    "remit.backoffice",
    "remit.api",
    "remit.webhooks",
    "ninja",  # serves /api/docs from local static files, not a CDN
    "axes",
    "csp",
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
# The sandbox gateway's tokenising endpoint (/sandbox-gateway/v1/tokens) is mounted only
# when the sandbox is the gateway and this, or REMIT_DEBUG, says so (`make run` sets it):
# a real installation never answers card numbers it has no use for.
REMIT_SANDBOX = os.environ.get("REMIT_SANDBOX", "") == "1"
# How many cards one client address may tokenise a minute (django-ratelimit, counted in
# the default cache: per process with Django's local-memory cache).
REMIT_SANDBOX_TOKENIZE_RATE = os.environ.get("REMIT_SANDBOX_TOKENIZE_RATE", "30/m")
# Seconds the sandbox gateway takes to answer a charge (default 0: at once), to show the
# progress a clerk sees while a real gateway works.
REMIT_SANDBOX_LATENCY = float(os.environ.get("REMIT_SANDBOX_LATENCY", "0"))

# A portal session that may pay ends after this many minutes without a request (staff
# sessions after 15).
REMIT_PORTAL_IDLE_MINUTES = int(os.environ.get("REMIT_PORTAL_IDLE_MINUTES", "30"))
# Behind a reverse proxy, the header in which the proxy passes the client's address
# (such as X-Forwarded-For or X-Real-IP; its last address is the one the proxy saw).
# Empty: the address is the connection's own (REMOTE_ADDR). The sign-in lockout and the
# sandbox tokeniser's rate limit count by this address.
REMIT_CLIENT_ADDRESS_HEADER = os.environ.get("REMIT_CLIENT_ADDRESS_HEADER", "")

# Email (remit.notifications; README "Email, statements and pay by link"). REMIT_EMAIL_URL:
# smtp://user:pass@host:port, smtp+tls://… (STARTTLS), smtps://… (TLS from the start), or
# file:///path (each email an .eml file there); unset: .eml files in var/mail/.
REMIT_EMAIL_URL = os.environ.get("REMIT_EMAIL_URL", "")
REMIT_EMAIL_FROM = os.environ.get("REMIT_EMAIL_FROM", "Remit Billing <billing@remit.example>")
REMIT_EMAIL_REPLY_TO = os.environ.get("REMIT_EMAIL_REPLY_TO", "")
# Links in emails (pay by link, unsubscribe) start with this address.
REMIT_PUBLIC_URL = os.environ.get("REMIT_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
REMIT_SCHEDULE_REMINDER_DAYS = int(os.environ.get("REMIT_SCHEDULE_REMINDER_DAYS", "3"))
REMIT_OVERDUE_REMINDERS = os.environ.get("REMIT_OVERDUE_REMINDERS", "7,14,30")
REMIT_PAY_LINK_DAYS = int(os.environ.get("REMIT_PAY_LINK_DAYS", "14"))
# Last month's statement to each customer's statement contacts, from the 1st ("0": off).
REMIT_MONTHLY_STATEMENTS = os.environ.get("REMIT_MONTHLY_STATEMENTS", "1") != "0"
# "Remit to" on statements: lines separated by "|".
REMIT_REMIT_TO = os.environ.get(
    "REMIT_REMIT_TO", "Remit Billing|PO Box 1000|Springfield, IL 62701|billing@remit.example"
)

# /metrics answers a request bearing `Authorization: Bearer <this>`; unset, it is a 404.
REMIT_METRICS_TOKEN = os.environ.get("REMIT_METRICS_TOKEN", "")
# What a billing clerk may write off without a manager, per currency ("USD=1.00,EUR=1.00";
# none: 0, so every write-off needs the Billing manager). Read by payments.services.writeoff.
REMIT_WRITE_OFF_TOLERANCE = os.environ.get("REMIT_WRITE_OFF_TOLERANCE", "")

# The payee every receipt names: the business's name, then its address, lines separated by
# '|' (README "Configuration"); by default the statements' "Remit to".
REMIT_PAYEE = os.environ.get("REMIT_PAYEE", REMIT_REMIT_TO)

MIDDLEWARE = [
    # First: they time, count and label the whole of a request (remit.core.metrics,
    # remit.core.web: its id and user on every log line).
    "remit.core.metrics.RequestMetricsMiddleware",
    "remit.core.web.RequestContextMiddleware",
    "remit.core.web.HeadWithoutBody",
    "django.middleware.security.SecurityMiddleware",
    # Static files, before anything that reads a session or a user (WhiteNoise's advice).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
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
# Sign-in lockout (django-axes): 10 failed sign-ins for one username from one address lock
# that pair for 30 minutes; 50 failed sign-ins from one address, whatever the usernames
# (password spraying), lock the address. Someone elsewhere cannot lock an account out.
# remit.core.signin.SigninLockoutHandler counts each group against its own limit.
AXES_HANDLER = "remit.core.signin.SigninLockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = 10  # one username from one address
REMIT_SIGNIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("REMIT_SIGNIN_ADDRESS_FAILURES", "50"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_RESET_ON_SUCCESS = True  # the pair's count only; see SigninLockoutHandler
AXES_LOCKOUT_TEMPLATE = "remit/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "remit.core.web.client_address"


def _content_security_policy(gateway: str) -> dict:
    """Every page's Content-Security-Policy (django-csp): scripts and styles from remit's
    own static files only, no inline script, style or event handler anywhere. With the
    Stripe gateway, Stripe.js and its frames are allowed as Stripe documents."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
    if gateway == "stripe":
        stripe_js = ["https://js.stripe.com", "https://*.js.stripe.com"]
        directives["script-src"] += stripe_js
        directives["frame-src"] = [*stripe_js, "https://hooks.stripe.com"]
        directives["connect-src"] += ["https://api.stripe.com"]
    return {"DIRECTIVES": directives}


CONTENT_SECURITY_POLICY = _content_security_policy(REMIT_GATEWAY)

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
    # Each request opens its own connection unless REMIT_DB_CONN_MAX_AGE (seconds) keeps
    # one per server thread open between requests, checked before reuse.
    keep = int(os.environ.get("REMIT_DB_CONN_MAX_AGE", "0"))
    config = dj_database_url.parse(url, conn_max_age=keep, conn_health_checks=keep > 0)
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
# `collectstatic` (run by `remit migrate` and `remit demo`) writes each file under a name
# with its hash, gzipped beside it; WhiteNoise serves them, cached for ever, whatever DEBUG.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Behind TLS (REMIT_HTTPS=1): plain HTTP is redirected to HTTPS, except the health checks
# a load balancer asks over plain HTTP, and browsers are told to use HTTPS only for a year.
# Plain `make run` leaves them off.
HTTPS = os.environ.get("REMIT_HTTPS", "") == "1"
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# Asking browsers' preload list to carry the domain is the domain owner's choice, for
# every host under it: REMIT_HSTS_PRELOAD=1 (check --deploy's W021 until then).
SECURE_HSTS_PRELOAD = HTTPS and os.environ.get("REMIT_HSTS_PRELOAD", "") == "1"
# The header a TLS-terminating proxy sets, as Django names it (HTTP_X_FORWARDED_PROTO),
# optionally with the value meaning HTTPS (HTTP_X_FORWARDED_PROTO=https, the default value).
# Set it only behind a proxy that overwrites that header: a client could send it too.
_proxy_header, _, _proxy_value = os.environ.get("REMIT_PROXY_SSL_HEADER", "").partition("=")
SECURE_PROXY_SSL_HEADER = (_proxy_header, _proxy_value or "https") if _proxy_header else None

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
# remit's own lines from INFO (a line per request and per payment); WARNING for errors only.
REMIT_LOG_LEVEL = os.environ.get("REMIT_LOG_LEVEL", "INFO").upper()
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
    "loggers": {"remit": {"handlers": ["console"], "level": REMIT_LOG_LEVEL, "propagate": False}},
}
