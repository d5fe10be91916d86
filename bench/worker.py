"""One backend's bench run, in its own process (Django is configured once per process).

Started by bench/run.py: ``python -m bench.worker --backend sqlite --url URL --out FILE``.
DATABASE_URL and REMIT_VAR_DIR are set before django.setup(), as remit.settings reads them.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("--backend", required=True)
    parser.add_argument("--url", required=True, help="DATABASE_URL of the bench database")
    parser.add_argument("--var-dir", required=True)
    parser.add_argument("--out", required=True, help="where to write the JSON results")
    parser.add_argument("--payments", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--lump-invoices", type=int, default=10_000)
    parser.add_argument("--lump-runs", type=int, default=3)
    parser.add_argument("--profile", default=None)
    args = parser.parse_args(argv)

    os.environ["DATABASE_URL"] = args.url
    os.environ["REMIT_VAR_DIR"] = args.var_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "remit.settings"
    os.environ.pop("REMIT_DEBUG", None)  # DEBUG would keep every query in memory

    import django

    django.setup()

    from bench import workloads

    config = workloads.Config(
        backend=args.backend,
        payments=args.payments,
        warmup=args.warmup,
        lump_invoices=args.lump_invoices,
        lump_runs=args.lump_runs,
        profile_dir=args.profile,
    )
    result = workloads.run(config)
    Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
