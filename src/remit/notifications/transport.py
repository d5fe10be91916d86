"""Where emails go: `REMIT_EMAIL_URL`, read once per sending pass.

- `smtp://user:pass@host:port` (port 25 unless given), `smtp+tls://…` (STARTTLS, port
  587 unless given), `smtps://…` (TLS from the start, port 465 unless given);
- `file:///path/to/folder`: each email an `.eml` file there (the demo's default:
  `var/mail/`), named by its Message-ID, so writing one twice leaves one file.

`deliver` answers the server's acceptance ("250 …"), or raises `Refused` (5xx: never
worth another try) or `TryLater` (4xx, a lost connection, a timeout).
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings

from remit.core.errors import RemitError

TIMEOUT = 30  # seconds for each SMTP exchange
_PORTS = {"smtp": 25, "smtp+tls": 587, "smtps": 465}


class TryLater(Exception):
    """Not accepted this time (4xx, no connection, a timeout): tried again later."""


class Refused(Exception):
    """Refused for good (5xx): not tried again."""


@dataclass(frozen=True)
class Transport:
    scheme: str
    host: str = ""
    port: int = 0
    username: str = ""
    password: str = ""
    folder: Path | None = None

    def describe(self) -> str:
        if self.folder is not None:
            return f"files in {self.folder}"
        return f"{self.scheme}://{self.host}:{self.port}"


def transport_from_url(url: str) -> Transport:
    """The transport `url` names, or RemitError with a sentence."""
    if not url:
        return Transport(scheme="file", folder=Path(settings.VAR_DIR) / "mail")
    parts = urlsplit(url)
    if parts.scheme == "file":
        return Transport(scheme="file", folder=Path(unquote(parts.path)))
    if parts.scheme not in _PORTS or not parts.hostname:
        raise RemitError(
            "REMIT_EMAIL_URL must look like smtp://user:pass@host:port, smtp+tls://…, "
            "smtps://… or file:///folder."
        )
    return Transport(
        scheme=parts.scheme,
        host=parts.hostname,
        port=parts.port or _PORTS[parts.scheme],
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


def configured_transport() -> Transport:
    return transport_from_url(getattr(settings, "REMIT_EMAIL_URL", ""))


def deliver(transport: Transport, message: EmailMessage) -> str:
    """Send `message` to its `To`; the server's acceptance, as it said it."""
    if transport.folder is not None:
        return _write(transport.folder, message)
    try:
        return _smtp(transport, message)
    except smtplib.SMTPResponseException as answer:
        text = f"{answer.smtp_code} {_text(answer.smtp_error)}"
        if 500 <= answer.smtp_code < 600:
            raise Refused(text) from None
        raise TryLater(text) from None
    except smtplib.SMTPRecipientsRefused as refused:
        code, said = next(iter(refused.recipients.values()))
        error = Refused if 500 <= code < 600 else TryLater
        raise error(f"{code} {_text(said)}") from None
    except (OSError, smtplib.SMTPException) as lost:
        raise TryLater(f"{type(lost).__name__}: {lost}"[:300]) from None


def _smtp(transport: Transport, message: EmailMessage) -> str:
    context = ssl.create_default_context()
    if transport.scheme == "smtps":
        client = smtplib.SMTP_SSL(transport.host, transport.port, timeout=TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(transport.host, transport.port, timeout=TIMEOUT)
    with client:
        client.ehlo()
        if transport.scheme == "smtp+tls":
            client.starttls(context=context)
            client.ehlo()
        if transport.username:
            client.login(transport.username, transport.password)
        sender = _address(message["Return-Path"] or message["From"])
        code, said = client.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, said, sender)
        recipient = _address(message["To"])
        code, said = client.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, said)})
        wire = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        code, said = client.data(wire)
        if code != 250:
            raise smtplib.SMTPDataError(code, said)
    return f"{code} {_text(said)}"[:500]


def _write(folder: Path, message: EmailMessage) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9.@_-]", "", message["Message-ID"]) + ".eml"
    path = folder / name
    partial = path.with_suffix(".eml.part")
    partial.write_bytes(message.as_bytes())
    partial.replace(path)  # whole or not at all
    return f"written to {path}"


def _address(header: str) -> str:
    return parseaddr(str(header))[1]


def _text(said: bytes | str) -> str:
    return said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
