"""Real-world performance, on data made through the platform's services: cases and images uploaded, classified by
the tiny trained model (operating points set so that a case is or is not flagged for melanoma), reviewed by a
dermatologist, histology entered; the page's figures are then checked by hand-counted expectations."""

import datetime

import pytest
from django.utils import timezone

from dermplatform.audit.models import Action, AuditEvent, Outcome
from diagnosis import opinion
from diagnosis.inference import services as inference_services
from diagnosis.models import ModelVersion
from diagnosis.reports.performance import wilson_interval
from diagnosis.review import services as review_services
from patients import services as patient_services
from patients.models import Case
from tests.clinical_world import CLASSES, add_prediction
from tests.factories import AdminFactory
from tests.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db
URL = "/reports/performance/"
HISTOLOGY_DATE = datetime.date(2026, 11, 1)


def _open_case(staff, seed, capture):
    patient = patient_services.patient_create(
        created_by=staff, medical_record_number=f"PERF-{seed}", first_name="P", last_name=f"Case{seed}",
        date_of_birth=datetime.date(1960, 1, 1), sex="female",
    )
    case = patient_services.case_create(patient=patient, created_by=staff, body_site="back", clinical_notes="")
    with capture():
        patient_services.images_upload(case=case, files=[upload(jpeg_bytes(seed=seed, size=(96, 72)))], uploaded_by=staff)
    return case


def _classify(cases):
    for case in cases:
        for image in case.images.all():
            inference_services.image_classify(image_id=image.pk)


def _review(case, derm, *, agree: bool):
    ai = opinion.case_ai_summary(case)["top_class"]
    if agree:
        return review_services.review_submit(case=case, reviewer=derm, decision="confirm", plan="excision")
    other = "bcc" if ai != "bcc" else "df"
    return review_services.review_submit(case=case, reviewer=derm, decision="override", diagnosis=other, plan="excision")


def _histology(case, staff, diagnosis):
    review_services.histology_record(case=case, user=staff, diagnosis=diagnosis, reported_on=HISTOLOGY_DATE, report_reference=f"H-{case.pk}")


@pytest.fixture
def clinic_data(staff, dermatologist, outsider_staff, outsider_dermatologist, model_variant, django_capture_on_commit_callbacks):
    """Six cases of our clinic, one of another:

    | case | melanoma flag | dermatologist | histology | month   |
    | 1    | yes           | agrees        | mel       | this    |  true positive
    | 2    | yes           | overrides     | nv        | this    |  false positive
    | 3    | no            | agrees        | mel       | last    |  false negative
    | 4    | no            | agrees        | bkl       | last    |  true negative
    | 5    | no            | agrees        | —         | this    |
    | 6    | yes           | —             | —         | this    |  awaiting review: in no figure but the count
    """
    capture = django_capture_on_commit_callbacks
    cases = [_open_case(staff, seed, capture) for seed in range(1, 7)]
    outsider_case = _open_case(outsider_staff, 99, capture)
    flagged = model_variant(mel=0.0, malignant=0.0)  # every assessable image is flagged
    _classify([cases[0], cases[1], cases[5], outsider_case])
    unflagged = model_variant(mel=1.01, malignant=1.01)  # none is
    assert flagged.pk == unflagged.pk  # one model version, two operating points over time
    _classify(cases[2:5])
    for case, agree in zip(cases[:5], [True, False, True, True, True]):
        _review(case, dermatologist, agree=agree)
    for case, diagnosis in zip(cases[:4], ["mel", "nv", "mel", "bkl"]):
        _histology(case, staff, diagnosis)
    _review(outsider_case, outsider_dermatologist, agree=False)
    _histology(outsider_case, outsider_staff, "nv")  # a false positive that must not count for us
    last_month = (timezone.localtime().replace(day=1) - datetime.timedelta(days=1)).replace(hour=12)
    Case.objects.filter(pk__in=[cases[2].pk, cases[3].pk]).update(created_at=last_month)
    return {"cases": cases, "version": unflagged, "this": timezone.localtime().strftime("%Y-%m"), "last": last_month.strftime("%Y-%m")}


def _text(page, testid):
    import re

    match = re.search(rf'data-testid="{testid}">(.*?)</dd>', page)
    return match.group(1)


def test_the_figures(client, dermatologist, clinic_data):
    client.force_login(dermatologist)
    response = client.get(URL)
    assert response.status_code == 200
    [figures] = response.context["figures"]
    assert figures.version.pk == clinic_data["version"].pk
    assert figures.cases == 6
    assert (figures.agreement.hits, figures.agreement.total) == (4, 5)
    assert (figures.mel_flag.sensitivity.hits, figures.mel_flag.sensitivity.total) == (1, 2)
    assert (figures.mel_flag.specificity.hits, figures.mel_flag.specificity.total) == (1, 2)

    classes = {row["code"]: row for row in figures.classes}
    overridden = clinic_data["cases"][1].reviews.get().diagnosis
    assert (classes[overridden]["agreement"].hits, classes[overridden]["agreement"].total) == (0, 1)
    assert (classes["mel"]["flagged"].hits, classes["mel"]["flagged"].total) == (1, 2)
    assert (classes["nv"]["flagged"].hits, classes["bkl"]["flagged"].hits) == (1, 0)

    months = {period.month: period for period in figures.periods}
    assert set(months) == {clinic_data["this"], clinic_data["last"]}
    this, last = months[clinic_data["this"]], months[clinic_data["last"]]
    assert (this.agreement.hits, this.agreement.total, last.agreement.hits, last.agreement.total) == (2, 3, 2, 2)
    assert (this.mel_flag.sensitivity.hits, this.mel_flag.sensitivity.total) == (1, 1)
    assert (last.mel_flag.sensitivity.hits, last.mel_flag.sensitivity.total) == (0, 1)
    assert (this.mel_flag.specificity.total, last.mel_flag.specificity.hits) == (1, 1)

    matrix = figures.versus_dermatologist
    assert matrix.total == 5 and sum(matrix.counts[c, c] for c in matrix.rows) == 4
    ai_of_overridden = clinic_data["cases"][1].reviews.get().ai_diagnosis
    assert matrix.counts[overridden, ai_of_overridden] == 1
    assert figures.versus_histology.total == 4

    page = response.content.decode()
    low, high = wilson_interval(4, 5)
    assert _text(page, "perf-agreement") == f"4 / 5 (80.0%, 95% CI {low * 100:.0f}–{high * 100:.0f}%)"
    assert _text(page, "perf-sensitivity").startswith("1 / 2 (50.0%")
    assert _text(page, "perf-specificity").startswith("1 / 2 (50.0%")
    assert 'data-testid="confusion-dermatologist"' in page and 'data-testid="confusion-histology"' in page
    assert f'<tr data-row="{overridden}"' in page


def test_wilson_interval_matches_the_textbook():
    low, high = wilson_interval(4, 5)
    assert (round(low, 4), round(high, 4)) == (0.3755, 0.9638)
    assert wilson_interval(0, 0) is None


def test_figures_are_per_model_version(client, dermatologist, clinic_data):
    """An older version's opinion on the first case counts for that version only."""
    first = clinic_data["cases"][0]
    ModelVersion.objects.create(name="test-model", sha256="0" * 64, directory="/nowhere", classes=CLASSES, card={})
    older = add_prediction(first.images.get(), mel=0.05)  # the "test-model" version, not flagged, top class akiec
    client.force_login(dermatologist)
    figures = {f.version.pk: f for f in client.get(URL).context["figures"]}
    assert set(figures) == {clinic_data["version"].pk, older.model_version_id}
    other = figures[older.model_version_id]
    assert other.cases == 1
    assert (other.mel_flag.sensitivity.hits, other.mel_flag.sensitivity.total) == (0, 1)  # it missed this melanoma
    assert figures[clinic_data["version"].pk].cases == 6
    response = client.get(URL, {"version": older.model_version_id})
    assert response.context["current"].version.pk == older.model_version_id


def test_admins_see_every_clinic_or_one(client, clinic_data, outsider_staff):
    client.force_login(AdminFactory())
    [everywhere] = client.get(URL).context["figures"]
    assert everywhere.cases == 7 and everywhere.mel_flag.specificity.total == 3
    [ours] = client.get(URL, {"clinic": clinic_data["cases"][0].patient.clinic_id}).context["figures"]
    assert ours.cases == 6
    [theirs] = client.get(URL, {"clinic": outsider_staff.clinic_id}).context["figures"]
    assert theirs.cases == 1 and (theirs.mel_flag.specificity.hits, theirs.mel_flag.specificity.total) == (0, 1)


def test_the_other_clinic_sees_only_its_own(client, outsider_dermatologist, clinic_data, dermatologist):
    client.force_login(outsider_dermatologist)
    [figures] = client.get(URL).context["figures"]
    assert figures.cases == 1
    assert client.get(URL, {"clinic": dermatologist.clinic_id}).context["figures"] == []  # asking for ours gives nothing


def test_archived_cases_are_left_out(client, staff, dermatologist, clinic_data):
    patient_services.case_archive(case=clinic_data["cases"][0], user=staff, reason="Entered twice")
    client.force_login(dermatologist)
    [figures] = client.get(URL).context["figures"]
    assert figures.cases == 5 and figures.mel_flag.sensitivity.total == 1


def test_who_may_see_it_and_the_audit(client, staff, dermatologist):
    client.force_login(staff)
    assert client.get(URL).status_code == 403
    client.force_login(dermatologist)
    response = client.get(URL)
    assert response.status_code == 200 and 'data-testid="performance-empty"' in response.content.decode()
    assert list(AuditEvent.objects.filter(action=Action.PERFORMANCE_VIEW).order_by("pk").values_list("actor", "outcome")) == [
        (staff.pk, Outcome.DENIED), (dermatologist.pk, Outcome.ALLOWED),
    ]


def test_queries_do_not_grow_with_the_cases(client, staff, dermatologist, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.clinical_world import clinical_world

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    client.force_login(dermatologist)
    clinical_world(staff=staff, dermatologist=dermatologist, capture_on_commit=django_capture_on_commit_callbacks)
    one = queries()
    for _ in range(4):
        clinical_world(staff=staff, dermatologist=dermatologist, capture_on_commit=django_capture_on_commit_callbacks)
    assert queries() == one
    assert client.get(URL).context["figures"][0].cases == 5


def _decide(case, derm, diagnosis):
    """Override with `diagnosis`; a reason only where the rules ask for one (a flagged or malignant opinion
    turned benign)."""
    from django.core.exceptions import ValidationError

    plan = "excision" if diagnosis in ("mel", "bcc", "akiec") else "reassure"
    decide = dict(case=case, reviewer=derm, decision="override", diagnosis=diagnosis, plan=plan)
    try:
        return review_services.review_submit(**decide)
    except ValidationError as error:
        assert "downgrade_reason" in error.message_dict, error
        return review_services.review_submit(**decide, downgrade_reason="Dermoscopy reviewed in clinic: benign pattern.")


def test_the_dermatologists_and_the_malignancy_flag_beside_the_melanoma_flag(
    client, staff, dermatologist, model_variant, django_capture_on_commit_callbacks
):
    """Hand-counted:

    | case | AI flags (mel, malignant) | decision | histology | dermatologist mel | dermatologist malignant | malignant flag |
    | 1    | yes, yes                  | mel      | mel       | TP                | TP                      | TP             |
    | 2    | yes, yes                  | nv       | bcc       | TN                | FN                      | TP             |
    | 3    | no, no                    | bcc      | mel       | FN                | TP                      | FN             |
    | 4    | no, no                    | nv       | nv        | TN                | TN                      | TN             |
    | 5    | no, no                    | mel      | other     | FP                | left out                | left out       |
    """
    capture = django_capture_on_commit_callbacks
    cases = [_open_case(staff, seed, capture) for seed in range(11, 16)]
    model_variant(mel=0.0, malignant=0.0)
    _classify(cases[:2])
    model_variant(mel=1.01, malignant=1.01)
    _classify(cases[2:])
    for case, decided, found in zip(cases, ["mel", "nv", "bcc", "nv", "mel"], ["mel", "bcc", "mel", "nv", "other"]):
        _decide(case, dermatologist, decided)
        _histology(case, staff, found)
    client.force_login(dermatologist)
    response = client.get(URL)
    [figures] = response.context["figures"]

    def pair(detection):
        return (detection.sensitivity.hits, detection.sensitivity.total,
                detection.specificity.hits, detection.specificity.total)

    assert pair(figures.dermatologist_mel) == (1, 2, 2, 3)
    assert pair(figures.dermatologist_malignant) == (2, 3, 1, 1)
    assert pair(figures.malignant_flag) == (2, 3, 1, 1)
    assert pair(figures.mel_flag) == (1, 2, 2, 3)  # case 2's flag on bcc histology is a false melanoma alarm
    page = response.content.decode()
    assert 'data-call="dermatologist-malignant"' in page and "2 / 3 (66.7%" in page

    api = client.get("/api/reports/performance/").json()["versions"][0]
    assert api["dermatologist_mel"]["sensitivity"]["hits"] == 1
    assert api["malignant_flag"]["specificity"] == {**api["malignant_flag"]["specificity"], "hits": 1, "total": 1}
