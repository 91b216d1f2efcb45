"""Schemathesis against the live schema: generated requests, valid and invalid, to every operation of the
API (in process, through the Django WSGI app), checking that none answers 5xx, every status is documented and
every answer matches the schema."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone

from api.models import CallbackDelivery
from asyncpizza.wsgi import application
from batches.models import BatchRow, BatchStatus, OrderBatch, RowStatus
from workflow.models import AttemptOutcome, StoreAttempt

from ..factories import make_order

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def database_kept_open():
    """As Django's test client does: a request's end must not close the connection holding the test's data."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def confirmed_order(menu):
    """An order with an attempt and a notification, so that its answer fills every part of the schema."""
    order = make_order(menu, callback_url="http://127.0.0.1:9/hook")
    now = timezone.now()
    number = order.begin_attempt(now=now)
    attempt = StoreAttempt.objects.create(order=order, number=number, due_at=now, started_at=now)
    attempt.finish(outcome=AttemptOutcome.ACCEPTED, now=now, http_status=201)
    order.confirm(shop_order_id="SHOP-1", now=now)
    CallbackDelivery.objects.create(order=order, status=order.status, url=order.callback_url, body="{}", max_tries=8)
    return order


@pytest.fixture
def finished_batch(menu, confirmed_order):
    """A final batch with a placed row, an invalid row and a notification: its answer fills BatchOut."""
    batch = OrderBatch.objects.create(body_hash="0" * 64, format="json", row_count=2, status=BatchStatus.DONE_WITH_ERRORS,
                                      callback_url="http://127.0.0.1:9/hook", started_at=timezone.now(),
                                      transformed_at=timezone.now(), finished_at=timezone.now(), chunks_done=1)
    BatchRow.objects.create(batch=batch, number=1, data={}, status=RowStatus.PLACED, order=confirmed_order)
    BatchRow.objects.create(batch=batch, number=2, data={}, status=RowStatus.INVALID,
                            errors=[{"field": "size", "message": "Select a valid choice."}])
    CallbackDelivery.objects.create(subject=f"batch {batch.public_id}", status=batch.status, url=batch.callback_url,
                                    body="{}", max_tries=8)
    return batch


@schema.parametrize()
@settings(
    max_examples=100,
    deadline=None,
    derandomize=False,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_keeps_its_contract(case, menu, confirmed_order, finished_batch, database_kept_open, schemathesis_cases):
    if case.meta and case.meta.generation.mode == GenerationMode.POSITIVE:
        # The schema can only say "a slug from GET /api/menu" and "an order's id": valid cases use real ones.
        if isinstance(case.body, dict) and isinstance(case.body.get("pizza"), str):
            slugs = sorted(menu)
            case.body["pizza"] = slugs[len(case.body["pizza"]) % len(slugs)]
        if case.path_parameters and "order_id" in case.path_parameters:
            case.path_parameters["order_id"] = str(confirmed_order.public_id)
        if case.path_parameters and "batch_id" in case.path_parameters:
            case.path_parameters["batch_id"] = str(finished_batch.public_id)
    response = case.call()
    schemathesis_cases[case.operation.label, response.status_code] += 1
    case.validate_response(response, checks=CHECKS)
