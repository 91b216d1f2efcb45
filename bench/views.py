from django.http import HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_http_methods

from .models import BareRow


@require_http_methods(["GET", "POST"])
def bare(request):
    """The floor: GET answers a few bytes; POST (CSRF-checked like the form) inserts one row and redirects."""
    if request.method == "POST":
        row = BareRow.objects.create(note=request.POST.get("note", "")[:100])
        return HttpResponseRedirect(f"/bench/bare/?row={row.pk}", status=303)
    return HttpResponse(b"ok", content_type="text/plain")
