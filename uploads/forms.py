"""Forms: a new dataset (a name and the three CSV files, each within the size limit), a new
version (any of the three), and the GET parameters of the anomaly list and the source-line view."""

from django import forms
from django.conf import settings

from engine import CATALOGUE, FILES, Severity

ALLOWED_SUFFIXES = (".csv", ".txt", ".tsv")
# What the file chooser offers; the server still checks the name and the size.
ACCEPT = ",".join((*ALLOWED_SUFFIXES, "text/csv", "text/plain", "text/tab-separated-values"))
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


def _csv_field(label: str, *, required: bool = True) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=required,
        validators=[_validate_upload],
        widget=forms.ClearableFileInput({"accept": ACCEPT}),
    )


class DatasetUploadForm(forms.Form):
    name = forms.CharField(max_length=200, strip=True, help_text="A name to recognise this upload by.")
    namespaces_file = _csv_field("Namespaces CSV")
    datapoints_file = _csv_field("Data points CSV")
    columns_file = _csv_field("Columns CSV")

    def files_by_name(self) -> dict:
        return {file: self.cleaned_data[f"{file}_file"] for file in FILES}


class VersionUploadForm(forms.Form):
    """A new version: any of the three files; those left empty are carried over."""

    namespaces_file = _csv_field("New namespaces CSV", required=False)
    datapoints_file = _csv_field("New data points CSV", required=False)
    columns_file = _csv_field("New columns CSV", required=False)

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f"{file}_file") for file in FILES):
            raise forms.ValidationError("Choose at least one file to replace.")
        return cleaned

    def files_by_name(self) -> dict:
        return {file: self.cleaned_data.get(f"{file}_file") for file in FILES}


def _choices(values) -> list[tuple[str, str]]:
    return [("", "all"), *((str(v), str(v)) for v in values)]


class AnomalyFilterForm(forms.Form):
    """The anomaly list's filters; a value that is no choice is reported, then ignored."""

    file = forms.ChoiceField(choices=_choices(FILES), required=False)
    code = forms.ChoiceField(choices=_choices(CATALOGUE), required=False)
    severity = forms.ChoiceField(choices=_choices(Severity), required=False)
    page = forms.IntegerField(min_value=1, required=False)

    FILTERS = ("file", "code", "severity")

    def filters(self) -> dict[str, str]:
        """The valid filters ("" for none or an unknown value)."""
        self.is_valid()
        return {name: self.cleaned_data.get(name) or "" for name in self.FILTERS}

    def page_number(self) -> int:
        self.is_valid()
        return self.cleaned_data.get("page") or 1

    def unknown(self) -> list[str]:
        """Notes for the filter values that were ignored."""
        self.is_valid()
        return [
            f"No {name} is called “{self.data.get(name)}”; that filter is ignored."
            for name in self.FILTERS
            if name in self.errors
        ]


class SourceLineForm(forms.Form):
    line = forms.IntegerField(min_value=1)
    field = forms.CharField(required=False, max_length=200)
    code = forms.ChoiceField(choices=_choices(CATALOGUE), required=False)
