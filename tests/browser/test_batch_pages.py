"""Bulk orders in a real Chromium: staff upload a caterer's CSV, see a bad file refused beside the field, then
follow the batch's page while its progress bar moves to the end, and read the rows' errors; the admin lists
the batch with its invalid rows. axe-core checks each page."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from batches.models import OrderBatch

from ..batches.helpers import batch_rows, csv_text
from .axe import assert_accessible
from .pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.cluster]

STAFF_PASSWORD = "a-long-staff-password-3"


@pytest.fixture
def staff_user(transactional_db):
    return get_user_model().objects.create_superuser("caterer-desk", "desk@asyncpizza.example", STAFF_PASSWORD)


def test_staff_upload_a_csv_and_watch_the_batch_move_to_its_end(staff_page, staff_user, cluster, shop, tmp_path):
    page = staff_page
    page.goto("/batches/")
    log_in(page, username="caterer-desk", password=STAFF_PASSWORD)
    expect(page.get_by_role("heading", name="Bulk orders", level=1)).to_be_visible()
    assert_accessible(page)

    # A file without the header: refused beside the field, nothing staged.
    wrong = tmp_path / "guests.csv"
    wrong.write_text("margherita,large,1,Ada,ada@example.com,1 Hall\n")
    page.get_by_label("CSV file").set_input_files(str(wrong))
    page.get_by_role("button", name="Stage the batch").click()
    expect(page.locator("#file-error")).to_contain_text("pizza,size,quantity,name,email,address")
    expect(page.get_by_label("CSV file")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    assert not OrderBatch.objects.exists()

    good = tmp_path / "banquet.csv"
    good.write_text(csv_text(batch_rows(120, bad={30, 91})))
    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Stage the batch").click()
    expect(page.get_by_role("heading", name="Batch", level=1)).to_contain_text("Batch")
    # Record every value the bar takes while htmx swaps it in, until the batch is final.
    page.evaluate(
        """() => {
            window.barValues = [];
            const note = () => { const bar = document.querySelector('progress.batch-bar');
                                 if (bar) window.barValues.push(bar.value); };
            note();
            new MutationObserver(note).observe(document.body, {childList: true, subtree: true, attributes: true});
        }"""
    )
    assert_accessible(page)
    expect(page.locator("[data-batch-status]")).to_have_attribute("data-batch-status", "done_with_errors", timeout=120_000)
    values = page.evaluate("window.barValues")
    assert values[-1] == 100
    assert len({v for v in values if 0 < v < 100}) >= 2, values  # it moved, in steps, not from nothing to all
    assert values == sorted(values), values  # and only forwards
    expect(page.locator('[data-count="confirmed"]')).to_have_text("118")
    expect(page.locator('[data-count="invalid"]')).to_have_text("2")

    page.reload()
    errors = page.get_by_role("table").filter(has_text="Problem")
    expect(errors.locator("tbody tr")).to_have_count(2)
    expect(errors.locator("tbody tr").first).to_contain_text("30")
    assert_accessible(page)

    batch = OrderBatch.objects.get()
    page.goto(f"/admin/batches/orderbatch/{batch.pk}/change/")
    expect(page.get_by_text("all 120 rows, with their orders")).to_be_visible()
    expect(page.locator(".inline-group").get_by_text("row", exact=False).first).to_be_visible()
    page.get_by_text("all 120 rows, with their orders").click()
    expect(page.get_by_text("120 batch rows")).to_be_visible()
