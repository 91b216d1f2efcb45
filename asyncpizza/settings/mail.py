"""Status mails: where they go, and how a refused one is tried again."""

from .base import VAR_DIR
from .env import env_float, env_int, env_str

# The demo keeps every mail as an .eml file under var/mail/, shown on the staff page /mailbox/; tests and
# production point EMAIL_BACKEND/EMAIL_HOST/EMAIL_PORT at a real SMTP server.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "orders.mailbox.DemoMailboxBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Async Pizza <orders@asyncpizza.example>")
# A status mail the server refuses for now (4xx, connection refused) is tried again after MAIL_RETRY_BACKOFF_S,
# doubling up to MAIL_RETRY_BACKOFF_CAP_S, MAIL_MAX_TRIES times in all; then it is marked undeliverable.
MAIL_MAX_TRIES = env_int("MAIL_MAX_TRIES", 8, minimum=1)
MAIL_RETRY_BACKOFF_S = env_float("MAIL_RETRY_BACKOFF_S", 30, minimum=0)
MAIL_RETRY_BACKOFF_CAP_S = env_float("MAIL_RETRY_BACKOFF_CAP_S", 1800, minimum=0)
# Links in mails need an absolute address; the web process knows no request when a worker sends mail.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
