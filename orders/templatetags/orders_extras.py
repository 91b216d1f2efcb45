from django import template

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
    """A duration in seconds, as a person reads it: '0.4 s', '12 s', '2 min 5 s'."""
    if value is None:
        return ""
    value = float(value)
    if value < 10:
        return f"{value:.1f} s"
    if value < 60:
        return f"{value:.0f} s"
    minutes, rest = divmod(round(value), 60)
    return f"{minutes} min {rest} s"
