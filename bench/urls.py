from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/bare/", views.bare, name="bench-bare"),
    path("", include("asyncpizza.urls")),
]
