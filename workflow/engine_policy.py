"""The engine's policy, live: attempts, backoff, shop timeout and callback deadline, kept in the database
(WorkflowSettings) like the store mode, so web and workers agree on it and the next attempt uses a change
without a restart. A field left empty in the database means the environment's default (settings).

django-q2's task `timeout` follows from the shop timeout (task_timeout_s), per task. Its `retry` cannot: it
is one value for the cluster, fixed at start (docs/ARCHITECTURE.md), sized in settings for SHOP_TIMEOUT_MAX_S. So a
shop timeout above that is refused here, and `retry > timeout` holds for every policy this module accepts.
"""

import math
from dataclasses import dataclass

from django.conf import settings

from core.timeouts import task_timeout_s as core_task_timeout_s
from django.db import transaction

from .models import WorkflowSettings
from .retry_policy import RetryPolicy

# Name in the database and on the command line -> (RetryPolicy field, the setting it defaults to).
FIELDS = {
    "max_attempts": "STORE_ORDER_MAX_ATTEMPTS",
    "backoff_s": "STORE_ORDER_BACKOFF_S",
    "backoff_cap_s": "STORE_ORDER_BACKOFF_CAP_S",
    "shop_timeout_s": "SHOP_TIMEOUT_S",
    "callback_deadline_s": "SHOP_CALLBACK_DEADLINE_S",
}
MAX_ATTEMPTS = 50
MAX_BACKOFF_S = 3600
MAX_CALLBACK_DEADLINE_S = 3600
MIN_SHOP_TIMEOUT_S = 0.5
# What a change reaches: an order's attempt budget is fixed when it is placed (Order.attempt_limit).
APPLIES = "Waits and timeouts apply to every order's next attempt; the number of attempts to orders placed from now on."


class PolicyRefused(ValueError):
    """The policy asked for cannot run; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class EnginePolicy:
    max_attempts: int
    backoff_s: float
    backoff_cap_s: float
    shop_timeout_s: float
    callback_deadline_s: float

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.max_attempts, base_delay_s=self.backoff_s, max_delay_s=self.backoff_cap_s,
            shop_timeout_s=self.shop_timeout_s, callback_deadline_s=self.callback_deadline_s,
        )

    @property
    def task_timeout_s(self) -> int:
        return task_timeout_s(self.shop_timeout_s)

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in FIELDS}


def task_timeout_s(shop_timeout_s: float) -> int:
    """django-q2's timeout for a store-order task whose calls to the shop wait up to `shop_timeout_s`: two
    calls (the attempt, and on the last one a look-up), each a connect and a read, plus the margin."""
    return core_task_timeout_s(shop_timeout_s, margin_s=settings.Q_TASK_MARGIN_S, connect_timeout_s=settings.SHOP_CONNECT_TIMEOUT_S)


def default_policy() -> EnginePolicy:
    return EnginePolicy(**{name: getattr(settings, setting) for name, setting in FIELDS.items()})


def current_policy() -> EnginePolicy:
    return policy_of(WorkflowSettings.load())


def current_mode_and_policy() -> tuple[str, EnginePolicy]:
    """The store mode and the policy in force, from one read of their row (the order form needs both)."""
    row = WorkflowSettings.load()
    return row.store_mode, policy_of(row)


def policy_of(row: WorkflowSettings) -> EnginePolicy:
    """The policy a settings row states, its empty fields filled from the environment's defaults."""
    defaults = default_policy()
    return EnginePolicy(**{
        name: getattr(row, name) if getattr(row, name) is not None else getattr(defaults, name) for name in FIELDS
    })


def _locked_row() -> WorkflowSettings:
    """The settings row, locked until the caller's transaction ends: two changes at once are checked and
    saved one after the other, never each against the other's old values."""
    WorkflowSettings.load()  # made if missing
    return WorkflowSettings.objects.select_for_update().get(pk=1)


def current_retry_policy() -> RetryPolicy:
    return current_policy().retry


def check_policy(policy: EnginePolicy) -> None:
    """Raise PolicyRefused naming every field that cannot run, and why."""
    # NaN fails every comparison, so the range checks below would let it through where they test "<" or ">".
    errors = {name: "a finite number" for name, value in policy.as_dict().items() if not math.isfinite(value)}
    if errors:
        raise PolicyRefused(errors)
    if not 1 <= policy.max_attempts <= MAX_ATTEMPTS:
        errors["max_attempts"] = f"between 1 and {MAX_ATTEMPTS} attempts"
    if not 0 <= policy.backoff_s <= MAX_BACKOFF_S:
        errors["backoff_s"] = f"between 0 and {MAX_BACKOFF_S} s"
    if not 0 <= policy.backoff_cap_s <= MAX_BACKOFF_S:
        errors["backoff_cap_s"] = f"between 0 and {MAX_BACKOFF_S} s"
    elif policy.backoff_cap_s < policy.backoff_s:
        errors["backoff_cap_s"] = (
            f"the longest wait ({policy.backoff_cap_s:g} s) cannot be shorter than the first one ({policy.backoff_s:g} s)"
        )
    if policy.shop_timeout_s < MIN_SHOP_TIMEOUT_S:
        errors["shop_timeout_s"] = f"at least {MIN_SHOP_TIMEOUT_S} s"
    elif policy.shop_timeout_s > settings.SHOP_TIMEOUT_MAX_S:
        errors["shop_timeout_s"] = (
            f"at most {settings.SHOP_TIMEOUT_MAX_S:g} s, the longest call the running worker cluster was sized for: "
            f"one task may make two calls (the order, then a look-up) plus margins, and the cluster hands a task out "
            f"again {settings.Q_TASK_RETRY_S} s after taking it (django-q2's retry, fixed when it starts). Restart the "
            "demo with a larger SHOP_TIMEOUT_MAX_S to go higher"
        )
    if not 1 <= policy.callback_deadline_s <= MAX_CALLBACK_DEADLINE_S:
        errors["callback_deadline_s"] = f"between 1 and {MAX_CALLBACK_DEADLINE_S} s"
    if errors:
        raise PolicyRefused(errors)


def set_policy(*, from_defaults: bool = False, **changes) -> EnginePolicy:
    """Change some fields of the live policy (None: leave as is), or with `from_defaults` set the
    environment's defaults changed by these; returns the policy in force. Raises PolicyRefused, changing
    nothing, if the result could not run."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise PolicyRefused({name: "not a field of the policy" for name in sorted(unknown)})
    changes = {name: value for name, value in changes.items() if value is not None}
    with transaction.atomic():
        row = _locked_row()
        base = default_policy() if from_defaults else policy_of(row)
        policy = EnginePolicy(**{**base.as_dict(), **changes})
        check_policy(policy)
        for name in FIELDS:
            if from_defaults or name in changes:
                setattr(row, name, changes.get(name))  # None: the environment's default
        # Only the policy's fields: a mode switch saved meanwhile stays.
        row.save(update_fields=[*FIELDS, "changed_at"])
    return policy


def reset_policy() -> EnginePolicy:
    """Back to the environment's defaults."""
    return set_policy(from_defaults=True)


def describe(policy: EnginePolicy) -> str:
    return (
        f"{policy.max_attempts} attempts, first wait {policy.backoff_s:g} s doubling up to {policy.backoff_cap_s:g} s "
        f"(±20 % jitter), shop timeout {policy.shop_timeout_s:g} s (task timeout {policy.task_timeout_s} s), "
        f"callback deadline {policy.callback_deadline_s:g} s"
    )
