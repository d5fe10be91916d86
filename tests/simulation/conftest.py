"""Options of the gateway fault simulator.

pytest tests/simulation                       # the short profile (make test)
pytest tests/simulation --sim-seed 1234       # replay one history, printing its trace
REMIT_SIM_HISTORIES=10000 pytest tests/simulation   # the soak (make soak)
"""

from __future__ import annotations

import os


def pytest_addoption(parser):
    group = parser.getgroup("remit simulator")
    group.addoption("--sim-seed", type=int, default=None, help="replay one history by its seed")
    group.addoption(
        "--sim-histories",
        type=int,
        default=int(os.environ.get("REMIT_SIM_HISTORIES", "0")) or None,
        help="how many histories to run (default: the short profile)",
    )
    group.addoption(
        "--sim-first-seed", type=int, default=int(os.environ.get("REMIT_SIM_FIRST_SEED", "1"))
    )
