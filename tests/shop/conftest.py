import pytest

from tests.shop.webhook import WebhookReceiver


@pytest.fixture
def webhook():
    """A webhook of the test's own for the shop's callbacks: it records them and answers 200 unless told."""
    with WebhookReceiver() as receiver:
        yield receiver
