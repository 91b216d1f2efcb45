from django.urls import path

from . import views

app_name = "workflow"

urlpatterns = [
    path("shop", views.shop_webhook, name="shop-webhook"),
]
