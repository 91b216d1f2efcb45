from django import template

from ..timeline import layout, timeline_items

register = template.Library()


@register.inclusion_tag("console/timeline.html")
def order_timeline(order):
    items = timeline_items(order)
    return {"order": order, "items": items, **layout(items)}
