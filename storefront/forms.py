"""The order form: the fields an order is made of and their rules, for the page and (api.forms) the API.

It lives with the customer's pages, not in the domain: its rules use the shared plumbing (core.text), and the
domain imports nothing of the repo. The rules it checks that are facts of an order (a mailable address, a name
on one line) are asked of the domain (orders.mail_delivery, orders.models)."""

import uuid

from django import forms

from core.text import invisible_formatting

from orders.mail_delivery import ascii_address, has_line_break_or_control
from orders.models import MAX_QUANTITY, Order, Pizza, Size


class OrderForm(forms.Form):
    """The order form of the contract: field names are fixed (docs/CONTRACTS.md)."""

    pizza = forms.ModelChoiceField(
        queryset=Pizza.objects.available(), to_field_name="slug", empty_label="Choose a pizza…"
    )
    size = forms.ChoiceField(choices=Size.choices, initial=Size.MEDIUM)
    quantity = forms.IntegerField(min_value=1, max_value=MAX_QUANTITY, initial=1)
    name = forms.CharField(max_length=100, label="Your name", widget=forms.TextInput(attrs={"autocomplete": "name"}))
    # The model's limit (254), not the form field's default (320): a longer address would fail at save.
    email = forms.EmailField(
        max_length=Order._meta.get_field("customer_email").max_length,
        label="Email",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    address = forms.CharField(
        max_length=300,
        label="Delivery address",
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )

    # One id per form shown, sent back hidden: the same submission twice makes one order (place_order).
    submission = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_submission(self):
        # A missing or garbled id is no error for the customer: the order just gets a key of its own.
        try:
            return uuid.UUID(self.cleaned_data["submission"])
        except ValueError:
            return None

    def clean_name(self):
        name = self._not_blank("name")
        # The name goes into the mail's To header: a line break there is a header injection (Django refuses
        # the mail with BadHeaderError), so it is refused here, where the customer can mend it.
        if has_line_break_or_control(name):
            raise forms.ValidationError("Your name must fit on one line: no line breaks, tabs or control characters.")
        return self._visible(name, "Your name")

    def clean_email(self):
        email = self.cleaned_data["email"]
        # A non-ASCII domain is sent IDNA-encoded; a non-ASCII part before the @ cannot be sent at all.
        try:
            ascii_address(email)
        except UnicodeError:
            raise forms.ValidationError(
                "We cannot send mail to this address: use only Latin letters, digits and . _ + - before the @."
            ) from None
        return email

    def clean_address(self):
        return self._visible(self._not_blank("address"), "The address")

    @staticmethod
    def _visible(value: str, what: str) -> str:
        """Refuse characters that would make the text show as something it is not (core.text)."""
        found = invisible_formatting(value)
        if found:
            raise forms.ValidationError(
                f"{what} contains an invisible formatting character ({found}), which makes text show as "
                "something it is not: type it again without it."
            )
        return value

    def _not_blank(self, field: str) -> str:
        value = self.cleaned_data[field].strip()
        if not value:
            raise forms.ValidationError("This field is required.")
        return value
