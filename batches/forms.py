import uuid

from django import forms
from django.conf import settings


class UploadForm(forms.Form):
    """A staff member's CSV of orders: the header pizza,size,quantity,name,email,address, one order a line."""

    file = forms.FileField(
        label="CSV file",
        help_text=f"First line: pizza,size,quantity,name,email,address. At most {settings.BATCH_MAX_ROWS:,} rows "
        f"and {settings.BATCH_MAX_BYTES // 1_000_000} MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    # One id per form shown, sent back hidden: the same upload twice (a double click) stages one batch.
    submission = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.BATCH_MAX_BYTES:
            raise forms.ValidationError(
                f"The file has {upload.size:,} bytes, more than BATCH_MAX_BYTES ({settings.BATCH_MAX_BYTES:,}): split it."
            )
        return upload
