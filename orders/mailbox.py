"""The demo's mailbox: a mail backend that keeps each mail as an .eml file, and a reader for the page
that shows them. The demo needs no mail server; tests and production use SMTP instead."""

import email
import email.policy
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class DemoMailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%dT%H%M%S.%f}-{uuid.uuid4().hex[:8]}.eml"
            # Write under a temporary name and rename, so the mailbox page never reads half a mail.
            partial = folder / f".{name}.part"
            partial.write_bytes(message.message().as_bytes())
            partial.rename(folder / name)
        return len(email_messages)


@dataclass(frozen=True)
class StoredMail:
    received_at: datetime
    sender: str
    to: str
    subject: str
    text: str


def read_mailbox(limit: int = 50) -> list[StoredMail]:
    folder = Path(settings.EMAIL_FILE_PATH)
    if not folder.is_dir():
        return []
    mails = []
    for path in sorted(folder.glob("*.eml"), reverse=True)[:limit]:
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        mails.append(
            StoredMail(
                received_at=datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone()),
                sender=str(parsed["From"]),
                to=str(parsed["To"]),
                subject=str(parsed["Subject"]),
                text=body.get_content() if body else "",
            )
        )
    return mails
