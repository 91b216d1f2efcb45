"""Every customer-facing address. The paths are contracts (README, "Contracts"): they never change."""

from django.urls import path

from . import views
from .cancel_views import cancel_order

app_name = "storefront"

urlpatterns = [
    path("", views.order_form, name="form"),
    path("price/", views.price_preview, name="price"),
    path("orders/<uuid:public_id>/", views.order_status, name="status"),
    path("orders/<uuid:public_id>/cancel/", cancel_order, name="cancel"),
    path("orders/<uuid:public_id>/diagram/", views.order_diagram, name="diagram"),
    path("mailbox/", views.mailbox, name="mailbox"),
]
