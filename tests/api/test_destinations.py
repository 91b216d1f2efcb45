"""callback_url may not lead into the app's own network, unless the demo allows it."""

import pytest

from api.destinations import PrivateDestination, check_destination
from api.forms import ApiOrderForm


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8001/reset", "http://localhost/x", "http://10.0.0.5/x", "http://[::1]/x", "http://169.254.169.254/latest"]
)
def test_private_destinations_are_refused_outside_the_demo(settings, url):
    settings.API_CALLBACK_ALLOW_PRIVATE = False
    with pytest.raises(PrivateDestination):
        check_destination(url)


def test_a_public_address_is_allowed(settings):
    settings.API_CALLBACK_ALLOW_PRIVATE = False
    check_destination("http://93.184.215.14/hook")  # resolving an IP literal asks no name server


def test_the_demo_allows_loopback(settings):
    settings.API_CALLBACK_ALLOW_PRIVATE = True
    check_destination("http://127.0.0.1:8001/reset")


@pytest.mark.django_db
def test_the_api_form_names_the_field(settings, menu):
    settings.API_CALLBACK_ALLOW_PRIVATE = False
    form = ApiOrderForm({"pizza": "margherita", "size": "small", "quantity": 1, "name": "A", "email": "a@example.com",
                         "address": "B", "callback_url": "http://127.0.0.1:8001/reset"})
    assert not form.is_valid()
    assert "not a public address" in form.errors["callback_url"][0]
