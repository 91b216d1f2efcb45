from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    """The customer's pages: the order form, the status page, the cancel step, the order's own diagram (and
    the demo's mailbox, where staff read the mails those customers got). Views only: the order's rules live in
    `orders` (the domain), the process in `workflow`, the diagram's drawing in `trainer`."""

    name = "storefront"
