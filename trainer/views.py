"""The trainer's page: the switch, the scenarios, the shop's knobs, a batch of customers, live figures.
Staff with the permission to run the trainer only (trainer.access)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from workflow.engine_policy import APPLIES, FIELDS, PolicyRefused, current_policy, describe, set_policy
from workflow.models import current_store_mode, set_store_mode
from workflow.snapshot import process_snapshot

from . import stats
from .access import trainers_only
from .batch import send_made_up_customers
from .charts import wait_chart_svg
from .diagram import diagram_context
from .forms import BatchForm, KnobsForm, ModeForm, PolicyForm, ScenarioForm
from .models import TrainingSession
from .scenarios import SCENARIOS, apply_scenario
from .shop_control import ShopControl, ShopControlError

# htmx stops polling when the answer has this status (django_htmx.http.HttpResponseStopPolling).
STOP_POLLING = 286


def _page(request, *, knobs_form=None, batch_form=None, policy_form=None, status=200):
    control = ShopControl(timeout_s=1)
    policy = current_policy()
    shop_error = ""
    latency_s = 0.0
    if knobs_form is None:
        try:
            knobs = control.knobs()
            knobs_form, latency_s = KnobsForm(initial=knobs), float(knobs.get("latency_s") or 0)
        except ShopControlError as error:
            knobs_form, shop_error = KnobsForm(), str(error)
    context = {
        "mode_form": ModeForm(initial={"store_mode": current_store_mode()}),
        "knobs_form": knobs_form,
        "batch_form": batch_form or BatchForm(),
        "policy_form": policy_form or PolicyForm(initial=policy.as_dict()),
        "scenarios": SCENARIOS.values(),
        "shop_error": shop_error,
        "shop_timeout_s": policy.shop_timeout_s,
        # A latency at or above the app's timeout makes every call time out: say so where the knob is.
        "latency_times_out": latency_s >= policy.shop_timeout_s,
        **_figures(control),
        **diagram_context(_snapshot()),
    }
    return render(request, "trainer/trainer.html", context, status=status)


def _snapshot():
    """The process now, counted from the trainer's session start (stats.start_new_session)."""
    return process_snapshot(since=TrainingSession.load().started_at)


def _figures(control=None) -> dict:
    figures = stats.dashboard(control)
    chart = wait_chart_svg([(m.label.split(" (")[0], m.wait_p50_ms, m.wait_p95_ms) for m in figures["modes"]])
    return {**figures, "chart": chart}


@trainers_only
@require_GET
def trainer(request):
    return _page(request)


@trainers_only
@require_GET
def figures(request):
    """The live part of the page, polled by htmx."""
    return render(request, "trainer/partials/figures.html", _figures())


@trainers_only
@require_POST
def switch_mode(request):
    form = ModeForm(request.POST)
    if form.is_valid():
        set_store_mode(form.cleaned_data["store_mode"])
        messages.success(request, f"Store order now runs {form.cleaned_data['store_mode']}hronously.")
    else:
        messages.error(request, "Choose sync or async.")
    return redirect("trainer:page")


@trainers_only
@require_POST
def scenario(request):
    form = ScenarioForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Unknown scenario.")
        return redirect("trainer:page")
    try:
        apply_scenario(form.cleaned_data["scenario"])
    except (ShopControlError, PolicyRefused) as error:
        messages.error(request, f"Could not set the scenario: {error}.")
    else:
        messages.success(request, f"Scenario: {SCENARIOS[form.cleaned_data['scenario']].title}.")
    return redirect("trainer:page")


@trainers_only
@require_POST
def knobs(request):
    form = KnobsForm(request.POST)
    if form.is_valid():
        try:
            ShopControl().configure(**form.cleaned_data)
        except ShopControlError as error:
            for field, message in error.errors.items():
                form.add_error(field if field in form.fields else None, message)
            if not error.errors:
                form.add_error(None, str(error))
        else:
            messages.success(request, "The shop's knobs are set.")
            return redirect("trainer:page")
    return _page(request, knobs_form=form, status=200)


@trainers_only
@require_POST
def batch(request):
    form = BatchForm(request.POST)
    if not form.is_valid():
        return _page(request, batch_form=form)
    send_made_up_customers(form.cleaned_data["count"])
    messages.success(request, f"{form.cleaned_data['count']} made-up customers are ordering.")
    return redirect("trainer:page")


@trainers_only
@require_POST
def policy(request):
    form = PolicyForm(request.POST)
    if not form.is_valid():
        return _page(request, policy_form=form)
    in_force = set_policy(**{name: form.cleaned_data[name] for name in FIELDS})
    messages.success(request, f"Policy: {describe(in_force)}. {APPLIES}")
    return redirect("trainer:page")


@trainers_only
@require_POST
def new_session(request):
    stats.start_new_session()
    messages.success(request, "New session: the counters start at zero (no order was deleted).")
    return redirect("trainer:page")


@trainers_only
@require_GET
def diagram(request):
    """The live process diagram (staff): the whole page, or its drawing alone for htmx's refresh."""
    context = diagram_context(_snapshot())
    if request.htmx:
        return render(request, "trainer/partials/diagram.html", context)
    return render(request, "trainer/diagram.html", context)
