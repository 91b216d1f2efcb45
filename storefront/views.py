"""The customer's pages: the order form and its price line, the status page, the order's own diagram, and the
demo's mailbox (staff). The cancel step is in cancel_views.py."""

import uuid

from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods

from core.permissions import staff_with_permission
from core.rate_limit import RateLimited, count_order_request
from .forms import OrderForm
from orders.mailbox import read_mailbox
from orders.menu import quote
from orders.models import Order, Pizza
from orders.process import OrderNotPlaced, process
from trainer.diagram import diagram_context
from workflow.snapshot import process_snapshot


class HttpResponseSeeOther(HttpResponseRedirect):
    """303: the browser follows with a GET, so reloading the status page never submits the order again."""

    status_code = 303


# htmx stops polling when the answer has this status (django_htmx.http.HttpResponseStopPolling).
STOP_POLLING = 286


@require_http_methods(["GET", "POST"])
def order_form(request):
    """The form; its POST starts the order process (through orders.process: the workflow registers it)."""
    form = OrderForm(request.POST or None, initial={"submission": uuid.uuid4()})
    limited = None
    if request.method == "POST":
        try:
            count_order_request(request)
        except RateLimited as error:
            limited = error
            form.add_error(None, str(error))  # the input stays: the customer submits it again after the wait
    if request.method == "POST" and not limited and form.is_valid():
        fields = dict(form.cleaned_data)
        submission = fields.pop("submission")
        try:
            order = process().submit(source="form", client_key=submission and str(submission), **fields)
        except OrderNotPlaced as error:
            form.add_error(None, str(error))  # the input stays, so the customer can decide to submit again
        else:
            return HttpResponseSeeOther(order.get_absolute_url())
    context = {"form": form, "menu": Pizza.objects.available(), "store_mode": process().store_mode()}
    response = render(request, "storefront/order_form.html", context, status=429 if limited else 200)
    if limited:
        response["Retry-After"] = str(limited.retry_after_s)
    return response


@require_GET
def price_preview(request):
    """The price line of the form, recomputed by htmx as size and quantity change."""
    form = OrderForm(request.GET)
    form.is_valid()  # only the fields that made it through matter here
    data = form.cleaned_data
    total = None
    if all(key in data for key in ("pizza", "size", "quantity")):
        _, total = quote(pizza=data["pizza"], size=data["size"], quantity=data["quantity"])
    return render(request, "storefront/partials/price.html", {"total": total})


@require_GET
def order_status(request, public_id):
    order = get_object_or_404(Order.objects.select_related("pizza"), public_id=public_id)
    context = {"order": order, "attempts": order.attempts.all(), "events": order.events.all()}
    if request.htmx:
        # Announce to screen readers only what changed since the poll that asked ("seen").
        context["announce"] = request.GET.get("seen") != order.progress_version
        return render(
            request, "storefront/partials/progress.html", context, status=STOP_POLLING if order.is_final else 200
        )
    return render(request, "storefront/order_status.html", context)


@staff_with_permission("orders.view_order", also=("orders.change_order",), label="Can view order",
                       needed_for="Reading the mailbox")
@require_GET
def mailbox(request):
    """The demo's mailbox: mails carry customers' names and addresses, so staff who may view orders only (the
    admin's own rule: view or change)."""
    return render(request, "storefront/mailbox.html", {"mails": read_mailbox()})


@require_GET
def order_diagram(request, public_id):
    """One order's place in the process, for its customer (the address is as unguessable as the status
    page's). Polls until the order is done. The drawing is the trainer's (trainer.diagram)."""
    order = get_object_or_404(Order, public_id=public_id)
    context = diagram_context(process_snapshot(), order=order)
    if request.htmx:
        done = context["lit"] == "done"
        return render(request, "trainer/partials/diagram.html", context, status=STOP_POLLING if done else 200)
    return render(request, "storefront/order_diagram.html", context)
