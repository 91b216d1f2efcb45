"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for tests that check mail."""

import email
import email.policy
import threading

from aiosmtpd.controller import Controller

from .ports import free_port


class CollectingHandler:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

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

    def messages_to(self, address: str) -> list:
        with self.handler.lock:
            return [m for m in self.handler.messages if address in str(m["To"])]

    @property
    def messages(self) -> list:
        with self.handler.lock:
            return list(self.handler.messages)
