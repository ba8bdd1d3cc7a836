"""No clinic reaches another's records: every route of the URL configuration that names an object, filled with
another clinic's object, asked by each clinical role with every method, answers 403, 404 or 405, never a 2xx or
a redirect to the object, never a 5xx; and the other clinic's records are unchanged afterwards.

The walk reads the URL configuration (as tests/unit/test_no_server_errors.py does), so a route added later is
probed too. Its figures are printed: `pytest tests/unit/test_cross_clinic_walk.py -s`.
"""

import pytest

from dermplatform.audit.models import AuditEvent
from diagnosis.models import Histology, Prediction, Review
from patients.models import Case, LesionImage, Patient
from tests.clinical_world import clinical_world
from tests.unit.test_no_server_errors import PARAMETER, _fill, _routes

pytestmark = pytest.mark.django_db

REFUSED = {403, 404, 405}
METHODS = ("get", "post", "put", "patch", "delete")
ROLES = ("staff", "dermatologist")


def _records(clinic) -> dict:
    """What a leak could change: the other clinic's rows, field by field."""
    return {
        "patients": list(Patient.objects.filter(clinic=clinic).order_by("pk").values()),
        "cases": list(Case.objects.filter(patient__clinic=clinic).order_by("pk").values()),
        "images": list(LesionImage.objects.filter(case__patient__clinic=clinic).order_by("pk").values("pk", "case_id")),
        "predictions": list(Prediction.objects.filter(image__case__patient__clinic=clinic).order_by("pk").values()),
        "reviews": list(Review.objects.filter(case__patient__clinic=clinic).order_by("pk").values()),
        "histology": list(Histology.objects.filter(case__patient__clinic=clinic).order_by("pk").values()),
    }


def test_no_route_reaches_another_clinics_records(
    client, staff, dermatologist, outsider_staff, outsider_dermatologist, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    clinical_world(staff=staff, dermatologist=dermatologist, capture_on_commit=capture)
    theirs = clinical_world(staff=outsider_staff, dermatologist=outsider_dermatologist, capture_on_commit=capture)
    before = _records(outsider_staff.clinic)
    templates = sorted(t for t in _routes() if PARAMETER.search(t))
    assert any("cases/<uuid:public_id>/" in t for t in templates)  # the walk does reach object routes

    client.raise_request_exception = False
    users = {"staff": staff, "dermatologist": dermatologist}
    requests, answered = 0, []
    for role in ROLES:
        client.force_login(users[role])
        for template in templates:
            url = _fill(template, theirs)
            for method in METHODS:
                response = getattr(client, method)(url, content_type="application/json") if method != "get" \
                    else client.get(url)
                requests += 1
                if response.status_code not in REFUSED:
                    answered.append(f"{role} {method.upper()} {url} ({template}): {response.status_code}")

    events = AuditEvent.objects.filter(clinic=staff.clinic).exclude(outcome="allowed").count()
    print(f"cross-clinic walk: {len(templates)} routes, {requests} requests, {len(answered)} not refused, "
          f"{events} refusals audited")
    assert not answered, "\n".join(answered)
    assert _records(outsider_staff.clinic) == before
