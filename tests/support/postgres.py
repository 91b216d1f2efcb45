"""A PostgreSQL database of a test's own (a unique name), dropped afterwards."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg


@contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """Create `<prefix>_<8 hex>` on the server at `server_url` (no database in it); yield its URL; drop it."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server_url}/{name}"
    finally:
        with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
