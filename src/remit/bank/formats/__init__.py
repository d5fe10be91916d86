"""Bank files read into statement lines, by content (never by the file's name). Pure: no
Django, no database.

`statement_parse(data)` finds the format (BAI2, camt.053, camt.054, or CSV with the
columns `date,amount,currency,bank_reference,payer,text`) and returns every line of it, or
raises `StatementRefused` naming the line or element that is wrong: a bad file is refused
whole, before anything is written.
"""

from __future__ import annotations

from remit.bank.formats.lines import Direction, Kind, ParsedStatement, RawLine, StatementRefused

__all__ = [
    "Direction",
    "Kind",
    "ParsedStatement",
    "RawLine",
    "StatementRefused",
    "statement_parse",
]

MAX_BYTES = 50 * 1024 * 1024


def statement_parse(data: bytes) -> ParsedStatement:
    """The statement in `data`, whatever its format."""
    from remit.bank.formats import bai2_format, camt_format, csv_format

    if len(data) > MAX_BYTES:
        raise StatementRefused("The file is larger than 50 MB; split it.")
    if not data.strip():
        raise StatementRefused("The file is empty.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise StatementRefused(
            f"The file is not UTF-8 text (byte {error.start + 1} cannot be read)."
        ) from None
    head = text.lstrip()
    if head.startswith("<"):
        return camt_format.parse(data)
    if head.startswith("01,"):
        return bai2_format.parse(text)
    first = head.splitlines()[0] if head else ""
    if csv_format.is_csv_header(first):
        return csv_format.parse(text)
    shown = first[:60] + ("…" if len(first) > 60 else "")
    raise StatementRefused(
        "The file is not BAI2, camt.053, camt.054 or CSV with the columns "
        f"{csv_format.HEADER_TEXT}: it begins '{shown}'."
    )
