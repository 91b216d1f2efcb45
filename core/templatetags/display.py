from django import template

from core.durations import human_duration

register = template.Library()


@register.filter
def is_first_error(bound_field) -> bool:
    """True for the first field of its form, in form order, that has errors: it gets the focus."""
    for field in bound_field.form:
        if field.errors:
            return field.name == bound_field.name
    return False


@register.filter
def seconds(value) -> str:
    """A duration in seconds, as a person reads it (core.durations)."""
    return human_duration(value)
