"""A web process is ready before its first request: loading the WSGI application (what each gunicorn process
does at start) imports the views and compiles the customer's templates, so the first customers of a new
process do not wait for it (bench.form_rush). Run in a fresh interpreter: this one has imported everything."""

import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import json, sys
import asyncpizza.wsgi
from django.template import engines
loader = engines["django"].engine.template_loaders[0]
print(json.dumps({"views": "storefront.views" in sys.modules,
                  "templates": sorted(key for key in loader.get_template_cache if isinstance(key, str))}))
"""


def test_loading_the_wsgi_application_imports_the_views_and_compiles_the_form_and_its_parts():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "asyncpizza.settings", "DJANGO_DEBUG": "false",
           "DJANGO_ALLOW_DEMO_SECRETS": "true"}
    probe = subprocess.run([sys.executable, "-W", "ignore", "-c", PROBE], cwd=settings.BASE_DIR, env=env,
                           capture_output=True, text=True, timeout=120, check=True)
    loaded = json.loads(probe.stdout.strip().splitlines()[-1])
    assert loaded["views"]
    assert {"storefront/order_form.html", "base.html", "storefront/partials/input.html",
            "storefront/order_status.html"} <= set(loaded["templates"])
