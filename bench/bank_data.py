"""A messy cash-application data set with the true answer for every line (bench/bank_matching.py).

Customers with realistic company names, open invoices `INV-1xxxxx`, and bank lines written
the way customers and banks write them: the invoice number in every spelling ("INV-100045",
"inv 100045", "100045", "#0100045", "Invoices 100045 100046 and 100047", "100045/100046"),
structured remittance with amounts (camt), lump sums paying the oldest invoices, payer names
upper-cased, truncated, without or with another legal form, with a typo; customer numbers in
the text; short payments (a wire fee), overpayments, references to invoices that do not
exist, unknown payers, interest, fees and internal transfers, a file that overlaps another,
and deposits. Seeded, so a run is repeatable.

Each line's truth: what a careful clerk would do. `expect` is `posted` when the line
determines its customer and invoices by itself, `review` when a person must decide (the
truth still names the customer and invoices a clerk would choose), `unmatched` or
`ignored` otherwise.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

FIRST = [
    "Acme",
    "Northwind",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Gringotts",
    "Vandelay",
    "Pied",
    "Piper",
    "Massive",
    "Dynamic",
    "Oscorp",
    "Dunder",
    "Prestige",
    "Sterling",
    "Cooper",
    "Bluth",
    "Kramerica",
    "Monarch",
    "Duff",
    "Krusty",
    "Gekko",
    "Virtucon",
    "Nakatomi",
    "Zorg",
    "Aperture",
    "Black",
    "Mesa",
    "Blue",
    "River",
    "Silver",
    "Lake",
    "Red",
    "Rock",
    "Green",
    "Valley",
    "Iron",
    "Bridge",
    "Golden",
    "Gate",
    "Maple",
    "Leaf",
    "Oak",
    "Hill",
    "Cedar",
    "Point",
    "Pine",
    "Ridge",
    "Stone",
    "Creek",
    "Eagle",
    "Falcon",
    "Harbor",
    "Summit",
    "Pioneer",
    "Liberty",
    "Atlas",
    "Beacon",
    "Crescent",
    "Delta",
    "Evergreen",
    "Frontier",
    "Granite",
    "Horizon",
    "Keystone",
    "Lakeside",
    "Meridian",
    "Northstar",
    "Orion",
    "Pinnacle",
    "Quantum",
    "Redwood",
    "Sequoia",
    "Trident",
    "Unity",
    "Vanguard",
    "Westfield",
    "Zenith",
]
SECOND = [
    "Traders",
    "Logistics",
    "Supplies",
    "Industries",
    "Foods",
    "Motors",
    "Builders",
    "Textiles",
    "Pharma",
    "Labs",
    "Systems",
    "Electric",
    "Plastics",
    "Metals",
    "Printing",
    "Packaging",
    "Farms",
    "Dairy",
    "Bakery",
    "Brewing",
    "Hardware",
    "Lumber",
    "Imports",
    "Exports",
    "Shipping",
    "Freight",
    "Marine",
    "Aviation",
    "Robotics",
    "Software",
    "Analytics",
    "Consulting",
    "Media",
    "Studios",
    "Apparel",
    "Footwear",
    "Furniture",
    "Interiors",
    "Glass",
    "Ceramics",
    "Chemicals",
    "Paper",
    "Energy",
    "Solar",
    "Water",
    "Tools",
    "Instruments",
    "Optics",
    "Medical",
    "Dental",
    "Health",
    "Pets",
    "Garden",
    "Outdoor",
    "Sports",
    "Toys",
    "Books",
    "Music",
    "Travel",
    "Hotels",
    "Catering",
    "Cleaning",
    "Security",
    "Staffing",
    "Realty",
    "Holdings",
]
LEGAL = ["Inc", "Inc.", "LLC", "Ltd", "Corp", "Corporation", "Co", "GmbH", "", ""]


@dataclass
class Customer:
    number: str
    name: str
    invoices: list[Invoice] = field(default_factory=list)


@dataclass
class Invoice:
    number: str
    customer: str
    invoice_date: date
    total_minor: int
    used: bool = False


@dataclass
class Line:
    ref: str
    amount_minor: int
    payer: str = ""
    text: str = ""
    debit: bool = False
    account: str = ""
    documents: list[tuple[str, int]] = field(default_factory=list)
    kind: str = ""
    expect: str = "posted"
    customer: str | None = None
    allocations: dict[str, int] = field(default_factory=dict)
    category: str = ""


@dataclass
class DataSet:
    customers: list[Customer]
    invoices: list[Invoice]
    lines: list[Line] = field(default_factory=list)


def book(customers: int, invoices: int, seed: int = 13) -> DataSet:
    rng = random.Random(seed)
    names: set[str] = set()
    people: list[Customer] = []
    while len(people) < customers:
        base = f"{rng.choice(FIRST)} {rng.choice(SECOND)}"
        if base in names:
            base = f"{base} {rng.choice(SECOND)}"
            if base in names:
                continue
        names.add(base)
        legal = rng.choice(LEGAL)
        people.append(Customer(f"C-{len(people) + 1:05d}", f"{base} {legal}".strip()))
    today = date.today()
    made = []
    for i in range(invoices):
        customer = people[i % customers]
        day = today - timedelta(days=rng.randint(5, 360))
        total = rng.choice([rng.randint(5_000, 500_000), rng.randint(10, 2000) * 100])
        invoice = Invoice(f"INV-{100000 + i}", customer.number, day, total)
        customer.invoices.append(invoice)
        made.append(invoice)
    for customer in people:
        customer.invoices.sort(key=lambda inv: (inv.invoice_date, inv.number))
    return DataSet(people, made)


# --- how people write things -----------------------------------------------------------


def number_spelling(rng: random.Random, number: str) -> str:
    digits = number.split("-")[1]
    return rng.choice(
        [
            number,
            number,
            f"inv {digits}",
            f"INV{digits}",
            digits,
            f"#{digits}",
            f"0{digits}",
            f"Invoice No. {digits}",
            f"invoice #{digits}",
            number.lower(),
        ]
    )


def numbers_spelling(rng: random.Random, numbers: list[str]) -> str:
    digits = [n.split("-")[1] for n in numbers]
    style = rng.randrange(4)
    if style == 0:
        return "/".join(digits)
    if style == 1:
        return "Invoices " + " ".join(digits[:-1]) + " and " + digits[-1]
    if style == 2:
        return ", ".join(numbers)
    return "INV " + " ".join(digits)


def payer_spelling(rng: random.Random, name: str) -> str:
    words = name.split()
    base = " ".join(
        w
        for w in words
        if w.rstrip(".") not in {"Inc", "LLC", "Ltd", "Corp", "Corporation", "Co", "GmbH"}
    )
    return rng.choice(
        [
            name.upper(),
            name,
            base.upper(),
            f"{base} Inc".upper(),
            name.upper()[:22].strip(),
            f"{base.upper()} LLC",
            name.upper().replace(" ", "  "),
        ]
    )


def typo(rng: random.Random, name: str) -> str:
    upper = name.upper()
    k = rng.randrange(1, max(2, len(upper) - 1))
    return upper[:k] + upper[k + 1 :]


NOISE = ["THANK YOU", "PMT", "PAYMENT", "REMITTANCE", "ACH CREDIT", "WIRE IN", ""]


def noise(rng: random.Random) -> str:
    extra = rng.choice(["", f"PO {rng.randint(10000, 99999)}", f"CHK {rng.randint(1000, 9999)}"])
    return f"{rng.choice(NOISE)} {extra}".strip()


def _open(customer: Customer, k: int = 1) -> list[Invoice] | None:
    free = [i for i in customer.invoices if not i.used]
    if len(free) < k:
        return None
    return free[:k]


def lines(data: DataSet, count: int, prefix: str, seed: int) -> list[Line]:
    """`count` lines over the book, each with its truth; invoices paid once."""
    rng = random.Random(seed)
    kinds = [
        ("ref_single", 30),
        ("ref_multi", 14),
        ("name_one", 14),
        ("name_lump", 9),
        ("customer_number", 5),
        ("short_pay", 3),
        ("over_pay", 2),
        ("typo_name", 3),
        ("bad_ref", 2),
        ("unknown", 6),
        ("not_customer", 7),
        ("debit", 5),
    ]
    names, weights = zip(*kinds, strict=True)
    out: list[Line] = []
    n = 0
    while len(out) < count:
        n += 1
        ref = f"{prefix}{n:06d}"
        category = rng.choices(names, weights)[0]
        customer = rng.choice(data.customers)
        line = _line(rng, data, customer, category, ref)
        if line is not None:
            line.category = category
            out.append(line)
    return out


def _take(invoices: list[Invoice]) -> dict[str, int]:
    for invoice in invoices:
        invoice.used = True
    return {i.number: i.total_minor for i in invoices}


def _line(rng, data, customer: Customer, category: str, ref: str) -> Line | None:
    payer = payer_spelling(rng, customer.name) if rng.random() < 0.8 else ""
    if category == "ref_single":
        found = _open(customer)
        if not found:
            return None
        [invoice] = found
        text = f"{noise(rng)} {number_spelling(rng, invoice.number)}".strip()
        return Line(
            ref,
            invoice.total_minor,
            payer,
            text,
            customer=customer.number,
            allocations=_take(found),
        )
    if category == "ref_multi":
        found = _open(customer, rng.randint(2, 4))
        if not found:
            return None
        found = rng.sample(found, len(found))
        text = numbers_spelling(rng, [i.number for i in found])
        return Line(
            ref,
            sum(i.total_minor for i in found),
            payer,
            text,
            customer=customer.number,
            allocations=_take(found),
        )
    if category in ("name_one", "typo_name", "customer_number"):
        free = [i for i in customer.invoices if not i.used]
        if not free:
            return None
        invoice = rng.choice(free)
        if sum(1 for i in free if i.total_minor == invoice.total_minor) > 1:
            return None
        if category == "customer_number":
            text, who = f"CUST {customer.number} {noise(rng)}", rng.choice(["", "AP DEPT"])
        elif category == "typo_name":
            text, who = noise(rng), typo(rng, customer.name)
        else:
            text, who = noise(rng), payer_spelling(rng, customer.name)
        expect = "review" if category == "typo_name" else "posted"
        line = Line(
            ref,
            invoice.total_minor,
            who,
            text,
            customer=customer.number,
            allocations=_take([invoice]),
            expect=expect,
        )
        if category == "typo_name":
            line.expect = "either"  # a close typo may be certain; a far one needs a person
        return line
    if category == "name_lump":
        found = _open(customer, rng.randint(2, 4))
        if not found:
            return None
        return Line(
            ref,
            sum(i.total_minor for i in found),
            payer_spelling(rng, customer.name),
            noise(rng),
            customer=customer.number,
            allocations=_take(found),
            expect="either",
        )
    if category == "short_pay":
        found = _open(customer)
        if not found or found[0].total_minor < 20_000:
            return None
        fee = rng.choice([1000, 1500, 2500, 3000])
        _take(found)
        return Line(
            ref,
            found[0].total_minor - fee,
            payer,
            f"{number_spelling(rng, found[0].number)} LESS WIRE FEE",
            customer=customer.number,
            allocations={found[0].number: found[0].total_minor - fee},
            expect="review",
        )
    if category == "over_pay":
        found = _open(customer)
        if not found:
            return None
        extra = rng.randint(1, 50_000)
        _take(found)
        return Line(
            ref,
            found[0].total_minor + extra,
            payer,
            number_spelling(rng, found[0].number),
            customer=customer.number,
            allocations={found[0].number: found[0].total_minor},
            expect="review",
        )
    if category == "bad_ref":
        found = _open(customer)
        if not found:
            return None
        _take(found)
        return Line(
            ref,
            found[0].total_minor,
            payer_spelling(rng, customer.name),
            f"INV-{rng.randint(900000, 999999)}",
            customer=customer.number,
            allocations={found[0].number: found[0].total_minor},
            expect="review",
        )
    if category == "unknown":
        return Line(
            ref,
            rng.randint(1000, 900_000),
            rng.choice(
                ["JOHN SMITH", "PAYPAL TRANSFER", "MISC DEPOSIT", "STRIPE PAYOUT", "A. NONYMOUS"]
            ),
            noise(rng),
            expect="unmatched",
        )
    if category == "not_customer":
        return Line(
            ref,
            rng.randint(100, 50_000),
            "",
            rng.choice(
                [
                    "INTEREST CREDIT",
                    "INTERNAL TRANSFER FROM SAVINGS",
                    "SWEEP FROM MONEY MARKET",
                    "ZBA CREDIT",
                ]
            ),
            expect="ignored",
        )
    if category == "debit":
        return Line(
            ref,
            rng.randint(100, 900_000),
            rng.choice(["", "ADP PAYROLL", "RENT"]),
            rng.choice(["WIRE FEE", "SERVICE CHARGE", "PAYROLL", "RENT"]),
            debit=True,
            expect="ignored",
        )
    raise ValueError(category)


# --- files -------------------------------------------------------------------------------


def _amount(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def csv_file(items: list[Line], day: date) -> bytes:
    rows = ["date,amount,currency,bank_reference,payer,text"]
    for line in items:
        sign = "-" if line.debit else ""
        payer = line.payer.replace(",", " ")
        text = line.text.replace(",", " ")
        rows.append(f"{day},{sign}{_amount(line.amount_minor)},USD,{line.ref},{payer},{text}")
    return ("\n".join(rows) + "\n").encode()


def camt_file(items: list[Line], day: date, batch: int = 3) -> bytes:
    """camt.053: lines with `documents` as structured remittance, the others in Ustrd; every
    `batch` credits booked as one entry (batch booking)."""
    from xml.sax.saxutils import escape

    entries = []
    credits = [line for line in items if not line.debit]
    debits = [line for line in items if line.debit]
    for start in range(0, len(credits), batch):
        group = credits[start : start + batch]
        total = sum(line.amount_minor for line in group)
        txs = []
        for line in group:
            if line.documents:
                rmt = "".join(
                    f"<Strd><RfrdDocInf><Nb>{escape(n)}</Nb></RfrdDocInf><RfrdDocAmt>"
                    f'<RmtdAmt Ccy="USD">{_amount(a)}</RmtdAmt></RfrdDocAmt></Strd>'
                    for n, a in line.documents
                )
            else:
                rmt = f"<Ustrd>{escape(line.text)}</Ustrd>" if line.text else ""
            account = (
                f"<DbtrAcct><Id><IBAN>{line.account}</IBAN></Id></DbtrAcct>" if line.account else ""
            )
            txs.append(
                f"<TxDtls><Refs><AcctSvcrRef>{line.ref}</AcctSvcrRef></Refs>"
                f'<Amt Ccy="USD">{_amount(line.amount_minor)}</Amt>'
                f"<RltdPties><Dbtr><Nm>{escape(line.payer)}</Nm></Dbtr>{account}</RltdPties>"
                f"<RmtInf>{rmt}</RmtInf></TxDtls>"
            )
        entries.append(
            f'<Ntry><Amt Ccy="USD">{_amount(total)}</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
            f"<BookgDt><Dt>{day}</Dt></BookgDt><AcctSvcrRef>B-{group[0].ref}</AcctSvcrRef>"
            "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly>"
            f"</Domn></BkTxCd><NtryDtls>{''.join(txs)}</NtryDtls></Ntry>"
        )
    for line in debits:
        entries.append(
            f'<Ntry><Amt Ccy="USD">{_amount(line.amount_minor)}</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
            f"<BookgDt><Dt>{day}</Dt></BookgDt><AcctSvcrRef>{line.ref}</AcctSvcrRef>"
            "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>CCRD</Cd><SubFmlyCd>CHRG</SubFmlyCd></Fmly>"
            "</Domn></BkTxCd></Ntry>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>BENCH-{day}</MsgId></GrpHdr><Stmt><Id>1</Id>"
        "<Acct><Id><IBAN>US00BENCH0000000001</IBAN></Id></Acct>"
        f"{''.join(entries)}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def bai2_file(items: list[Line], day: date) -> bytes:
    """A lockbox BAI2 file: customer credits as lockbox items (type 115) with the remitter
    and the remittance in the text, deposits as 301, debits as 475."""
    records = []
    total = 0
    for line in items:
        code = "475" if line.debit else ("301" if line.kind == "deposit" else "115")
        text = line.text
        if line.payer:
            text = f"REMITTER: {line.payer}, {text}"
        text = text.replace(",", " ").replace("/", " ")
        records.append(f"16,{code},{line.amount_minor},,{line.ref},,{text}/")
        total += line.amount_minor
    account = ["03,000111222,USD,010,0,,/", *records, f"49,{total},{len(records) + 2}/"]
    stamp = day.strftime("%y%m%d")
    group = [f"02,REMIT,BANK,1,{stamp},0800,USD,2/", *account, f"98,{total},1,{len(account) + 2}/"]
    body = [f"01,BANK,REMIT,{stamp},0800,1,,,2/", *group, f"99,{total},1,{len(group) + 2}/"]
    return ("\n".join(body) + "\n").encode()
