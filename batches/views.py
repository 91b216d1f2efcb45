"""Staff pages: upload a CSV of orders, and follow a batch (a progress bar htmx keeps moving)."""

import uuid

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseStopPolling

from .forms import UploadForm
from .models import OrderBatch, RowStatus
from .staging import BatchRefused, stage_batch

STOP_POLLING = HttpResponseStopPolling.status_code  # 286: htmx stops polling
ROWS_SHOWN = 500  # the page lists this many rows; the API and the admin have them all


@staff_member_required
@require_http_methods(["GET", "POST"])
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None, initial={"submission": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        submission = form.cleaned_data["submission"]
        try:
            staging = stage_batch(
                form.cleaned_data["file"].read(), content_type="text/csv", source="staff upload",
                idempotency_key=f"upload:{submission}" if submission else None,
            )
        except BatchRefused as refusal:
            form.add_error("file", f"{refusal} {refusal.detail if refusal.detail != str(refusal) else ''}".strip())
        else:
            response = HttpResponseRedirect(staging.batch.get_absolute_url())
            response.status_code = 303  # the browser follows with a GET: a reload never stages the file again
            return response
    batches = OrderBatch.objects.all()[:20]
    return render(request, "batches/upload.html", {"form": form, "batches": batches},
                  status=422 if form.errors else 200)


@staff_member_required
@require_GET
def detail(request, public_id):
    batch = get_object_or_404(OrderBatch, public_id=public_id)
    counts = batch.counts()
    context = {"batch": batch, "counts": counts, "percent": batch.progress_percent(counts)}
    if request.htmx:
        return render(request, "batches/partials/progress.html", context, status=STOP_POLLING if batch.is_final else 200)
    rows = batch.rows.select_related("order").order_by("number")
    context.update(
        invalid_rows=rows.filter(status=RowStatus.INVALID),
        rows=rows[:ROWS_SHOWN], rows_shown=min(ROWS_SHOWN, batch.row_count),
    )
    return render(request, "batches/detail.html", context)
