from django import forms

from orders.models import StoreMode
from workflow.engine_policy import FIELDS, EnginePolicy, PolicyRefused, check_policy

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


class PolicyForm(forms.Form):
    """The engine's live policy. Its own limits are checked by workflow.engine_policy, whose reasons come
    back onto these fields (a shop timeout above what the running cluster allows, a cap below the first wait)."""

    max_attempts = forms.IntegerField(label="Attempts", min_value=1)
    backoff_s = forms.FloatField(label="First wait (s)", min_value=0, widget=forms.NumberInput(attrs={"step": "0.5"}))
    backoff_cap_s = forms.FloatField(label="Longest wait (s)", min_value=0, widget=forms.NumberInput(attrs={"step": "1"}))
    shop_timeout_s = forms.FloatField(label="Shop timeout (s)", min_value=0, widget=forms.NumberInput(attrs={"step": "1"}))
    callback_deadline_s = forms.FloatField(label="Callback deadline (s)", min_value=0, widget=forms.NumberInput(attrs={"step": "1"}))

    def full_clean(self):
        super().full_clean()
        for name in self.errors:  # the error is read with the field (its id is the template's)
            if name in self.fields:
                self.fields[name].widget.attrs.update({"aria-invalid": "true", "aria-describedby": f"id_{name}_error"})

    def clean(self):
        data = super().clean()
        if all(name in data for name in FIELDS):
            try:
                check_policy(EnginePolicy(**{name: data[name] for name in FIELDS}))
            except PolicyRefused as refusal:
                for name, message in refusal.errors.items():
                    self.add_error(name, message)
        return data
