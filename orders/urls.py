from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("", views.order_form, name="form"),
    path("price/", views.price_preview, name="price"),
    path("orders/<uuid:public_id>/", views.order_status, name="status"),
    path("mailbox/", views.mailbox, name="mailbox"),
]
