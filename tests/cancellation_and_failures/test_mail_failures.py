"""Everything accepted is deliverable, or refused at the form: the mail edge cases, against a real SMTP
server on loopback (aiosmtpd) that answers 550 or 451 for the recipients a test names."""

import pytest
from django.utils import timezone

from workflow.mail import send_status_email
from orders.models import MailStatus, Order

from ..api.helpers import fields_named, order_body, post_order
from ..factories import ORDER_FORM, make_order

pytestmark = pytest.mark.django_db


def confirmed(menu, **fields) -> Order:
    order = make_order(menu, **fields)
    order.begin_attempt(now=timezone.now())
    order.confirm(shop_order_id="SHOP-EDGE1", now=timezone.now())
    return order


# --- Refused at the form (and the API), beside the field ----------------------------------------------

@pytest.mark.parametrize("name", ["Grace\nHopper", "Grace\r\nBcc: everyone@example.com", "Grace\tHopper", "Grace\u2028Hopper", "Gr\x07ce"])
def test_a_name_with_a_line_break_or_control_character_is_a_field_error(client, menu, name):
    page = client.post("/", {**ORDER_FORM, "name": name}).content.decode()
    assert 'id="id_name_error"' in page and "line breaks" in page
    assert Order.objects.count() == 0


def test_the_api_names_the_field_of_a_name_with_a_line_break(client, menu):
    response = post_order(client, order_body(customer={"name": "Grace\nHopper"}))
    assert response.status_code == 422
    assert fields_named(response) == ["customer.name"]
    assert Order.objects.count() == 0


def test_an_address_whose_part_before_the_at_is_not_ascii_is_refused_with_a_clear_message(client, menu):
    page = client.post("/", {**ORDER_FORM, "email": "jürgen@example.com"}).content.decode()
    assert 'id="id_email_error"' in page
    assert Order.objects.count() == 0


# --- Sent: a non-ASCII domain goes out IDNA-encoded ------------------------------------------------------

def test_a_mail_to_a_non_ascii_domain_arrives(menu, smtp):
    order = confirmed(menu, customer_email="kunde@bücher.example", customer_name="Jürgen Müller")
    assert send_status_email(order.pk, "confirmed") is True
    [mail] = smtp.messages
    assert "kunde@xn--bcher-kva.example" in str(mail["To"])
    assert "Jürgen Müller" in str(mail["To"])
    assert Order.objects.get(pk=order.pk).mail_status == MailStatus.SENT


def test_the_form_accepts_a_non_ascii_domain(client, menu):
    response = client.post("/", {**ORDER_FORM, "email": "kunde@bücher.example"})
    assert response.status_code == 303
    assert Order.objects.get().customer_email == "kunde@bücher.example"


def test_a_name_with_a_line_break_already_stored_does_not_break_the_mail(menu, smtp):
    """Orders taken before the form refused them: the mail goes out with the name on one line."""
    order = confirmed(menu, customer_email="old@example.com", customer_name="Grace\nHopper")
    assert send_status_email(order.pk, "confirmed") is True
    [mail] = smtp.messages_to("old@example.com")
    assert "Grace Hopper" in str(mail["To"])


# --- Refused by the server -----------------------------------------------------------------------------

def test_a_mail_refused_for_good_is_undeliverable_and_shown(client, menu, smtp):
    smtp.refuse("gone@example.com", "550 5.1.1 no such mailbox")
    order = confirmed(menu, customer_email="gone@example.com")
    assert send_status_email(order.pk, "confirmed") is False
    order.refresh_from_db()
    assert order.mail_status == MailStatus.UNDELIVERABLE
    assert "550" in order.mail_error
    assert order.confirmation_email_sent_at is None
    page = client.get(order.get_absolute_url()).content.decode()
    assert "We could not email you at gone@example.com" in page
    # No second try: a refusal for good stays one.
    assert send_status_email(order.pk, "confirmed") is False
    assert smtp.messages == []


def test_a_transient_refusal_is_retried_with_backoff_then_given_up(menu, smtp, settings):
    settings.MAIL_MAX_TRIES = 3
    smtp.refuse("busy@example.com", "451 4.3.0 try again later")
    order = confirmed(menu, customer_email="busy@example.com")
    delays = []
    for _ in range(3):
        assert send_status_email(order.pk, "confirmed", retry_later=lambda order, at: delays.append(at)) is False
    order.refresh_from_db()
    assert len(delays) == 2  # tries 1 and 2 scheduled the next; the third gave up
    assert delays[1] > delays[0]
    assert order.mail_status == MailStatus.UNDELIVERABLE and order.mail_tries == 3
    assert "451" in order.mail_error


def test_a_transient_refusal_then_success_sends_once(menu, smtp):
    smtp.refuse("later@example.com", "451 4.3.0 try again later")
    order = confirmed(menu, customer_email="later@example.com")
    scheduled = []
    assert send_status_email(order.pk, "confirmed", retry_later=lambda order, at: scheduled.append(at)) is False
    assert Order.objects.get(pk=order.pk).mail_status == MailStatus.RETRYING and len(scheduled) == 1
    smtp.accept("later@example.com")
    assert send_status_email(order.pk, "confirmed") is True
    assert len(smtp.messages_to("later@example.com")) == 1
    assert Order.objects.get(pk=order.pk).mail_status == MailStatus.SENT


def test_a_server_that_is_down_is_a_transient_error(menu, smtp, settings):
    settings.EMAIL_PORT = 9  # nothing listens there
    order = confirmed(menu, customer_email="down@example.com")
    scheduled = []
    assert send_status_email(order.pk, "confirmed", retry_later=lambda order, at: scheduled.append(at)) is False
    order.refresh_from_db()
    assert order.mail_status == MailStatus.RETRYING and scheduled
    assert order.confirmation_email_sent_at is None
