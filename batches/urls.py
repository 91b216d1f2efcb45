from django.urls import path

from . import views

app_name = "batches"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("<uuid:public_id>/", views.detail, name="detail"),
]
