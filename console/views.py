"""The console's pages: needs-attention with its bulk actions (staff, through the admin site), and /metrics."""

import hmac

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from core.permissions import missing_permission

from .actions import ACTIONS, carry_out, plan
from .attention import sections


# The page lists customers' orders: staff who may see orders (the admin's own rule: view or change); the
# bulk actions change them: staff who may change orders. admin_view has checked is_staff already.
MAY_SEE_ORDERS = ("orders.view_order", "orders.change_order")
MAY_CHANGE_ORDERS = "orders.change_order"


def needs_attention(request):
    if not any(request.user.has_perm(permission) for permission in MAY_SEE_ORDERS):
        raise PermissionDenied("Seeing orders needs the permission to view them.")
    context = {
        **admin.site.each_context(request),
        "title": "Needs attention",
        "sections": sections(),
        "actions": ACTIONS,
        "may_act": request.user.has_perm(MAY_CHANGE_ORDERS),  # else no checkboxes, no buttons
    }
    return TemplateResponse(request, "console/needs_attention.html", context)


@require_POST
def confirm_bulk_action(request):
    """First POST: what the action will do to the selected orders. Second POST (confirmed): do it."""
    if not request.user.has_perm(MAY_CHANGE_ORDERS):
        raise PermissionDenied("The bulk actions need the permission to change orders.")
    action_key = request.POST.get("action", "")
    if action_key not in ACTIONS:
        return HttpResponseBadRequest("Unknown action: choose one of " + ", ".join(ACTIONS))
    selected = request.POST.getlist("order")
    if not selected:
        messages.warning(request, "Select at least one order first.")
        return redirect("admin:needs_attention")
    proposal = plan(action_key, selected)
    if request.POST.get("confirmed") == "yes":
        done, skipped = carry_out(proposal)
        if done:
            messages.success(request, proposal.action.done.format(n=done))
        if skipped:
            messages.warning(request, f"Skipped {len(skipped)} order(s): " + "; ".join(
                f"{order.short_id}: {reason}" for order, reason in skipped))
        return redirect("admin:needs_attention")
    context = {
        **admin.site.each_context(request),
        "title": f"{proposal.action.label}?",
        "plan": proposal,
    }
    return TemplateResponse(request, "console/confirm_action.html", context)


# Reading /metrics in a session: its own permission (console.models.Metrics), not merely being staff.
VIEW_METRICS = "console.view_metrics"


@require_GET
def metrics(request):
    """Prometheus's text format; for sessions with the permission to read the metrics, or with
    `Authorization: Bearer $METRICS_TOKEN`."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    from .metrics import registry

    if not _has_metrics_token(request):
        if not _is_staff(request):
            response = HttpResponse("Log in as staff, or send Authorization: Bearer <METRICS_TOKEN>.\n",
                                    status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        if not request.user.has_perm(VIEW_METRICS):
            return HttpResponse(missing_permission("Reading the metrics", VIEW_METRICS, "Can read the metrics") + "\n",
                                status=403, content_type="text/plain; charset=utf-8")
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)


def _is_staff(request) -> bool:
    return request.user.is_active and request.user.is_staff


def _has_metrics_token(request) -> bool:
    expected = settings.METRICS_TOKEN
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not offered:
        return False
    return hmac.compare_digest(offered.strip().encode(), expected.encode())
