"""The API's order fields: the order form's own rules, plus where to send the final notification."""

from django import forms
from django.core.validators import URLValidator

from storefront.forms import OrderForm
from orders.models import Order

from .destinations import PrivateDestination, check_destination

CALLBACK_URL_SCHEMES = ("http", "https")

# The form's field for each field of the API's JSON body (the customer's details are nested there).
FORM_FIELDS = {
    "pizza": "pizza",
    "size": "size",
    "quantity": "quantity",
    "customer.name": "name",
    "customer.email": "email",
    "customer.address": "address",
    "callback_url": "callback_url",
}
API_FIELDS = {form_field: api_field for api_field, form_field in FORM_FIELDS.items()}


class ApiOrderForm(OrderForm):
    """OrderForm, so that an order through the API obeys exactly the rules of one through the page."""

    # Public addresses only, unless the operator opted in (API_CALLBACK_ALLOWED_HOSTS, API_CALLBACK_ALLOW_PRIVATE).
    callback_url = forms.CharField(
        required=False,
        max_length=Order._meta.get_field("callback_url").max_length,
        validators=[URLValidator(schemes=CALLBACK_URL_SCHEMES, message="Enter an http:// or https:// URL.")],
    )

    def clean_callback_url(self):
        url = self.cleaned_data["callback_url"]
        if url:
            try:
                check_destination(url)
            except PrivateDestination as error:
                raise forms.ValidationError(f"Not allowed: {error}.") from None
        return url

    @classmethod
    def from_body(cls, body: dict) -> "ApiOrderForm":
        """The form, bound to the API's JSON body (already checked for shape: see api.schemas.OrderIn)."""
        values = {**body, **{f"customer.{name}": value for name, value in (body.get("customer") or {}).items()}}
        return cls(
            {form_field: values[api_field] for api_field, form_field in FORM_FIELDS.items()
             if values.get(api_field) is not None}
        )
