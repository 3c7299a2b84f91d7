"""Upload forms: a new dataset (a name and the three CSV files), a new version (any of the three)."""

from django import forms
from django.conf import settings

from engine import FILES

ALLOWED_SUFFIXES = (".csv", ".txt", ".tsv")
# Django cuts longer names to 255 characters; a name that long is refused rather than stored cut.
FILE_NAME_MAX = 200


def _validate_upload(upload) -> None:
    if len(upload.name) > FILE_NAME_MAX:
        raise forms.ValidationError(f"The file name is too long: at most {FILE_NAME_MAX} characters, please rename it.")
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise forms.ValidationError(
            f"“{upload.name}” is {upload.size / 1_048_576:.1f} MiB; the limit is {limit / 1_048_576:.0f} MiB."
        )
    if not upload.name.lower().endswith(ALLOWED_SUFFIXES):
        raise forms.ValidationError(f"“{upload.name}” is not a CSV file (expected .csv, .tsv or .txt).")


class DatasetUploadForm(forms.Form):
    name = forms.CharField(max_length=200, strip=True, help_text="A name to recognise this upload by.")
    namespaces_file = forms.FileField(label="Namespaces CSV", validators=[_validate_upload])
    datapoints_file = forms.FileField(label="Data points CSV", validators=[_validate_upload])
    columns_file = forms.FileField(label="Columns CSV", validators=[_validate_upload])

    def files_by_name(self) -> dict:
        return {file: self.cleaned_data[f"{file}_file"] for file in FILES}


class VersionUploadForm(forms.Form):
    """A new version: any of the three files; those left empty are carried over."""

    namespaces_file = forms.FileField(label="New namespaces CSV", required=False, validators=[_validate_upload])
    datapoints_file = forms.FileField(label="New data points CSV", required=False, validators=[_validate_upload])
    columns_file = forms.FileField(label="New columns CSV", required=False, validators=[_validate_upload])

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f"{file}_file") for file in FILES):
            raise forms.ValidationError("Choose at least one file to replace.")
        return cleaned

    def files_by_name(self) -> dict:
        return {file: self.cleaned_data.get(f"{file}_file") for file in FILES}
