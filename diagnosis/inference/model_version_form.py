"""The admin's model version page: the card as readable figures, and the form that guards switching the active
version off (diagnosis.inference.model_activation)."""

import json

from django import forms
from django.template.loader import render_to_string

from diagnosis.inference.model_activation import model_version_switch_off
from diagnosis.inference.model_card import card_figures
from diagnosis.models import ModelVersion


def card_figures_html(version: ModelVersion) -> str:
    """The card's figures as an auto-escaped template renders them (safe to show as is)."""
    return render_to_string("admin/diagnosis/modelversion/_card_figures.html",
                            {"figures": card_figures(version.card, version.classes)})


def card_json_html(version: ModelVersion) -> str:
    return render_to_string("admin/diagnosis/modelversion/_card_json.html",
                            {"card": json.dumps(version.card, indent=2, sort_keys=False, default=str)})


class ModelVersionForm(forms.ModelForm):
    confirm_switch_off = forms.BooleanField(
        required=False, label="Switch off the only active model",
        help_text="New uploads get no AI opinion until a version is made active again.",
    )

    class Meta:
        model = ModelVersion
        fields = ["is_active", "notes"]

    user = None  # set by the admin for the audit trail

    def clean_notes(self):
        # A browser sends a textarea's line breaks as \r\n: kept as \n, a save that changes nothing changes nothing.
        return self.cleaned_data["notes"].replace("\r\n", "\n")

    def clean(self):
        cleaned = super().clean()
        version = self.instance
        if version.pk and version.is_active and not cleaned.get("is_active"):
            # Switched off here (in the admin's transaction), or refused / warned with nothing changed.
            model_version_switch_off(version=version, by=self.user, confirmed=bool(cleaned.get("confirm_switch_off")))
        return cleaned
