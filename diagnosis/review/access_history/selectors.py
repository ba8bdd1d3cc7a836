from django.db.models import Q

from dermplatform.audit.models import AuditEvent, Outcome
from diagnosis.models import Prediction
from patients.models import Case, Lesion, LesionImage


def patient_access_history(*, patient):
    """Audit events naming the patient or one of their records, newest first. The patient was scoped by the
    caller (visible_to); events are matched by object type and public id, as they are recorded. Requests sent to
    sign in or to the second factor first reached nothing: they are left out."""
    owned = {
        "patient": [patient.public_id],
        "lesion": Lesion.objects.filter(patient=patient).values("public_id"),
        "case": Case.objects.filter(patient=patient).values("public_id"),
        "image": LesionImage.objects.filter(case__patient=patient).values("public_id"),
        "prediction": Prediction.objects.filter(image__case__patient=patient).values("public_id"),
    }
    about_patient = Q()
    for object_type, ids in owned.items():
        about_patient |= Q(object_type=object_type, object_id__in=ids)
    return (
        AuditEvent.objects.filter(about_patient).exclude(outcome=Outcome.REDIRECTED)
        .select_related("actor").order_by("-at", "-pk")
    )
