from django.urls import path

from . import views

app_name = "trainer"

urlpatterns = [
    path("", views.trainer, name="page"),
    path("figures/", views.figures, name="figures"),
    path("mode/", views.switch_mode, name="mode"),
    path("scenario/", views.scenario, name="scenario"),
    path("knobs/", views.knobs, name="knobs"),
    path("batch/", views.batch, name="batch"),
    path("policy/", views.policy, name="policy"),
    path("diagram/", views.diagram, name="diagram"),
    path("session/", views.new_session, name="new-session"),
]
