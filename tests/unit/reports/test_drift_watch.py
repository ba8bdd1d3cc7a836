"""The drift watch on database rows: weekly counts per clinic and model version in one query, scoped to the user's
clinic (no leak to another clinic), shown with its warnings on the performance page and in the admin, audited."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dermplatform.audit.models import Action, AuditEvent
from diagnosis.reports.selectors import drift_watch, drift_weekly_counts
from patients.models import LesionImage
from tests.factories import CaseFactory, LesionImageFactory, ModelVersionFactory, PatientFactory, PredictionFactory

pytestmark = pytest.mark.django_db

REFERENCE = {"n": 1500, "not_assessable": 0.03, "mel_flag": 0.25, "malignant_flag": 0.35, "mean_p_mel": 0.2,
             "sd_p_mel": 0.25}
LAST_MONDAY = timezone.localdate() - timedelta(days=timezone.localdate().weekday(), weeks=1)
WARNING = (f"Week of {LAST_MONDAY.isoformat()}: 40 % of images not assessable, expected about 3 % — has the "
           "dermoscope or the way images are taken changed?")


@pytest.fixture
def version(db):
    return ModelVersionFactory(name="drift-model", card={"drift_reference": REFERENCE}, is_active=True)


def _week_of_images(*, clinic, version, images, not_assessable, mel_score=0.2, monday=LAST_MONDAY):
    """`images` predictions on images uploaded on the Tuesday of the week, `not_assessable` of them refused; flags
    and P(mel) otherwise as the reference expects (a quarter flagged for melanoma, a third for malignancy)."""
    case = CaseFactory(patient=PatientFactory(clinic=clinic))
    made = [
        PredictionFactory(image=LesionImageFactory(case=case), model_version=version, mel_score=mel_score,
                          mel_flag=i % 4 == 0, malignant_flag=i % 3 == 0, assessable=i >= not_assessable,
                          not_assessable_reason="" if i >= not_assessable else "too dark (brightness 3, needs ≥ 30)")
        for i in range(images)
    ]
    tuesday = timezone.make_aware(datetime.combine(monday + timedelta(days=1), datetime.min.time().replace(hour=10)))
    LesionImage.objects.filter(case=case).update(uploaded_at=tuesday)
    return made


@pytest.fixture
def weeks(clinic, other_clinic, version):
    """Our clinic: last week 12 of 30 images refused (40 %, against 3 %); the other clinic: 30 good images."""
    _week_of_images(clinic=clinic, version=version, images=30, not_assessable=12)
    _week_of_images(clinic=clinic, version=version, images=5, not_assessable=0, monday=LAST_MONDAY - timedelta(weeks=2))
    _week_of_images(clinic=other_clinic, version=version, images=30, not_assessable=1)


def test_weekly_counts_in_one_query_and_only_of_the_users_clinic(weeks, dermatologist, clinic, other_clinic, version):
    with CaptureQueriesContext(connection) as queries:
        rows = drift_weekly_counts(user=dermatologist)
    assert len(queries) == 1
    assert {row.clinic_id for row in rows} == {clinic.pk}
    last = next(row for row in rows if row.week == LAST_MONDAY)
    assert (last.images, last.not_assessable, last.model_version_id) == (30, 12, version.pk)
    assert (last.mel_evaluated, last.p_mel_n) == (30, 30) and last.mean_p_mel == pytest.approx(0.2)
    assert sorted(row.images for row in rows) == [5, 30]
    # another clinic's id leaves a dermatologist nothing
    assert drift_weekly_counts(user=dermatologist, clinic_id=other_clinic.pk) == []


def test_admins_choose_a_clinic(weeks, admin_user, clinic, other_clinic):
    assert {row.clinic_id for row in drift_weekly_counts(user=admin_user)} == {clinic.pk, other_clinic.pk}
    assert {row.clinic_id for row in drift_weekly_counts(user=admin_user, clinic_id=other_clinic.pk)} == {other_clinic.pk}


def test_drift_watch_fills_the_last_eight_weeks_and_warns(weeks, dermatologist, outsider_dermatologist, version):
    with CaptureQueriesContext(connection) as queries:
        (table,) = drift_watch(user=dermatologist)
    assert len(queries) <= 3
    assert table.version == version and table.reference == REFERENCE
    assert len(table.weeks) == 8 and table.weeks[0].week > table.weeks[-1].week
    assert table.warnings == [WARNING] and table.out_of_range_weeks == 1
    two_weeks_before = next(w for w in table.weeks if w.week == LAST_MONDAY - timedelta(weeks=2))
    assert two_weeks_before.images == 5 and two_weeks_before.summary == "too few images to judge"
    (theirs,) = drift_watch(user=outsider_dermatologist)
    assert theirs.warnings == []


def test_no_reference_in_the_card(clinic, dermatologist):
    _week_of_images(clinic=clinic, version=ModelVersionFactory(card={}), images=30, not_assessable=29)
    (table,) = drift_watch(user=dermatologist)
    assert table.reference is None and table.warnings == []
    assert table.weeks[1].summary == "no reference in this model's card"


def test_the_performance_page_shows_the_warning_of_its_clinic_only(weeks, client, dermatologist, outsider_dermatologist,
                                                                   clinic):
    url = reverse("reports:performance")
    client.force_login(dermatologist)
    page = client.get(url).content.decode()
    assert "Drift watch" in page and WARNING.replace("'", "&#x27;") in page
    assert f'data-clinic="{clinic.pk}"' in page and page.count('data-testid="drift-table"') == 1
    client.force_login(outsider_dermatologist)
    page = client.get(url).content.decode()
    assert "Drift watch" in page and "40 % of images not assessable" not in page
    assert f'data-clinic="{clinic.pk}"' not in page


def test_the_admin_lists_weekly_drift_per_clinic_and_warns_on_the_version(weeks, admin_client_, admin_user, clinic,
                                                                          other_clinic, version):
    drift_url = reverse("admin:diagnosis_modelversion_drift")
    page = admin_client_.get(drift_url, {"clinic": other_clinic.pk}).content.decode()
    assert f'data-clinic="{other_clinic.pk}"' in page and "40 % of images not assessable" not in page
    page = admin_client_.get(drift_url, {"clinic": clinic.pk}).content.decode()
    assert "40 % of images not assessable, expected about 3 %" in page
    assert admin_client_.get(drift_url, {"clinic": "x"}).status_code == 404
    change = admin_client_.get(reverse("admin:diagnosis_modelversion_change", args=[version.pk])).content.decode()
    assert f"Drift watch, {clinic.name}: 1 week out of range" in change
    assert f"Drift watch, {other_clinic.name}" not in change
    assert drift_url in admin_client_.get(reverse("admin:diagnosis_modelversion_changelist")).content.decode()
    events = AuditEvent.objects.filter(actor=admin_user, action=Action.PERFORMANCE_VIEW)
    assert events.count() == 3  # the two drift pages (each with its clinic) and the version's page
    assert set(events.values_list("clinic_id", flat=True)) == {clinic.pk, other_clinic.pk, None}


@pytest.mark.parametrize("who", ["staff", "dermatologist"])
def test_clinic_users_are_kept_out_of_the_admin_drift_watch(weeks, client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("admin:diagnosis_modelversion_drift"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
