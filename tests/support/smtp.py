"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for tests that check mail."""

import email
import email.policy
import threading

from aiosmtpd.controller import Controller

from .ports import free_port


class CollectingHandler:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refusals: dict[str, str] = {}  # recipient -> the SMTP reply to RCPT TO, e.g. "550 no such mailbox"
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            refusal = self.refusals.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self):
        self.handler = CollectingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def clear(self):
        with self.handler.lock:
            self.handler.messages.clear()
            self.handler.refusals.clear()

    def refuse(self, address: str, reply: str) -> None:
        """Answer RCPT TO for `address` with `reply` ("550 ..." for good, "451 ..." for now)."""
        with self.handler.lock:
            self.handler.refusals[address.lower()] = reply

    def accept(self, address: str) -> None:
        with self.handler.lock:
            self.handler.refusals.pop(address.lower(), None)

    def messages_to(self, address: str) -> list:
        with self.handler.lock:
            return [m for m in self.handler.messages if address in str(m["To"])]

    @property
    def messages(self) -> list:
        with self.handler.lock:
            return list(self.handler.messages)
