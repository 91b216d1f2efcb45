"""shop/clients.py and `manage.py shopclient`: keys shown once, kept hashed, found by their hash."""

import io

import pytest
from django.core.management import CommandError, call_command

from shop.clients import ClientExists, client_of, create_client, hash_key, register_key
from shop.models import ApiClient

pytestmark = pytest.mark.django_db(databases=["default", "shop"])


def test_shopclient_create_prints_the_key_alone_on_the_last_line_and_keeps_only_its_hash():
    out = io.StringIO()
    call_command("shopclient", "create", "app", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    assert key.startswith("shopkey_") and len(key) > 40 and " " not in key
    client = ApiClient.objects.get(name="app")
    assert client.key_hash == hash_key(key) and key not in client.key_hash
    assert client_of(f"Bearer {key}") == client
    with pytest.raises(CommandError, match="exists already"):
        call_command("shopclient", "create", "app", stdout=io.StringIO())


@pytest.mark.parametrize("authorization", ["", "Bearer", "Basic abc", "Bearer shopkey_unknown", "bearer  shopkey_x"])
def test_no_client_for_anything_but_a_known_key(authorization):
    create_client("app")
    assert client_of(authorization) is None


def test_make_demo_s_registration_is_safe_to_repeat_and_follows_the_key():
    register_key("app", "shopkey_first")
    register_key("app", "shopkey_first")
    register_key("app", "shopkey_second")  # SHOP_API_KEY changed between two demos
    assert ApiClient.objects.count() == 1
    assert client_of("Bearer shopkey_first") is None and client_of("Bearer shopkey_second").name == "app"
    with pytest.raises(ClientExists):
        create_client("other", key="shopkey_second")  # a key names one client only
