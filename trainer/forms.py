from django import forms

from orders.models import StoreMode

from .scenarios import SCENARIOS

MAX_BATCH = 50


class ModeForm(forms.Form):
    store_mode = forms.ChoiceField(choices=StoreMode.choices, widget=forms.RadioSelect, label="Store order runs")


class ScenarioForm(forms.Form):
    scenario = forms.ChoiceField(choices=[(s.name, s.title) for s in SCENARIOS.values()])


class KnobsForm(forms.Form):
    """The shop's knobs. The shop validates them too; its errors come back onto these fields."""

    failure_rate = forms.FloatField(min_value=0, max_value=1, label="Failure rate (0–1)", widget=forms.NumberInput(attrs={"step": "0.05"}))
    latency_s = forms.FloatField(min_value=0, max_value=600, label="Latency (seconds)", widget=forms.NumberInput(attrs={"step": "0.5"}))
    lost_response_rate = forms.FloatField(min_value=0, max_value=1, label="Lost response rate (0–1)", widget=forms.NumberInput(attrs={"step": "0.05"}))
    down = forms.BooleanField(required=False, label="Shop is down")
    mode = forms.ChoiceField(
        choices=[("sync", "answers at once (sync)"), ("callback", "acknowledges, calls back later (callback)")],
        label="How the shop answers",
    )
    seed = forms.IntegerField(required=False, label="Seed (blank: random)")


class BatchForm(forms.Form):
    count = forms.IntegerField(min_value=1, max_value=MAX_BATCH, initial=10, label="Made-up customers")
