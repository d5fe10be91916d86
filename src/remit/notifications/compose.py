"""What an email says (its templates) and how it is put on the wire (MIME).

Each kind has `notifications/email/<kind>.txt` and `.html`, both rendered from one
context, which also gives the subject. Amounts are formatted in the customer's currency
(`Money.format`). Sender and reply-to are settings (REMIT_EMAIL_FROM, REMIT_EMAIL_REPLY_TO);
reminders carry List-Unsubscribe (RFC 2369, and RFC 8058's one-click POST).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from django.conf import settings
from django.template.loader import render_to_string

from remit.notifications.models import Email, Kind

UNSUBSCRIBABLE = frozenset(
    {Kind.SCHEDULE_REMINDER, Kind.CARD_EXPIRING, Kind.OVERDUE, Kind.STATEMENT}
)
"""Reminders: the kinds that carry List-Unsubscribe."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(kind: str, subject: str, context: dict) -> Rendered:
    context = {"subject": subject, "public_url": public_url(), **context}
    return Rendered(
        subject=subject,
        text=render_to_string(f"notifications/email/{kind}.txt", context).strip() + "\n",
        html=render_to_string(f"notifications/email/{kind}.html", context),
    )


def public_url(path: str = "") -> str:
    return getattr(settings, "REMIT_PUBLIC_URL", "http://127.0.0.1:8000") + path


def message_id() -> str:
    """A Message-ID made once per email row: every send of the row carries it."""
    sender = parseaddr(settings.REMIT_EMAIL_FROM)[1]
    domain = sender.rpartition("@")[2] or "remit.invalid"
    return make_msgid(idstring="remit", domain=domain)


def mime(email: Email, *, attachments: list[tuple[str, bytes]] = ()) -> EmailMessage:
    """The email as it is sent: text and HTML parts, then the attachments (PDFs)."""
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = settings.REMIT_EMAIL_FROM
    message["To"] = email.to
    if settings.REMIT_EMAIL_REPLY_TO:
        message["Reply-To"] = settings.REMIT_EMAIL_REPLY_TO
    message["Date"] = format_datetime(email.created_at)
    message["Message-ID"] = email.message_id
    unsubscribe = email.data.get("unsubscribe")
    if unsubscribe:
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.text_body)
    message.add_alternative(email.html_body, subtype="html")
    for filename, content in attachments:
        message.add_attachment(content, maintype="application", subtype="pdf", filename=filename)
    return message
