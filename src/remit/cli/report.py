"""`remit report`: the back office's reports for operators and scripts.

    remit report aging [--as-of YYYY-MM-DD] [--json]
    remit report cash [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]

Registered by the program (`remit.main`) beside the command line's own subcommands.
"""

from __future__ import annotations

import argparse
import json
from datetime import timedelta

NAME = "report"
HELP = "reports: AR aging, cash received"
CASH_DAYS = 30


def add_arguments(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="report", required=True, parser_class=type(parser))
    aging = kinds.add_parser("aging", help="what customers owe, by days past due, per currency")
    aging.add_argument("--as-of", metavar="YYYY-MM-DD", help="the day to age at (default today)")
    aging.add_argument("--json", action="store_true", help="print JSON (amounts as strings)")
    cash = kinds.add_parser("cash", help="money received by day and payment type")
    cash.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="default 30 days back")
    cash.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="default today")
    cash.add_argument("--json", action="store_true", help="print JSON (amounts as strings)")


def run(args: argparse.Namespace) -> int:
    from django.utils import timezone

    from remit.core.inputs.dates import date_parse

    today = timezone.localdate()
    if args.report == "aging":
        as_of = date_parse(args.as_of, field="as_of") if args.as_of else today
        return _aging(as_of, as_json=args.json)
    end = date_parse(args.end, field="to") if args.end else today
    start = date_parse(args.start, field="from") if args.start else end - timedelta(CASH_DAYS - 1)
    if start > end:
        from remit.core.errors import InvalidDate

        raise InvalidDate("The period starts after it ends: choose a --from on or before --to.")
    return _cash(start, end, as_json=args.json)


def _aging(as_of, *, as_json: bool) -> int:
    from remit.core.money import Money
    from remit.reports.aging import BUCKETS, aging_json
    from remit.reports.selectors import aging_report

    reports = aging_report(as_of=as_of)
    if as_json:
        print(json.dumps([aging_json(report) for report in reports], indent=2))
        return 0
    if not reports:
        print(f"Nothing was owed on {as_of.isoformat()}.")
    header = ["customer", *BUCKETS, "total"]
    for report in reports:
        cur = report.currency
        print(f"AR aging in {cur} as of {as_of.isoformat()}")
        rows = [
            [
                line.customer,
                *(str(Money.from_minor(line.buckets[b], cur)) for b in BUCKETS),
                str(Money.from_minor(line.total, cur)),
            ]
            for line in report.customers
        ]
        totals = [str(Money.from_minor(report.buckets[b], cur)) for b in BUCKETS]
        rows.append(["total", *totals, str(Money.from_minor(report.total, cur))])
        _table(header, rows)
        print()
    return 0


def _cash(start, end, *, as_json: bool) -> int:
    from remit.core.money import Money
    from remit.reports.selectors import cash_received

    reports = cash_received(start=start, end=end)

    def text(minor: int, cur: str) -> str:
        return str(Money.from_minor(minor, cur))

    if as_json:
        out = [
            {
                "from": start.isoformat(),
                "to": end.isoformat(),
                "currency": r.currency,
                "received": text(r.received_total, r.currency),
                "taken_back": text(r.returned_total, r.currency),
                "days": [
                    {
                        "day": d.day.isoformat(),
                        "received": {t: text(m, r.currency) for t, m in sorted(d.received.items())},
                        "taken_back": text(d.returned_total, r.currency),
                    }
                    for d in r.days
                ],
            }
            for r in reports
        ]
        print(json.dumps(out, indent=2))
        return 0
    if not reports:
        print(f"No money was received from {start.isoformat()} to {end.isoformat()}.")
    for r in reports:
        print(f"Cash received in {r.currency}, {start.isoformat()} to {end.isoformat()}")
        header = ["day", *r.types, "taken back", "net"]
        rows = [
            [
                d.day.isoformat(),
                *(text(d.received.get(t, 0), r.currency) for t in r.types),
                text(d.returned_total, r.currency),
                text(d.net, r.currency),
            ]
            for d in r.days
        ]
        _table(header, rows)
        print()
    return 0


def _table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells))
