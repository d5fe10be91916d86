"""A process killed in the middle of a card payment loses nothing and charges nothing twice
(DESIGN rules 4 and 9).

Each case runs tests/crash_driver.py in a subprocess against its own SQLite file: it pays
a few invoices by card or bank, then SIGKILLs itself during the last payment, before the
gateway is asked, after the gateway charged but before remit recorded the answer, or
just after the payment committed. A second process runs `payments_reconcile` at once
(which must leave the crashed charge alone: it is still in flight) and again minutes
later, and reports what the sandbox and remit each hold; the test then checks that they
agree, charge for charge, and that the books still balance.

The cases are random but reproducible: a seed chooses the crash point, the cards and the
amounts, and the expected end state of every payment is worked out here from that plan.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

DRIVER = Path(__file__).resolve().parents[1] / "crash_driver.py"
TIMEOUT = 60
SEEDS = 24

POINTS = ("before_charge", "after_charge", "after_commit")
NEVER_REACHED = "The payment never reached the payment gateway, and now cannot; no money was taken."
R01 = "The bank returned the debit (R01 insufficient funds)."

# What each test method does at the gateway: the charge's first outcome, the payment's
# status after reconciliation and after the settlement run, and the reason kept.
METHODS = {
    "approves": ("card", "4242424242424242", "approved", "pending", "settled", ""),
    "declines": ("card", "4000000000000002", "declined", "failed", "failed", "declined"),
    "insufficient": ("card", "4000000000009995", "declined", "failed", "failed", "insufficient"),
    "processing_error": ("card", "4000000000000119", "declined", "failed", "failed", "error"),
    "times_out": ("card", "4000000000000259", "approved", "pending", "settled", ""),
    "refuses_void": ("card", "4000000000000341", "approved", "pending", "settled", ""),
    "bank_settles": ("bank", "000123456789", "pending", "pending", "settled", ""),
    "bank_returned": ("bank", "000111111113", "pending", "pending", "failed", "R01"),
}


def run_driver(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(DRIVER), *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory) -> Path:
    """One migrated SQLite file, copied for each case (migrating is the slow part)."""
    db = tmp_path_factory.mktemp("crash-template") / "template.sqlite3"
    done = run_driver("migrate", str(db))
    assert done.returncode == 0, done.stderr
    return db


def make_plan(seed: int) -> dict:
    rng = random.Random(seed)
    names = sorted(METHODS)
    steps = []
    for index in range(rng.randint(1, 3)):  # the last one is the one that crashes
        name = rng.choice(names)
        kind, number, *_ = METHODS[name]
        step = {
            "name": name,
            "kind": kind,
            "key": f"crash-{seed}-{index}",
            "invoices": [rng.randint(100, 99_999) for _ in range(rng.randint(1, 3))],
        }
        if kind == "card":
            step["number"] = number
        else:
            step |= {"routing": "110000000", "account": number}
        steps.append(step)
    return {"payments": steps, "crash": rng.choice(POINTS), "retry": rng.random() < 0.5}


def expected(plan: dict) -> dict[str, dict]:
    """Per idempotency key: whether the gateway holds a charge, and the payment's status
    and reason after reconciliation and after the settlement run."""
    reasons = {
        "": "",
        "declined": "Your card was declined.",
        "insufficient": "Your card has insufficient funds.",
        "error": "An error occurred while processing your card; no money was taken. Try again.",
        "R01": "",  # a returned debit fails only at settlement
    }
    out = {}
    last = len(plan["payments"]) - 1
    for index, step in enumerate(plan["payments"]):
        _, _, first, reconciled, settled, reason = METHODS[step["name"]]
        if index == last and plan["crash"] == "before_charge":
            out[step["key"]] = {
                "charged": False,
                "reconciled": ("failed", NEVER_REACHED),
                "settled": ("failed", NEVER_REACHED),
            }
            continue
        after_settle_reason = R01 if reason == "R01" else reasons[reason]
        out[step["key"]] = {
            "charged": True,
            "first_outcome": first,
            "reconciled": (reconciled, reasons[reason]),
            "settled": (settled, after_settle_reason),
        }
    return out


def assert_sides_agree(report: dict, plan: dict, stage: str) -> None:
    """The sandbox's charges and remit's payments match one to one."""
    want = expected(plan)
    charges = {c["key"]: c for c in report["charges"]}
    payments = {p["key"]: p for p in report["payments"]}
    assert sorted(payments) == sorted(want), "a payment was lost or doubled"
    assert len(charges) == len(report["charges"])
    charge_keys = [k for p in report["payments"] for k in p["charge_keys"]]
    assert len(charge_keys) == len(set(charge_keys)) == len(payments)
    assert set(charges) <= set(charge_keys), "the gateway holds a charge remit does not know"
    for key, p in payments.items():
        (charge_key,) = p["charge_keys"]
        status, reason = want[key][stage]
        assert (p["status"], p["failure_reason"]) == (status, reason), (key, p)
        assert p["gateway_outcome"] != "unknown", (key, p)
        calls = report["charge_calls"].get(charge_key, 0)
        if not want[key]["charged"]:
            assert charge_key not in charges and calls == 0, (key, p)
        else:
            charge = charges[charge_key]
            assert calls == 1, f"{charge_key} reached the gateway {calls} times"
            assert charge["amount_minor"] == p["amount_minor"]
            assert charge["outcome"] == want[key]["first_outcome"]
            money_taken = charge["status"] in ("authorized", "settled")
            assert money_taken == (p["status"] in ("pending", "settled")), (charge, p)
            assert (charge["status"] == "settled") == (p["status"] == "settled"), (charge, p)
            if charge["status"] == "declined":
                assert p["failure_reason"] == charge["decline_reason"]
        for invoice in p["invoices"]:
            if p["status"] == "failed":
                assert invoice["reversed"]
                assert (invoice["status"], invoice["balance_minor"]) == (
                    "open",
                    invoice["total_minor"],
                )
            else:
                assert not invoice["reversed"]
                paid = "paid" if p["status"] == "settled" else "pending"
                assert (invoice["status"], invoice["balance_minor"]) == (paid, 0)
    assert report["audit_problems"] == []


@pytest.mark.parametrize("seed", range(SEEDS))
def test_a_payment_killed_at_any_point_is_reconciled_with_the_gateway_exactly(
    seed, migrated_db, tmp_path
):
    db = tmp_path / "remit.sqlite3"
    shutil.copyfile(migrated_db, db)
    plan = make_plan(seed)
    crashed_key = plan["payments"][-1]["key"]

    crashed = run_driver("crash", str(db), json.dumps(plan))

    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    retry = [crashed_key] if plan["retry"] else []
    done = run_driver("reconcile", str(db), *retry)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)

    # Before reconciling: every payment is on record, the crashed one pending and holding
    # its invoices, whatever the gateway did.
    before = {p["key"]: p for p in report["before"]["payments"]}
    crashed_payment = before[plan["payments"][-1]["key"]]
    if plan["crash"] != "after_commit":
        assert (crashed_payment["status"], crashed_payment["gateway_outcome"]) == (
            "pending",
            "unknown",
        )
        assert all(i["status"] == "pending" for i in crashed_payment["invoices"])
    assert report["before"]["audit_problems"] == []
    if plan["retry"]:  # the user submits again: the first payment, and no second charge
        assert report["retry"]["again"] == report["retry"]["first"]
        assert report["retried"]["payments"] == report["before"]["payments"]
        assert report["retried"]["charge_calls"] == report["before"]["charge_calls"]

    # A reconcile at once leaves the crashed charge alone: it is in flight (finding 1).
    if plan["crash"] != "after_commit":
        at_once = {p["key"]: p for p in report["at_once"]["payments"]}[crashed_key]
        assert (at_once["status"], at_once["gateway_outcome"]) == ("pending", "unknown")
        assert report["at_once_counts"]["in_flight"] == 1
    assert_sides_agree(report["reconciled"], plan, "reconciled")
    assert report["reconcile_again_counts"]["unknown"] == 0
    assert report["reconciled_again"]["payments"] == report["reconciled"]["payments"]
    assert_sides_agree(report["settled"], plan, "settled")


def test_the_seeds_cover_every_crash_point_and_every_test_method():
    plans = [make_plan(seed) for seed in range(SEEDS)]
    assert {plan["crash"] for plan in plans} == set(POINTS)
    assert {step["name"] for plan in plans for step in plan["payments"]} == set(METHODS)
    assert {plan["retry"] for plan in plans} == {True, False}


@pytest.mark.parametrize("point", ["before_refund", "after_refund"])
def test_a_refund_killed_mid_way_is_finished_never_stuck_and_refunds_once(
    point, migrated_db, tmp_path
):
    """Finding 2 of issue 10: kill -9 during a refund left remit settled, the gateway
    refunded, and every later refund "already in progress" for ever."""
    db = tmp_path / "remit.sqlite3"
    shutil.copyfile(migrated_db, db)

    crashed = run_driver("refund-crash", str(db), point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    done = run_driver("refund-report", str(db))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)

    gateway_refunded = point == "after_refund"
    assert report["crashed"] == {
        "remit": "settled",
        "attempt": "",
        "gateway": "refunded" if gateway_refunded else "settled",
        "gateway_refunds": int(gateway_refunded),
        "refund_calls": int(gateway_refunded),
    }
    # At once the refund may still be on its way: a second one is told when to try again,
    # and the reconciler leaves it alone.
    assert "already under way" in report["refund_at_once"]
    assert "try again in" in report["refund_at_once"]
    assert report["reconciled_at_once"] == report["crashed"]
    # Minutes later the reconciler finishes it: from the gateway's answer, or by sending it
    # again with its key. One refund at the gateway, remit refunded, nothing in progress.
    later = report["reconciled_later"]
    assert (later["remit"], later["attempt"], later["gateway"]) == (
        "refunded",
        "approved",
        "refunded",
    )
    assert later["gateway_refunds"] == 1 and later["refund_calls"] == 1
    assert report["refund_later"].endswith("is already refunded.")
    assert report["audit"] == []
