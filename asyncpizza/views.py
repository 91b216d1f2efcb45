"""The site's own few views that belong to no app."""

from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.views.decorators.http import require_GET


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links; the icon is a static file."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
