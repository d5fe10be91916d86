"""A statement as a PDF (fpdf2), as receipts are made (remit.receipts.pdf)."""

from __future__ import annotations

from fpdf import FPDF

from remit.statements.selectors import Statement

_ENCODING = "cp1252"  # fpdf2's core fonts; anything else is written as '?'


def _text(value: object) -> str:
    return str(value).encode(_ENCODING, errors="replace").decode(_ENCODING)


def statement_pdf(statement: Statement) -> bytes:
    pdf = FPDF(format="Letter")
    pdf.core_fonts_encoding = _ENCODING
    pdf.set_title(f"Statement {statement.customer.number} {statement.end}")
    pdf.set_author("remit")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, "Statement of Account", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    period = f"{statement.start:%B %-d, %Y} to {statement.end:%B %-d, %Y}"
    for label, value in (
        ("Customer", f"{statement.customer.name} ({statement.customer.number})"),
        ("Period", period),
        ("Opening balance", statement.opening.format()),
        ("Closing balance", statement.closing.format()),
    ):
        pdf.cell(40, 7, _text(label))
        pdf.cell(0, 7, _text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _heading(pdf, [("Date", 28), ("Reference", 34), ("Description", 64), ("Amount", 32)], "Balance")
    for line in statement.lines:
        pdf.cell(28, 7, line.date.isoformat())
        pdf.cell(34, 7, _text(line.reference))
        pdf.cell(64, 7, _text(line.description[:38]))
        pdf.cell(32, 7, _text(line.amount.format()), align="R")
        pdf.cell(0, 7, _text(line.balance.format()), align="R", new_x="LMARGIN", new_y="NEXT")
    if not statement.lines:
        pdf.cell(0, 7, "No invoices or payments in this period.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Open invoices", new_x="LMARGIN", new_y="NEXT")
    _heading(
        pdf, [("Invoice", 40), ("Invoice date", 30), ("Due date", 30), ("Total", 36)], "Balance due"
    )
    for row in statement.open_invoices:
        pdf.cell(40, 7, _text(row.invoice))
        pdf.cell(30, 7, row.invoice_date.isoformat())
        pdf.cell(30, 7, row.due_date.isoformat())
        pdf.cell(36, 7, _text(row.total.format()), align="R")
        pdf.cell(0, 7, _text(row.balance_due.format()), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Aging", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    width = 190 / 5
    for _, label, _amount in statement.aging_rows:
        pdf.cell(width, 7, _text(label), border="B", align="R")
    pdf.ln()
    for _, _label, amount in statement.aging_rows:
        pdf.cell(width, 7, _text(amount.format()), align="R")
    pdf.ln(10)
    pdf.set_font("Helvetica", "", 11)
    if statement.credit.is_positive():
        pdf.cell(
            0,
            7,
            _text(f"Credit on account: {statement.credit.format()}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    if statement.remit_to:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 7, "Remit to", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for line in statement.remit_to:
            pdf.cell(0, 6, _text(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _heading(pdf: FPDF, columns: list[tuple[str, float]], last: str) -> None:
    pdf.set_font("Helvetica", "B", 10)
    for title, width in columns:
        align = "R" if title in ("Amount", "Total") else "L"
        pdf.cell(width, 8, title, border="B", align=align)
    pdf.cell(0, 8, last, border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
