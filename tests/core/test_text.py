"""Bidirectional overrides and zero-width characters are refused in names and addresses, with an error naming
the field and the character: on the order form, in the API (422), and by the shop's own validation. Before,
they were stored and shown as they are (a U+202E in a name reverses the rest of it in the admin)."""

import uuid

import pytest

from core.text import INVISIBLE_FORMATTING, invisible_formatting
from orders.models import Order
from shop.validation import InvalidFields, validate_order
from tests.shop.orders import an_order

from ..api.helpers import fields_named, order_body, post_order
from ..factories import ORDER_FORM

LISTED = [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF]


def test_exactly_the_listed_characters_are_refused():
    assert INVISIBLE_FORMATTING == {chr(code) for code in LISTED}
    assert invisible_formatting("Ada\u202eecalevoL") == "U+202E RIGHT-TO-LEFT OVERRIDE at character 4"


@pytest.mark.parametrize("text", ["Grace Hopper", "Zoë Ñúñez-Øvergaard", "محمد علي", "דוד לוי", "李小龍", "1 Rue d’Été"])
def test_names_in_every_script_pass(text):
    assert invisible_formatting(text) is None


@pytest.mark.django_db
@pytest.mark.parametrize("field, value, shown", [
    ("name", "Grace\u202eHopper", "U+202E RIGHT-TO-LEFT OVERRIDE at character 6"),
    ("name", "Grace\u200bHopper", "U+200B ZERO WIDTH SPACE at character 6"),
    ("address", "1 Compiler\u2066 Way", "U+2066 LEFT-TO-RIGHT ISOLATE at character 11"),
    ("address", "\ufeff1 Compiler Way", "U+FEFF ZERO WIDTH NO-BREAK SPACE at character 1"),
])
def test_the_form_shows_the_error_beside_the_field_and_keeps_the_input(client, menu, field, value, shown):
    response = client.post("/", {**ORDER_FORM, field: value, "submission": str(uuid.uuid4())})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    [error] = response.context["form"].errors[field]
    assert f"contains an invisible formatting character ({shown})" in error
    assert f'id="id_{field}_error"' in response.content.decode()  # shown beside the field
    assert Order.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("customer, field", [
    ({"name": "Grace\u202dHopper"}, "customer.name"),
    ({"address": "1 Compiler\u2060Way"}, "customer.address"),
])
def test_the_api_answers_422_naming_the_field(client, menu, customer, field):
    response = post_order(client, order_body(customer=customer))
    assert response.status_code == 422 and fields_named(response) == [field]
    assert "invisible formatting character" in response.json()["errors"][0]["message"]
    assert Order.objects.count() == 0


@pytest.mark.parametrize("customer, field", [
    ({"name": "Grace\u202eHopper"}, "customer.name"),
    ({"address": "1 Compiler\u200dWay"}, "customer.address"),
])
def test_the_shops_validation_names_the_field(customer, field):
    order = an_order()
    order["customer"] = {**order["customer"], **customer}
    with pytest.raises(InvalidFields) as refused:
        validate_order(order)
    assert list(refused.value.errors) == [field]
    assert refused.value.errors[field].startswith("must not contain invisible formatting characters (U+")
