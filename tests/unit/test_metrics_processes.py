"""Several processes (gunicorn's workers, several `remit worker`s) count into one page when
PROMETHEUS_MULTIPROC_DIR names a directory they share: whichever answers `/metrics` sums
them all."""

from __future__ import annotations

import os
import subprocess
import sys

COUNT = """
import django; django.setup()
from remit.core import metrics
metrics.payment_posted("check")
"""
READ = """
import django; django.setup()
from prometheus_client import generate_latest
from remit.core.metrics import process_registry
print(generate_latest(process_registry()).decode())
"""


def run(code: str, directory) -> str:
    env = os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(directory),
                        "DJANGO_SETTINGS_MODULE": "remit.settings"}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_two_processes_counts_are_summed_by_a_third(tmp_path):
    run(COUNT, tmp_path)
    run(COUNT, tmp_path)

    page = run(READ, tmp_path)

    assert 'remit_payments_posted_total{type="check"} 2.0' in page.splitlines()
