"""ISO 20022 camt.053 (statement) and camt.054 (debit/credit notification), any version.

Read with defusedxml: no DTD, no entities, no external references, so a hostile file
cannot expand or fetch anything. Elements are matched by local name, so every version's
namespace reads the same. Each `Ntry` is one line, unless it books several transactions
(`NtryDtls/TxDtls`, batch booking): then each transaction is its own line, and their
amounts must add up to the entry's.
"""

from __future__ import annotations

from datetime import date
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from remit.bank.formats.lines import Direction, Kind, ParsedStatement, RawLine, StatementRefused
from remit.core.errors import InvalidAmount, InvalidDate
from remit.core.inputs.amounts import amount_parse
from remit.core.inputs.dates import date_parse
from remit.core.money import Money

_FAMILIES = {"RCDT": Kind.BANK_TRANSFER, "RDDT": Kind.ACH, "RCHQ": Kind.CHECK}
_NOT_CUSTOMER = {
    "INTR": "interest",
    "CHRG": "a bank charge",
    "FEES": "a bank fee",
    "COMM": "a commission",
    "BOOK": "a transfer between own accounts",
    "XBCT": "a transfer between own accounts",
    "SWEP": "a sweep between own accounts",
    "ZABA": "a zero-balancing transfer",
}


def _name(element: Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _child(element: Element | None, *path: str) -> Element | None:
    for step in path:
        if element is None:
            return None
        element = next((c for c in element if _name(c) == step), None)
    return element


def _children(element: Element | None, name: str) -> list[Element]:
    return [] if element is None else [c for c in element if _name(c) == name]


def _text(element: Element | None, *path: str) -> str:
    found = _child(element, *path)
    return " ".join((found.text or "").split()) if found is not None else ""


def parse(data: bytes) -> ParsedStatement:
    try:
        root = fromstring(data, forbid_dtd=True)
    except ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        reason = str(error).split(":")[0]
        raise StatementRefused(
            f"The XML is not valid at line {line}, column {column + 1}: {reason}."
        ) from None
    except DefusedXmlException:
        raise StatementRefused(
            "The XML declares a document type or entities, which remit never reads."
        ) from None
    if _name(root) != "Document" or len(root) != 1:
        raise StatementRefused(f"The XML is not an ISO 20022 Document (its root is {_name(root)}).")
    message = root[0]
    kinds = {"BkToCstmrStmt": ("camt053", "Stmt"), "BkToCstmrDbtCdtNtfctn": ("camt054", "Ntfctn")}
    if _name(message) not in kinds:
        raise StatementRefused(f"The XML is a {_name(message)} message, not camt.053 or camt.054.")
    fmt, report_name = kinds[_name(message)]
    reports = _children(message, report_name)
    if not reports:
        raise StatementRefused(f"The XML has no {report_name} element.")
    lines: list[RawLine] = []
    accounts: list[str] = []
    entry_no = 0
    for report in reports:
        account = _text(report, "Acct", "Id", "IBAN") or _text(report, "Acct", "Id", "Othr", "Id")
        accounts.append(account)
        for entry in _children(report, "Ntry"):
            entry_no += 1
            lines.extend(_entry_lines(entry, entry_no))
    return ParsedStatement(format=fmt, account=",".join(dict.fromkeys(accounts)), lines=lines)


def _money(element: Element | None, where: str) -> Money:
    if element is None:
        raise StatementRefused(f"{where}: the amount is missing.")
    currency = (element.get("Ccy") or "").strip().upper()
    if not currency:
        raise StatementRefused(f"{where}: the amount has no currency (Ccy).")
    try:
        return amount_parse((element.text or "").strip(), currency)
    except InvalidAmount as error:
        raise StatementRefused(f"{where}: {error.message}") from None


def _entry_lines(entry: Element, entry_no: int) -> list[RawLine]:
    where = f"Ntry {entry_no}"
    ref = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
    if ref:
        where += f" ({ref})"
    amount = _money(_child(entry, "Amt"), f"{where}/Amt")
    indicator = _text(entry, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        raise StatementRefused(f"{where}/CdtDbtInd: '{indicator}' is neither CRDT nor DBIT.")
    day_text = _text(entry, "BookgDt", "Dt") or _text(entry, "BookgDt", "DtTm")[:10]
    day_text = day_text or _text(entry, "ValDt", "Dt") or _text(entry, "ValDt", "DtTm")[:10]
    try:
        booked_on = date_parse(day_text, field="BookgDt") if day_text else date.today()
    except InvalidDate as error:
        raise StatementRefused(f"{where}/BookgDt: {error.message}") from None
    code = _bank_code(entry)
    transactions = [
        tx for details in _children(entry, "NtryDtls") for tx in _children(details, "TxDtls")
    ]
    if len(transactions) > 1:
        amounts = []
        for n, tx in enumerate(transactions, start=1):
            tx_amount = _child(tx, "Amt")
            if tx_amount is None:
                tx_amount = _child(tx, "AmtDtls", "TxAmt", "Amt")
            amounts.append(_money(tx_amount, f"{where}/TxDtls {n}/Amt"))
        if (
            any(a.currency != amount.currency for a in amounts)
            or sum(a.minor for a in amounts) != amount.minor
        ):
            raise StatementRefused(
                f"{where}: its {len(transactions)} transactions add up to "
                f"{sum(a.minor for a in amounts)} minor units, but the entry says {amount}."
            )
    else:
        amounts = [amount]
    entry_text = _text(entry, "AddtlNtryInf")
    out = []
    for n, (tx, tx_amount) in enumerate(zip(transactions or [None], amounts, strict=True), 1):
        tx_code = _bank_code(tx) if tx is not None else ""
        out.append(
            _line(
                entry_no,
                n,
                len(amounts),
                entry,
                tx,
                tx_amount,
                indicator,
                booked_on,
                tx_code or code,
                ref,
                entry_text,
                where,
            )
        )
    return out


def _bank_code(element: Element | None) -> str:
    domain = _child(element, "BkTxCd", "Domn")
    if domain is None:
        return _text(element, "BkTxCd", "Prtry", "Cd")
    return "/".join(
        [
            _text(domain, "Cd"),
            _text(domain, "Fmly", "Cd"),
            _text(domain, "Fmly", "SubFmlyCd"),
        ]
    )


def _line(
    entry_no: int,
    n: int,
    count: int,
    entry: Element,
    tx: Element | None,
    amount: Money,
    indicator: str,
    booked_on: date,
    code: str,
    entry_ref: str,
    entry_text: str,
    where: str,
) -> RawLine:
    refs = _child(tx, "Refs")
    tx_ref = _text(refs, "AcctSvcrRef") or _text(refs, "TxId")
    end_to_end = _text(refs, "EndToEndId")
    if end_to_end.upper() == "NOTPROVIDED":
        end_to_end = ""
    bank_ref = tx_ref or (f"{entry_ref}/{n}" if count > 1 and entry_ref else entry_ref)
    bank_ref = bank_ref or end_to_end
    parties = _child(tx, "RltdPties")
    payer = (
        _text(parties, "Dbtr", "Nm")
        or _text(parties, "Dbtr", "Pty", "Nm")
        or _text(parties, "UltmtDbtr", "Nm")
        or _text(parties, "UltmtDbtr", "Pty", "Nm")
    )
    payer_account = _text(parties, "DbtrAcct", "Id", "IBAN") or _text(
        parties, "DbtrAcct", "Id", "Othr", "Id"
    )
    remittance = _child(tx, "RmtInf")
    texts = [t.text or "" for t in _children(remittance, "Ustrd")]
    documents: list[tuple[str, Money | None]] = []
    for d, structured in enumerate(_children(remittance, "Strd"), start=1):
        doc_amounts = _child(structured, "RfrdDocAmt")
        doc_amount_element = None
        for name in ("RmtdAmt", "DuePyblAmt"):
            doc_amount_element = _child(doc_amounts, name)
            if doc_amount_element is not None:
                break
        doc_amount = (
            _money(doc_amount_element, f"{where}/Strd {d}/RfrdDocAmt")
            if doc_amount_element is not None
            else None
        )
        for info in _children(structured, "RfrdDocInf"):
            number = _text(info, "Nb")
            if number:
                documents.append((number, doc_amount))
        creditor_ref = _text(structured, "CdtrRefInf", "Ref")
        if creditor_ref:
            texts.append(creditor_ref)
    text = " ".join(" ".join(t.split()) for t in [*texts, _text(tx, "AddtlTxInf"), entry_text] if t)
    debit = indicator == "DBIT"
    family = code.split("/")
    kind = _FAMILIES.get(family[1] if len(family) > 1 else "", Kind.BANK_TRANSFER)
    if family[0] == "PMNT" and len(family) > 1 and family[1] in ("CNTR", "CDPT"):
        kind = Kind.DEPOSIT
    sub = family[2] if len(family) > 2 else ""
    ignore = ""
    if debit:
        ignore = f"A debit ({code or 'no bank transaction code'})."
    elif sub in _NOT_CUSTOMER or family[0] == "ACMT":
        ignore = f"Not a customer payment: {_NOT_CUSTOMER.get(sub, 'account management')} ({code})."
        kind = Kind.OTHER
    return RawLine(
        position=entry_no,
        booked_on=booked_on,
        amount=amount,
        direction=Direction.DEBIT if debit else Direction.CREDIT,
        kind=kind,
        bank_reference=bank_ref,
        customer_reference=end_to_end,
        payer=payer,
        payer_account=payer_account,
        text=text[:1000],
        documents=tuple(documents),
        code=code,
        ignore_reason=ignore,
    )
