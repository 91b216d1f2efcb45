"""The shop's clients and their API keys: who may place, look up and cancel orders, and whose orders they are.

A key is "shopkey_" + 32 random bytes (URL-safe base64), shown once when it is made (`manage.py shopclient
create NAME`); the shop keeps its SHA-256 only. A request names its client with `Authorization: Bearer <key>`;
the key is found by its hash (a unique index), so no key is compared character by character.
"""

import hashlib
import secrets

from django.db import IntegrityError, transaction

from .models import ApiClient
from .routers import SHOP_DB

KEY_PREFIX = "shopkey_"


class ClientExists(Exception):
    """A client of that name exists already (its key cannot be shown again: make another client)."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def create_client(name: str, *, key: str | None = None) -> tuple[ApiClient, str]:
    """A new client and its key (a fresh one unless `key` is given: `make demo` hands the app one it made).
    Raises ClientExists."""
    key = key or new_key()
    try:
        with transaction.atomic(using=SHOP_DB):
            client = ApiClient.objects.create(name=name, key_hash=hash_key(key))
    except IntegrityError:
        raise ClientExists(f"a client named {name!r} exists already (or that key belongs to another)") from None
    return client, key


def register_key(name: str, key: str) -> ApiClient:
    """Make `key` the key of the client `name`, creating it if need be (for `make demo`, which reuses the
    environment's SHOP_API_KEY): safe to repeat."""
    client, _ = ApiClient.objects.update_or_create(name=name, defaults={"key_hash": hash_key(key)})
    return client


def client_of(authorization: str) -> ApiClient | None:
    """The client whose key the Authorization header carries; None for none or an unknown key."""
    scheme, _, presented = authorization.partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented.startswith(KEY_PREFIX):
        return None
    return ApiClient.objects.filter(key_hash=hash_key(presented)).first()
