"""Forms of the token and webhook pages."""

from django import forms

from uploads.models import Dataset


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=100, strip=True, help_text="What the token is for, e.g. “nightly export”.")
    days = forms.IntegerField(min_value=0, max_value=3650, help_text="Days until it expires (0: never).")


class WebhookCreateForm(forms.Form):
    url = forms.URLField(
        max_length=500, assume_scheme="https", help_text="Receives a signed POST per finished version."
    )
    dataset = forms.ModelChoiceField(
        queryset=Dataset.objects.filter(deleting=False),
        required=False,
        empty_label="every dataset",
        help_text="Only this dataset's versions, or every dataset's.",
    )
