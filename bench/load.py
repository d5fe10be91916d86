"""`make load`: remit scaled out on one PostgreSQL, driven over HTTP on the loopback.

On a fresh database (postgres://postgres@127.0.0.1:5432/remit_load, dropped and created):
`remit migrate`, customers with open invoices and saved cards, an API key, portal logins;
then TWO `remit serve` (gunicorn, several workers each) and TWO `remit worker` on that
database, free local ports, never 8000. Clients pay invoices at 1, 8 and 32 at once, a
fixed number of payments each level: check and card payments through the API (with an
Idempotency-Key) and Pay Selected Invoices through the portal (a signed-in session, the
form with its CSRF token), spread over the two servers as a load balancer would.

Printed per level: payments/s, p50/p95/p99 latency (and per kind), and the 5xx count,
which must be 0. Beside the 8-client level, in blocks that alternate with it (so that
whatever else the machine does weighs on both), the services' own rate on the same mix in
8 threads of this process against the same database (`payment_take`, `checkout_submit`:
no HTTP), and the target: 8-client payments/s through the servers >= 0.5 x the services'
rate at 8. After the processes stop, `remit audit` and `remit audit --gateway` must both
be clean.

Bounded: a fixed number of requests, every wait has a deadline, every process is stopped
at the end, error or not. The database is left for inspection (the next run drops it),
and so are the processes' logs when the run fails.

    python -m bench.load [--pg-url URL] [--workers 3] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.run import _pg_problem, _pg_recreate, _public

PG_URL = "postgres://postgres@127.0.0.1:5432/remit_load"
LEVELS = {1: 150, 8: 800, 32: 960}  # concurrent clients: payments made at that level
SERVICES_PAYMENTS = 800  # the services' own rate, in 8 threads
BLOCKS = 4  # the 8-client level and the services alternate in this many blocks each
WARMUP = 48  # requests before the first level, not counted (each gunicorn worker warms up)
TARGET = 0.5
API_CUSTOMERS, PORTAL_CUSTOMERS = 48, 8
PORTAL_PASSWORD = "load-test-portal-pass"  # noqa: S105 (a throwaway database)
KINDS = ("api check", "api card", "portal card")  # the mix: 4, 3 and 3 in every 10
REMIT = Path(sys.executable).parent / "remit"
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Item:
    """One payment to make: of `kind`, for `customer`, paying `invoice` in full."""

    kind: str
    customer: str
    invoice: str
    amount: str


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("--pg-url", default=PG_URL, help="dropped and created for the run")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers per server")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every count")
    args = parser.parse_args(argv)
    problem = _pg_problem(args.pg_url)
    if problem:
        print(f"make load needs PostgreSQL at {_public(args.pg_url)}: {problem}", file=sys.stderr)
        return 1
    var = Path(tempfile.mkdtemp(prefix="remit-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REMIT_", "DATABASE_URL"))}
    env |= {
        "DATABASE_URL": args.pg_url,
        "REMIT_VAR_DIR": str(var),
        "REMIT_SECRET_KEY": secrets.token_urlsafe(50),
        "REMIT_DB_CONN_MAX_AGE": "60",
        "DJANGO_SETTINGS_MODULE": "remit.settings",
    }
    os.environ.update(env)
    processes = Processes(env, var)
    failed = 1
    try:
        failed = Load(args, env, processes).run()
        return failed
    finally:
        processes.stop_all()
        if failed:
            print(f"The servers' and workers' logs are in {var}", file=sys.stderr)
        else:
            shutil.rmtree(var, ignore_errors=True)


class Load:
    def __init__(self, args: argparse.Namespace, env: dict, processes: Processes) -> None:
        self.args = args
        self.env = env
        self.processes = processes
        self.levels = {n: max(n, round(count * args.scale)) for n, count in LEVELS.items()}
        self.services_count = max(8, round(SERVICES_PAYMENTS * args.scale))

    def run(self) -> int:
        started = time.monotonic()
        print(f"Load test on {_public(self.args.pg_url)} (dropped and created)", flush=True)
        _pg_recreate(self.args.pg_url)
        self.processes.remit("migrate")  # and collectstatic
        import django

        django.setup()
        items = make_items(sum(self.levels.values()) + WARMUP + self.services_count)
        world = World.create(items)
        warmup, items = items[:WARMUP], items[WARMUP:]
        from django.db import connections

        connections.close_all()

        servers = [self.processes.serve(self.args.workers) for _ in range(2)]
        for _ in range(2):
            self.processes.start("worker")
        for server in servers:
            wait_for(lambda s=server: get_status(f"{s}/readyz") == 200, f"{server}/readyz")
        print(
            f"2 servers ({self.args.workers} gunicorn workers x 2 threads each) at "
            f"{', '.join(servers)}; 2 workers; all ready",
            flush=True,
        )
        sessions = [world.portal_session(servers[i % 2], i) for i in range(PORTAL_CUSTOMERS)]
        drive(servers, world, sessions, warmup, clients=8)

        results = {}
        services_seconds = 0.0
        services_items, items = items[: self.services_count], items[self.services_count :]
        for clients, count in self.levels.items():
            batch, items = items[:count], items[count:]
            if clients != 8:
                results[clients] = drive(servers, world, sessions, batch, clients=clients)
            else:  # alternating with the services' own blocks
                level = Level(0.0, {}, 0, [])
                for b in range(BLOCKS):
                    services_seconds += services_run(world, services_items[b::BLOCKS], threads=8)
                    level.add(drive(servers, world, sessions, batch[b::BLOCKS], clients=8))
                results[clients] = level
            print(results[clients].line(clients), flush=True)
        services_rate = len(services_items) / services_seconds
        self.processes.stop_all()
        audits = [self.processes.remit("audit"), self.processes.remit("audit", "--gateway")]
        return report(results, services_rate, audits, time.monotonic() - started)


# --- the data --------------------------------------------------------------------------


def make_items(count: int) -> list[Item]:
    """`count` payments in the mix, each on an invoice of its own (made by World.create)."""
    items = []
    api = itertools.cycle(range(API_CUSTOMERS))
    portal = itertools.cycle(range(PORTAL_CUSTOMERS))
    for i in range(count):
        kind = KINDS[0] if i % 10 < 4 else KINDS[1] if i % 10 < 7 else KINDS[2]
        customer = f"LP-{next(portal):02d}" if kind == KINDS[2] else f"LA-{next(api):02d}"
        amount = f"{10 + (i * 7907) % 4000}.{i % 100:02d}"
        items.append(Item(kind, customer, f"LI-{i:06d}", amount))
    return items


@dataclass
class World:
    api_key: str
    methods: dict[str, int]  # customer number -> its saved card's id

    @classmethod
    def create(cls, items: list[Item]) -> World:
        """The invoices, a saved Visa per customer, the API key and the portal logins."""
        from datetime import timedelta

        from django.contrib.auth import get_user_model
        from django.utils import timezone

        from remit.core.audit import Actor
        from remit.core.money import Money
        from remit.customers.models import Customer, Membership, Role
        from remit.gateways.protocol import CardDetails
        from remit.gateways.sandbox import SandboxGateway
        from remit.integrations.keys import api_key_create
        from remit.invoices.csv_import import InvoiceRow
        from remit.invoices.services import invoices_create
        from remit.payments.services.method import payment_method_add

        actor = Actor(label="load-setup")
        today = timezone.localdate()
        rows = [
            InvoiceRow(
                line=i + 1,
                number=item.invoice,
                customer_number=item.customer,
                customer_name=f"Load customer {item.customer}",
                invoice_date=today - timedelta(days=40),
                due_date=today - timedelta(days=10),
                total=Money.of(item.amount, "USD"),
                description="",
            )
            for i, item in enumerate(items)
        ]
        invoices_create(rows=rows, actor=actor, reference="load")
        gateway = SandboxGateway()
        methods = {}
        for customer in Customer.objects.filter(number__startswith="L"):
            card = CardDetails("4242424242424242", 12, today.year + 3, "123", "Load AP")
            method = payment_method_add(
                customer=customer, tokenized=gateway.tokenize_card(card), actor=actor
            )
            methods[customer.number] = method.pk
        users = get_user_model().objects
        for n in range(PORTAL_CUSTOMERS):
            user = users.create_user(f"load-ap-{n}", password=PORTAL_PASSWORD)
            customer = Customer.objects.get(number=f"LP-{n:02d}")
            Membership.objects.create(user=user, customer=customer, role=Role.ACCOUNTS_PAYABLE)
        key = api_key_create(name="load", scope="write", actor=actor).key
        return cls(api_key=key, methods=methods)

    def portal_session(self, server: str, n: int) -> PortalSession:
        return PortalSession.sign_in(server, f"load-ap-{n}", PORTAL_PASSWORD)


@dataclass(frozen=True)
class PortalSession:
    """A signed-in portal user's cookies and CSRF token, shared by the clients. The
    cookies are Secure, which browsers send to 127.0.0.1 and `requests` does not, so
    they travel as a plain Cookie header."""

    cookies: dict[str, str]
    csrf: str

    @classmethod
    def sign_in(cls, server: str, username: str, password: str) -> PortalSession:
        http = requests.Session()
        form = http.get(f"{server}/portal/login/", timeout=30)
        cookies = dict(form.cookies)
        signed = http.post(
            f"{server}/portal/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": _csrf(form)},
            cookies=cookies,
            allow_redirects=False,
            timeout=30,
        )
        if signed.status_code != 302:
            raise SystemExit(f"portal sign-in of {username} answered {signed.status_code}")
        cookies |= dict(signed.cookies)
        page = http.get(f"{server}/portal/", cookies=cookies, timeout=30)
        return cls(cookies=cookies | dict(page.cookies), csrf=_csrf(page))


def _csrf(page: requests.Response) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if not found:
        raise SystemExit(f"no CSRF token on {page.url} ({page.status_code})")
    return found.group(1)


# --- driving the servers ----------------------------------------------------------------


@dataclass
class Level:
    seconds: float
    latencies: dict[str, list[float]]  # kind -> seconds, each request
    server_errors: int
    refused: list[str]

    @property
    def payments(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def rate(self) -> float:
        return self.payments / self.seconds

    def add(self, other: Level) -> None:
        self.seconds += other.seconds
        for kind, times in other.latencies.items():
            self.latencies.setdefault(kind, []).extend(times)
        self.server_errors += other.server_errors
        self.refused += other.refused

    def all_latencies(self) -> list[float]:
        return [t for times in self.latencies.values() for t in times]

    def line(self, clients: int) -> str:
        p50, p95, p99 = percentiles(self.all_latencies())
        return (
            f"  {clients:>2} clients: {self.payments} payments in {self.seconds:.1f} s = "
            f"{self.rate:.0f}/s; p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms; "
            f"5xx: {self.server_errors}"
        )


def drive(servers, world: World, sessions, items: list[Item], *, clients: int) -> Level:
    """Make `items` with `clients` threads at once; item i goes to server i % 2."""
    queue = iter(enumerate(items))
    lock = threading.Lock()
    latencies: dict[str, list[float]] = defaultdict(list)
    server_errors = 0
    refused: list[str] = []

    def client() -> None:
        nonlocal server_errors
        http = requests.Session()
        while True:
            with lock:
                job = next(queue, None)
            if job is None:
                return
            i, item = job
            start = time.perf_counter()
            status, ok = pay(http, servers[i % 2], world, sessions, item)
            took = time.perf_counter() - start
            with lock:
                if ok:
                    latencies[item.kind].append(took)
                elif status >= 500:
                    server_errors += 1
                else:
                    refused.append(f"{item.kind} {item.invoice}: {status}")

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    level = Level(time.perf_counter() - started, dict(latencies), server_errors, refused)
    if refused:
        print(f"  refused: {len(refused)}, such as {refused[:3]}", flush=True)
    return level


def pay(http: requests.Session, server: str, world: World, sessions, item: Item):
    """One payment over HTTP: (status, made as expected)."""
    if item.kind == "portal card":
        session = sessions[int(item.customer.rsplit("-", 1)[1])]
        answer = http.post(
            f"{server}/portal/pay/",
            data={
                "csrfmiddlewaretoken": session.csrf,
                "key": str(uuid.uuid4()),
                "invoice": item.invoice,
                "method": str(world.methods[item.customer]),
            },
            cookies=session.cookies,
            allow_redirects=False,
            timeout=60,
        )
        made = answer.status_code == 303 and "/confirmation/" in answer.headers["Location"]
        return answer.status_code, made
    body = {
        "customer": item.customer,
        "amount": item.amount,
        "invoices": [{"number": item.invoice}],
    }
    if item.kind == "api check":
        body |= {"type": "check", "reference": item.invoice.removeprefix("LI-")}
    else:
        body |= {"type": "card", "method": world.methods[item.customer]}
    answer = http.post(
        f"{server}/api/v1/payments",
        json=body,
        headers={
            "Authorization": f"Bearer {world.api_key}",
            "Idempotency-Key": f"load-{item.invoice}",
        },
        timeout=60,
    )
    return answer.status_code, answer.status_code == 201


def services_run(world: World, items: list[Item], *, threads: int) -> float:
    """The same mix by the services themselves, `threads` at once, no HTTP: the seconds."""
    from django.db import connection

    from remit.core.audit import Actor
    from remit.core.money import Money
    from remit.customers.models import Customer
    from remit.payments.candidates import InvoiceRequest
    from remit.payments.models import PaymentMethod, Source
    from remit.payments.services.checkout import checkout_submit
    from remit.payments.services.take import payment_take

    customers = {c.number: c for c in Customer.objects.filter(number__startswith="L")}
    methods = {m.pk: m for m in PaymentMethod.objects.filter(pk__in=world.methods.values())}
    connection.close()
    actor = Actor(label="load-services")
    queue = iter(items)
    lock = threading.Lock()

    def one(item: Item) -> None:
        customer = customers[item.customer]
        method = methods[world.methods[item.customer]]
        if item.kind == "portal card":
            checkout = checkout_submit(
                customer=customer,
                invoice_numbers=[item.invoice],
                method=method,
                use_credit=False,
                key=str(uuid.uuid4()),
                actor=actor,
            )
            assert checkout.payment is not None and not checkout.declined
            return
        card = item.kind == "api card"
        payment_take(
            customer=customer,
            amount=Money.of(item.amount, "USD"),
            payment_type="card" if card else "check",
            idempotency_key=f"services-{item.invoice}",
            actor=actor,
            source=Source.API,
            invoices=[InvoiceRequest(item.invoice)],
            reference="" if card else item.invoice.removeprefix("LI-"),
            method=method if card else None,
        )

    def worker() -> None:
        try:
            while True:
                with lock:
                    item = next(queue, None)
                if item is None:
                    return
                one(item)
        finally:
            connection.close()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.perf_counter() - started


# --- the processes ---------------------------------------------------------------------


class Processes:
    """The servers and workers this run started, each stopped by its own id."""

    def __init__(self, env: dict, var: Path) -> None:
        self.env = env
        self.var = var
        self.started: list[tuple[subprocess.Popen, object]] = []

    def remit(self, *args: str) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [REMIT, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        if args[0] == "migrate" and done.returncode != 0:
            raise SystemExit(f"remit migrate failed:\n{done.stdout}{done.stderr}")
        return done

    def start(self, *args: str) -> subprocess.Popen:
        log = (self.var / f"{args[0]}-{len(self.started)}.log").open("w")
        process = subprocess.Popen(
            [REMIT, *args], env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        self.started.append((process, log))
        return process

    def serve(self, workers: int) -> str:
        port = free_port()
        process = self.start("serve", "--port", str(port), "--workers", str(workers))
        server = f"http://127.0.0.1:{port}"

        def up() -> bool:
            if process.poll() is not None:
                raise SystemExit(f"remit serve exited; see {self.var}")
            return get_status(f"{server}/healthz") == 200

        wait_for(up, f"{server}/healthz")
        return server

    def stop_all(self) -> None:
        for process, _ in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, log in self.started:
            try:
                process.wait(timeout=45)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
        self.started.clear()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_status(url: str) -> int:
    try:
        return requests.get(url, timeout=10).status_code
    except requests.ConnectionError:
        return 0


def wait_for(condition, what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up after {seconds:.0f} s waiting for {what}")
        time.sleep(0.25)


# --- the report ------------------------------------------------------------------------


def percentiles(seconds: list[float]) -> tuple[float, float, float]:
    ordered = sorted(seconds)
    if not ordered:
        return (0.0, 0.0, 0.0)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return pick(0.50), pick(0.95), pick(0.99)


def report(results: dict[int, Level], services_rate: float, audits, seconds: float) -> int:
    print("\n| clients | payments | payments/s | p50 ms | p95 ms | p99 ms | 5xx |")
    print("|---|---|---|---|---|---|---|")
    for clients, level in results.items():
        p50, p95, p99 = percentiles(level.all_latencies())
        print(
            f"| {clients} | {level.payments} | {level.rate:.0f} | {p50:.0f} | {p95:.0f} "
            f"| {p99:.0f} | {level.server_errors} |"
        )
    print("\np50 / p95 ms by kind:")
    for kind in KINDS:
        cells = []
        for clients, level in results.items():
            p50, p95, _ = percentiles(level.latencies.get(kind, []))
            cells.append(f"{clients} clients {p50:.0f} / {p95:.0f}")
        print(f"  {kind:<12} " + "; ".join(cells))
    at_8 = results[8].rate
    ratio = at_8 / services_rate
    verdict = "met" if ratio >= TARGET else "NOT met"
    print(
        f"\nservices' own rate, same mix, 8 threads, no HTTP: {services_rate:.0f} payments/s\n"
        f"8 clients through the servers: {at_8:.0f} payments/s = {ratio:.2f} x the services' "
        f"(target >= {TARGET}: {verdict})"
    )
    server_errors = sum(level.server_errors for level in results.values())
    refused = sum(len(level.refused) for level in results.values())
    print(f"5xx answers: {server_errors}; payments refused or not made: {refused}")
    clean = True
    for audit, name in zip(audits, ("remit audit", "remit audit --gateway"), strict=True):
        ok = audit.returncode == 0
        clean &= ok
        print(f"{name}: " + ("clean" if ok else f"NOT CLEAN\n{audit.stdout}{audit.stderr}"))
    print(f"total time {seconds:.0f} s")
    if not clean or server_errors or refused:
        print("LOAD TEST FAILED", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
