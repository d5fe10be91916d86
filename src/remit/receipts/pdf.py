"""A receipt as a PDF (fpdf2), for "Download PDF" and the API."""

from __future__ import annotations

from fpdf import FPDF

from remit.receipts.selectors import Receipt

# fpdf2's built-in fonts speak Windows-1252; anything beyond it is written as '?' rather
# than failing the download (a receipt with an odd customer name must still print).
_ENCODING = "cp1252"


def _text(value: object) -> str:
    return str(value).encode(_ENCODING, errors="replace").decode(_ENCODING)


def receipt_pdf(receipt: Receipt) -> bytes:
    pdf = FPDF(format="Letter")
    pdf.core_fonts_encoding = _ENCODING  # fpdf2 defaults its core fonts to latin-1
    pdf.set_title(f"{receipt.title} {receipt.number}")
    pdf.set_author("remit")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, _text(receipt.title), new_x="LMARGIN", new_y="NEXT")
    if receipt.payee:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 6, _text(receipt.payee[0]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        for line in receipt.payee[1:]:
            pdf.cell(0, 5, _text(line), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.set_font("Helvetica", "", 11)
    for label, value in (
        ("Number" if receipt.title != "Payment Receipt" else "Receipt", receipt.number),
        ("Payment", receipt.payment_number),
        ("Date", receipt.date.strftime("%B %d, %Y")),
        ("Customer", f"{receipt.customer_name} ({receipt.customer_number})"),
        ("Method", receipt.method),
        ("Status", receipt.status),
    ):
        pdf.cell(35, 7, _text(label))
        pdf.cell(0, 7, _text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(60, 8, "Invoice", border="B")
    pdf.cell(60, 8, "Invoice date", border="B")
    pdf.cell(0, 8, "Amount applied", border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    for line in receipt.lines:
        pdf.cell(60, 7, _text(line.invoice))
        pdf.cell(60, 7, line.invoice_date.isoformat())
        pdf.cell(0, 7, _text(line.amount.format()), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    totals = []
    if receipt.credit_used.is_positive():
        totals.append(("Credit used", receipt.credit_used))
    if receipt.credit_created.is_positive():
        totals.append(("To your credit", receipt.credit_created))
    totals.append(("Total", receipt.total))
    for label, amount in totals:
        pdf.set_font("Helvetica", "B" if label == "Total" else "", 11)
        pdf.cell(120, 7, _text(label), align="R")
        pdf.cell(0, 7, _text(amount.format()), align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
