"""Forms: a new dataset (a name and the three files, or one workbook holding all three, each within
the size limit), a new version (any of the three files, or a workbook), and the GET parameters of the
anomaly list and the source-line view."""

import re

from django import forms
from django.conf import settings

from contract import CATALOGUE, FILES, AnomalyStatus, Severity
from uploads.models import AcceptanceScope

# A file of the dataset may be CSV text or an .xlsx workbook (the engine tells them apart by content).
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
WORKBOOK_SUFFIXES = (".xlsx",)
ALLOWED_SUFFIXES = (*CSV_SUFFIXES, *WORKBOOK_SUFFIXES)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What the file chooser offers; the server still checks the name and the size.
ACCEPT = ",".join((*CSV_SUFFIXES, "text/csv", "text/plain", "text/tab-separated-values", *WORKBOOK_SUFFIXES, XLSX_TYPE))
WORKBOOK_ACCEPT = ",".join((*WORKBOOK_SUFFIXES, XLSX_TYPE))
# Django cuts longer names to 255 characters; a name that long is refused rather than stored cut.
FILE_NAME_MAX = 200
# The server fills these in, and so does static/js/upload-check.js from the inputs' data-* attributes
# (`upload_rules`): one wording and one set of limits on both sides.
NAME_TOO_LONG = "The file name is too long: at most {name_max} characters, please rename it."
TOO_LARGE = "“{name}” is {size} MiB; the limit is {limit} MiB."
NOT_CSV = "“{name}” is not a CSV file or an .xlsx workbook (expected .csv, .tsv, .txt or .xlsx)."
NOT_WORKBOOK = "“{name}” is not an .xlsx workbook (expected .xlsx; an old .xls must be saved again as .xlsx)."
EMPTY = forms.FileField.default_error_messages["empty"]
FILES_OR_WORKBOOK = "Choose either the three files or one workbook, not both."
NOTHING_CHOSEN = "Choose the three files, or one workbook holding all three."


def _mib(size: int, decimals: int) -> str:
    # the browser writes toFixed(decimals): the same text, but that an exact tie rounds up there, to even here
    return f"{size / 1_048_576:.{decimals}f}"


def _validate_upload(upload, *, suffixes=ALLOWED_SUFFIXES, wrong=NOT_CSV) -> None:
    if len(upload.name) > FILE_NAME_MAX:
        raise forms.ValidationError(NAME_TOO_LONG.format(name_max=FILE_NAME_MAX))
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise forms.ValidationError(TOO_LARGE.format(name=upload.name, size=_mib(upload.size, 1), limit=_mib(limit, 0)))
    if not upload.name.lower().endswith(suffixes):
        raise forms.ValidationError(wrong.format(name=upload.name))


def _validate_workbook(upload) -> None:
    _validate_upload(upload, suffixes=WORKBOOK_SUFFIXES, wrong=NOT_WORKBOOK)


def upload_rules(*, suffixes=ALLOWED_SUFFIXES, wrong=NOT_CSV) -> dict[str, str]:
    """The rules of `_validate_upload` (and Django's empty-file check, which runs first) as data-*
    attributes, read when the form is rendered so a changed setting is followed; {name} and {size}
    are left for the browser to fill in."""
    return {
        "data-max-bytes": str(settings.UPLOAD_MAX_BYTES),
        "data-name-max": str(FILE_NAME_MAX),
        "data-suffixes": " ".join(suffixes),
        "data-message-empty": str(EMPTY),
        "data-message-name": NAME_TOO_LONG.format(name_max=FILE_NAME_MAX),
        "data-message-size": TOO_LARGE.format(name="{name}", size="{size}", limit=_mib(settings.UPLOAD_MAX_BYTES, 0)),
        "data-message-suffix": wrong.format(name="{name}"),
    }


class CsvFileInput(forms.ClearableFileInput):
    """A file chooser that carries the server's rules, for static/js/upload-check.js."""

    rules = {}

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].update(upload_rules(**self.rules))
        return context


class WorkbookFileInput(CsvFileInput):
    rules = {"suffixes": WORKBOOK_SUFFIXES, "wrong": NOT_WORKBOOK}


class UploadBoundField(forms.BoundField):
    """A file field of an upload form, which knows the file it was sent when the form comes back with
    errors: a browser cannot keep a chosen file across a page load, so the page names the files to
    choose again."""

    @property
    def file_sent(self) -> str:
        """The name of the file sent in this field, when the form came back."""
        if not self.form.is_bound or not self.form.errors:
            return ""
        upload = self.form.files.get(self.html_name)
        return upload.name if upload else ""

    @property
    def file_to_choose_again(self) -> str:
        """The name of a file that was fine but is lost; a wrong file's error message says the rest."""
        return "" if self.errors else self.file_sent

    @property
    def aria_describedby(self):
        described = super().aria_describedby
        if described is not None and self.file_to_choose_again:
            described = f"{described} {self.auto_id}_again".strip()
        return described


def _csv_field(label: str, *, required: bool = True) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=required,
        validators=[_validate_upload],
        widget=CsvFileInput({"accept": ACCEPT}),
        bound_field_class=UploadBoundField,
    )


def _workbook_field(label: str) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=False,
        validators=[_validate_workbook],
        widget=WorkbookFileInput({"accept": WORKBOOK_ACCEPT}),
        bound_field_class=UploadBoundField,
        help_text="Instead of the three files: one .xlsx with the sheets namespaces, datapoints and columns.",
    )


class _UploadForm(forms.Form):
    def files_to_choose_again(self) -> list[str]:
        """The labels of the file fields whose file was sent with a form that came back."""
        return [field.label for field in self if getattr(field, "file_sent", "")]

    def workbook(self):
        """The one workbook chosen for the three files, or None."""
        return self.cleaned_data.get("workbook")

    def _files_or_workbook(self, cleaned: dict, *, all_files: bool) -> None:
        chosen = [file for file in FILES if cleaned.get(f"{file}_file")]
        if cleaned.get("workbook"):
            if chosen:
                raise forms.ValidationError(FILES_OR_WORKBOOK)
            return
        if "workbook" in self.errors:  # a wrong workbook was chosen: its own message says it
            return
        if not chosen and not any(f"{file}_file" in self.errors for file in FILES):
            raise forms.ValidationError(NOTHING_CHOSEN if all_files else "Choose at least one file to replace.")
        if all_files:
            for file in FILES:
                if file not in chosen and f"{file}_file" not in self.errors:
                    self.add_error(f"{file}_file", forms.Field.default_error_messages["required"])


class DatasetUploadForm(_UploadForm):
    name = forms.CharField(max_length=200, strip=True, help_text="A name to recognise this upload by.")
    namespaces_file = _csv_field("Namespaces CSV", required=False)
    datapoints_file = _csv_field("Data points CSV", required=False)
    columns_file = _csv_field("Columns CSV", required=False)
    workbook = _workbook_field("Or one workbook (.xlsx)")

    def clean(self):
        cleaned = super().clean()
        self._files_or_workbook(cleaned, all_files=True)
        return cleaned

    def files_by_name(self) -> dict:
        return {file: self.cleaned_data[f"{file}_file"] for file in FILES}


class VersionUploadForm(_UploadForm):
    """A new version: any of the three files (those left empty are carried over), or one workbook."""

    namespaces_file = _csv_field("New namespaces CSV", required=False)
    datapoints_file = _csv_field("New data points CSV", required=False)
    columns_file = _csv_field("New columns CSV", required=False)
    workbook = _workbook_field("Or one new workbook (.xlsx)")

    def clean(self):
        cleaned = super().clean()
        self._files_or_workbook(cleaned, all_files=False)
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
    # none: "needs attention" (every anomaly nobody accepted); `open` says the same; `all`: all
    status = forms.ChoiceField(choices=_choices([*AnomalyStatus, "open", "all"]), required=False)
    group = forms.RegexField(regex=r"^[0-9a-f]{40}$", required=False)

    FILTERS = ("file", "code", "severity", "status")

    def filters(self) -> dict[str, str]:
        """The valid filters ("" for none or an unknown value)."""
        self.is_valid()
        return {name: self.cleaned_data.get(name) or "" for name in self.FILTERS}

    def group_asked(self) -> str:
        """The fingerprint of the one group whose anomalies to list ("" for none)."""
        self.is_valid()
        return self.cleaned_data.get("group") or ""

    def unknown(self) -> list[str]:
        """Notes for the filter values that were ignored."""
        self.is_valid()
        return [
            f"No {name} is called “{self.data.get(name)}”; that filter is ignored."
            for name in self.FILTERS
            if name in self.errors
        ]


class AnomalyAcceptForm(forms.Form):
    """Accept one anomaly (its fingerprint) or a group (file, code, field and value)."""

    scope = forms.ChoiceField(choices=AcceptanceScope.choices)
    fingerprint = forms.RegexField(regex=r"^[0-9a-f]{40}$", required=False)
    file = forms.ChoiceField(choices=[(f, f) for f in FILES])
    code = forms.ChoiceField(choices=[(str(c), str(c)) for c in CATALOGUE])
    field = forms.CharField(max_length=200, required=False, strip=False)
    value = forms.CharField(max_length=200, required=False, strip=False)
    note = forms.CharField(max_length=2000, required=False)
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") == AcceptanceScope.ANOMALY and not cleaned.get("fingerprint"):
            raise forms.ValidationError("Say which anomaly to accept.")
        return cleaned


class FixesForm(forms.Form):
    """The groups (their fingerprints) whose fixes to apply; anything else given is left out."""

    def clean(self):
        return {"group": [value for value in self.data.getlist("group") if re.fullmatch(r"[0-9a-f]{40}", value)]}


class AnomalyUndoForm(forms.Form):
    fingerprint = forms.RegexField(regex=r"^[0-9a-f]{40}$")


class SourceLineForm(forms.Form):
    line = forms.IntegerField(min_value=1)
    field = forms.CharField(required=False, max_length=200)
    code = forms.ChoiceField(choices=_choices(CATALOGUE), required=False)
