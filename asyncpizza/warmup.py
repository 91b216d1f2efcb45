"""What each web process does once, at start, instead of on its first requests: import the URLconf (with it
every view and the modules they import) and compile the customer's templates. Under gunicorn each process
imports the app itself; without this, the first requests a process took in a rush all waited for it, each
behind the import lock (bench.form_rush). No database is touched: a process still starts with it down."""

from django.template.base import Template
from django.template.loader import get_template
from django.template.loader_tags import ExtendsNode, IncludeNode
from django.urls import get_resolver

# The pages a customer opens first; the templates they extend and include are compiled with them.
TEMPLATES = ["storefront/order_form.html", "storefront/order_status.html", "storefront/partials/progress.html"]


def warm_up() -> None:
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports the URLconf and every view module it names
    resolver.reverse_dict  # noqa: B018 - and builds the table `{% url %}` and reverse() read
    for name in TEMPLATES:
        _compile(name, seen=set())


def _compile(name: str, *, seen: set[str]) -> None:
    """Load `name` through the template loaders (the cached loader keeps it compiled), then every template
    it extends or includes by a constant name: Django loads those only when it first renders."""
    if name in seen:
        return
    seen.add(name)
    template: Template = get_template(name).template
    for node in template.nodelist.get_nodes_by_type((ExtendsNode, IncludeNode)):
        expression = node.parent_name if isinstance(node, ExtendsNode) else node.template
        if isinstance(expression.var, str):
            _compile(str(expression.var), seen=seen)
