"""The customer's cancel step: GET shows what would be cancelled and asks to confirm (a plain form, so it
works without JavaScript); POST (CSRF-checked) asks for the cancellation and returns to the status page."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from orders.models import Order
from workflow.cancellation import NotCancellable, request_cancellation

from .views import HttpResponseSeeOther


@require_http_methods(["GET", "POST"])
def cancel_order(request, public_id):
    order = get_object_or_404(Order.objects.select_related("pizza"), public_id=public_id)
    if request.method == "POST":
        try:
            request_cancellation(order.pk, by="customer")
        except NotCancellable as refusal:
            order.refresh_from_db()
            return render(request, "storefront/cancel_confirm.html", {"order": order, "refusal": str(refusal)}, status=409)
        return HttpResponseSeeOther(order.get_absolute_url())
    return render(request, "storefront/cancel_confirm.html", {"order": order})
