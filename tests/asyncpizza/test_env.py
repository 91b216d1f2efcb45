"""Reading settings from the environment: clear errors for bad values, defaults when unset."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from asyncpizza.settings.env import env_bool, env_float, env_int, env_list


def test_defaults_apply_when_unset_or_empty(monkeypatch):
    monkeypatch.delenv("AP_TEST", raising=False)
    assert env_int("AP_TEST", 3) == 3
    monkeypatch.setenv("AP_TEST", "")
    assert env_float("AP_TEST", 1.5) == 1.5 and env_bool("AP_TEST", True) is True and env_list("AP_TEST", ["a"]) == ["a"]


def test_values_are_parsed(monkeypatch):
    monkeypatch.setenv("AP_TEST", "7")
    assert env_int("AP_TEST", 3) == 7 and env_float("AP_TEST", 1.0) == 7.0
    monkeypatch.setenv("AP_TEST", "off")
    assert env_bool("AP_TEST", True) is False
    monkeypatch.setenv("AP_TEST", "a.example, b.example ,")
    assert env_list("AP_TEST", []) == ["a.example", "b.example"]


@pytest.mark.parametrize(
    "reader, raw, message",
    [
        (lambda: env_int("AP_TEST", 1, minimum=1), "three", "must be a whole number"),
        (lambda: env_int("AP_TEST", 1, minimum=1), "0", "must be at least 1"),
        (lambda: env_float("AP_TEST", 1.0, minimum=0.1), "fast", "must be a number"),
        (lambda: env_bool("AP_TEST", False), "maybe", "must be a boolean"),
    ],
)
def test_a_bad_value_names_the_variable(monkeypatch, reader, raw, message):
    monkeypatch.setenv("AP_TEST", raw)
    with pytest.raises(ImproperlyConfigured, match=f"AP_TEST {message}"):
        reader()


def test_a_rate_reads_as_count_and_period(monkeypatch):
    from asyncpizza.settings.env import env_rate

    monkeypatch.setenv("AP_TEST", "60/m")
    assert env_rate("AP_TEST", "1/s") == (60, 60)
    monkeypatch.setenv("AP_TEST", "off")
    assert env_rate("AP_TEST", "1/s") is None
    for raw in ("60", "0/m", "ten/m", "60/week"):
        monkeypatch.setenv("AP_TEST", raw)
        with pytest.raises(ImproperlyConfigured, match="AP_TEST must look like 60/m"):
            env_rate("AP_TEST", "1/s")
