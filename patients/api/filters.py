"""Query-string filters for list endpoints. They narrow a queryset that already went through visible_to()."""

import django_filters
from django_filters import rest_framework as filters

from patients.models import BodySite, Case, CaseStatus, Patient


class _ArchivedFilterSet(filters.FilterSet):
    include_archived = filters.BooleanFilter(
        method="_include_archived", help_text="1 or true to include archived records (left out by default)."
    )

    def _include_archived(self, queryset, name, value):
        return queryset  # applied in filter_queryset, so that leaving it out means "active only"

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("include_archived"):
            queryset = queryset.active()
        return super().filter_queryset(queryset)


class PatientFilter(_ArchivedFilterSet):
    search = filters.CharFilter(
        method="_search", help_text="Any part of the medical record number, words of the first or last name, or a date of birth (14/03/1986 or 1986-03-14)."
    )
    # The patient list page's parameter, so that a page's query string works on the API too.
    q = filters.CharFilter(method="_search", help_text="The same as `search` (the patient list page's name for it).")

    class Meta:
        model = Patient
        fields = ["search", "q", "include_archived"]

    def _search(self, queryset, name, value):
        return queryset.search(value)


class CaseFilter(_ArchivedFilterSet):
    patient = django_filters.UUIDFilter(field_name="patient__public_id", help_text="The patient's public id.")
    status = filters.ChoiceFilter(choices=CaseStatus.choices)
    body_site = filters.ChoiceFilter(choices=BodySite.choices)

    class Meta:
        model = Case
        fields = ["patient", "status", "body_site", "include_archived"]
