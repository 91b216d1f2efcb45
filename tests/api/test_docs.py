"""The interactive docs load nothing from outside: Swagger UI comes from our own static files."""

import json
import re
from html.parser import HTMLParser

from django.contrib.staticfiles import finders
from django.templatetags.static import static


class References(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self.scripts = [], []
        self._in_json = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [attrs[name] for name in ("src", "href", "action", "data") if attrs.get(name)]
        self._in_json = tag == "script" and attrs.get("type") == "application/json"

    def handle_data(self, data):
        if self._in_json:
            self.scripts.append(data)
            self._in_json = False


def test_the_docs_page_references_only_local_static_files(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    page = References()
    page.feed(html)

    assert page.urls, "the page should load Swagger UI's files"
    prefix = static("")
    for url in page.urls:
        assert url.startswith(prefix), url
        assert finders.find(url.removeprefix(prefix)), f"{url} is not among the static files"
    assert not re.search(r"https?://", html), "an absolute URL in the docs page"
    [swagger_settings] = [json.loads(script) for script in page.scripts]
    assert swagger_settings["url"] == "/api/openapi.json"
    assert swagger_settings["validatorUrl"] is None  # Swagger UI would fetch a badge from validator.swagger.io


def test_the_script_that_starts_swagger_ui_loads_nothing_from_outside():
    with open(finders.find("ninja/swagger-ui-init.js")) as script:
        code = "\n".join(line for line in script if not line.lstrip().startswith("//"))
    assert not re.search(r"https?://|\bimport\b|fetch\(", code)
