"""The shop simulator's URLs: the whole of what runshop serves (it never serves the app's)."""

from django.urls import path, re_path

from . import views

urlpatterns = [
    path("orders", views.OrdersView.as_view(), name="orders"),
    # `path`, so that any key can be looked up (a "/" in it is sent percent-encoded). The same route takes
    # POST orders/{key}/cancel: the view tells a look-up from a cancel by the method, so no key is shadowed.
    path("orders/<path:key_path>", views.LedgerEntryView.as_view(), name="ledger-entry"),
    path("settings", views.SettingsView.as_view(), name="settings"),
    path("reset", views.ResetView.as_view(), name="reset"),
    path("stats", views.StatsView.as_view(), name="stats"),
    path("health", views.HealthView.as_view(), name="health"),
    # Last: every other path gets a JSON 404. Matching everything also keeps CommonMiddleware's
    # APPEND_SLASH from redirecting (or, for a POST in DEBUG, failing) on an unknown path.
    re_path(r"", views.not_found),
]
