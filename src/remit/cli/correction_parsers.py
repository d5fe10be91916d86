"""The corrections' subcommands' arguments (issue 14), for `remit.cli.main.build_parser`:
no Django import here, since the parser is built before Django is set up. Their handlers
are in `remit.cli.corrections`."""

from __future__ import annotations

REASONS = "bank_fee, discount, small_balance, bad_debt or other"


def add_parsers(sub, json_option) -> None:
    """Add the subcommands to the `remit` parser's `sub` (json_option adds `--json`)."""
    write_off = sub.add_parser("write-off", help="write off an invoice's open balance (or part)")
    write_off.add_argument("invoice", metavar="INVOICE")
    write_off.add_argument("--amount", metavar="A", help="default: the whole balance due")
    write_off.add_argument("--reason", required=True, metavar="R", help=REASONS)
    write_off.add_argument("--note", default="", metavar="TEXT", help="internal note")
    write_off.add_argument("--key", metavar="IDEMPOTENCY_KEY")
    json_option(write_off)

    unapply = sub.add_parser("unapply", help="move a payment's allocation to customer credit")
    unapply.add_argument("payment", metavar="PAYMENT")
    unapply.add_argument("--invoice", required=True, metavar="N")
    unapply.add_argument("--amount", metavar="A", help="default: all it applied to N")
    unapply.add_argument("--key", metavar="IDEMPOTENCY_KEY")
    json_option(unapply)

    reallocate = sub.add_parser(
        "reallocate", help="move a payment's allocation to another open invoice"
    )
    reallocate.add_argument("payment", metavar="PAYMENT")
    reallocate.add_argument("--from", required=True, dest="source", metavar="N")
    reallocate.add_argument(
        "--to", required=True, dest="target", metavar="N[=AMOUNT]", help="default: all of it"
    )
    reallocate.add_argument("--key", metavar="IDEMPOTENCY_KEY")
    json_option(reallocate)

    void = sub.add_parser("void-invoice", help="void an invoice (--unapply: with payments)")
    void.add_argument("invoice", metavar="INVOICE")
    void.add_argument("--reason", default="", metavar="TEXT")
    void.add_argument(
        "--unapply",
        action="store_true",
        help="cancel and unapply: move the payments applied to it to customer credit first",
    )
    json_option(void)

    payout = sub.add_parser(
        "payout", help="pay customer credit back by check, transfer, or to the card it came from"
    )
    payout.add_argument("--customer", required=True, metavar="C")
    payout.add_argument("--amount", required=True, metavar="A")
    payout.add_argument("--currency", help="default: the customer's")
    payout.add_argument("--type", required=True, choices=["check", "transfer", "card"])
    payout.add_argument(
        "--payment",
        default="",
        metavar="PMT",
        help="card: the card or bank payment whose credit goes back (default: the newest)",
    )
    payout.add_argument("--reference", default="", metavar="R", help="check number, transfer id")
    payout.add_argument("--note", default="", metavar="TEXT", help="internal note")
    payout.add_argument("--key", metavar="IDEMPOTENCY_KEY")
    json_option(payout)

    note = sub.add_parser("credit-note", help="credit an invoice: a numbered credit note")
    note.add_argument("invoice", metavar="INVOICE")
    note.add_argument("--amount", required=True, metavar="A")
    note.add_argument("--reason", required=True, metavar="R", help="why, in words")
    note.add_argument("--key", metavar="IDEMPOTENCY_KEY")
    json_option(note)

    dispute = sub.add_parser(
        "dispute", help="sandbox gateway: the cardholder disputes a card payment, or it is decided"
    )
    dispute.add_argument("payment", metavar="PAYMENT")
    what = dispute.add_mutually_exclusive_group(required=True)
    what.add_argument("--open", dest="state", action="store_const", const="open")
    what.add_argument("--win", dest="state", action="store_const", const="won")
    what.add_argument("--lose", dest="state", action="store_const", const="lost")
    dispute.add_argument("--amount", metavar="A", help="--open: default all not refunded")
    json_option(dispute)
