"""A real SMTP server on the loopback interface for the e-mail tests (aiosmtpd, in a thread)."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class ReceivedEmail:
    envelope_to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return self.message["Subject"]

    def part(self, content_type: str) -> str:
        return self.message.get_body(preferencelist=(content_type.split("/")[1],)).get_content()


@dataclass
class Inbox:
    """What the server accepted, in order."""

    received: list[ReceivedEmail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(ReceivedEmail(list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        return [item.subject for item in self.received]


class LoopbackSmtpServer:
    """Start with `start()`, stop with `stop()`; `port` may be chosen before it starts."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.inbox = Inbox()
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> LoopbackSmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
