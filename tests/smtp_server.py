"""A real SMTP server on a free local port (aiosmtpd), for the email tests.

`smtp` (a fixture) starts one, sets REMIT_EMAIL_URL to it, and gives the messages it
accepted, parsed. `SmtpSink.refuse` makes it answer a code instead (a 4xx to try later,
a 5xx for good); `SmtpSink.stop` takes it away, as a server that is down.
"""

from __future__ import annotations

import contextlib
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.answer = ""
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server, session, envelope):
        if self.answer:
            return self.answer
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.received.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 2.0.0 Ok: queued as TEST" + str(len(self.received))

    def refuse(self, answer: str) -> None:
        self.answer = answer

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if m["To"] == address]


@pytest.fixture
def smtp(settings):
    sink = SmtpSink()
    sink.start()
    settings.REMIT_EMAIL_URL = sink.url
    settings.REMIT_EMAIL_FROM = "Acme Billing <billing@acme.example>"
    settings.REMIT_EMAIL_REPLY_TO = "ar@acme.example"
    settings.REMIT_MONTHLY_STATEMENTS = False  # the test that wants them turns them on
    yield sink
    with contextlib.suppress(AssertionError, RuntimeError):  # stopped by the test already
        sink.stop()


def body(message: EmailMessage, subtype: str = "plain") -> str:
    return message.get_body(preferencelist=(subtype,)).get_content()


def attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    return [(part.get_filename(), part.get_content()) for part in message.iter_attachments()]
