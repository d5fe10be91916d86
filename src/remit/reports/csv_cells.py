"""CSV for spreadsheets, safe to open: a cell that starts with `=`, `+`, `-` or `@` (or a
tab or carriage return) would be read as a formula by Excel, LibreOffice or Sheets, so it
is prefixed with an apostrophe (OWASP's "CSV injection" advice). Amounts are written as
plain decimals, which never start with one of these (remit's amounts are never negative
in the aging)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """`value` as a cell a spreadsheet shows as text, never runs."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A whole CSV document, every cell escaped."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue()
