"""`remit serve`: gunicorn, run in this process, on Django's WSGI application.

gunicorn's master forks the workers, restarts one that dies or stays silent past
`timeout`, and on SIGTERM or Ctrl+C stops accepting, lets each request in progress finish
(up to `graceful_timeout`), then exits. Each worker runs a few threads (gunicorn's
`gthread` worker), so a browser's kept-alive connection holds no worker while it idles.
The access log goes to stdout, gunicorn's own log to stderr.

`remit serve --dev` is Django's development server instead: it reloads on every code
change, serves one process, and is not for production.
"""

from __future__ import annotations

import os

from gunicorn.app.base import BaseApplication

MAX_DEFAULT_WORKERS = 8  # each worker holds a database connection per thread


def default_workers() -> int:
    """gunicorn's rule of thumb, 2 x cores + 1, at most MAX_DEFAULT_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return min(2 * cores + 1, MAX_DEFAULT_WORKERS)


def gunicorn_options(*, host: str, port: int, workers: int, threads: int) -> dict:
    bind_host = f"[{host}]" if ":" in host else host
    return {
        "bind": f"{bind_host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 30,  # a worker silent this long is killed and replaced
        "graceful_timeout": 30,  # on SIGTERM, requests in progress get this long to finish
        "keepalive": 5,  # seconds an idle kept-alive connection stays open
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "remit",
        # gunicorn's runtime control socket is one path per user: off, so that several
        # servers can run side by side (signals still manage it).
        "control_socket_disable": True,
    }


class Server(BaseApplication):
    """gunicorn with the options above, serving Django's WSGI application."""

    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from django.core.wsgi import get_wsgi_application

        return get_wsgi_application()


def serve(*, host: str, port: int, workers: int, threads: int) -> None:
    """Serve until SIGTERM or Ctrl+C (gunicorn exits the process when it stops)."""
    from django.db import connections

    connections.close_all()  # the workers are forked: none inherits this process's connection
    Server(gunicorn_options(host=host, port=port, workers=workers, threads=threads)).run()


def serve_dev(*, host: str, port: int) -> None:
    """Django's autoreloading development server. Static files are served by WhiteNoise
    (collected, or, with REMIT_DEBUG=1, straight from the apps as they are edited)."""
    from django.core.management import call_command

    call_command("runserver", f"{host}:{port}", use_reloader=True, use_static_handler=False)
