"""diagnosis 0002 adds flags, the guard's verdict and the metadata to predictions made before it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from patients.models import LesionImage
from tests.factories import CaseFactory, PatientFactory

BEFORE = [("diagnosis", "0001_initial")]
AFTER = [("diagnosis", "0002_prediction_flags_guard_metadata")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_predictions_migrate_with_nulls_and_defaults(staff):
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    image = LesionImage.objects.create(
        case=case, image="lesions/x.jpg", thumbnail="lesions/x-thumb.jpg", content_type="image/jpeg",
        width=64, height=64, sha256="a" * 64, size_bytes=1, uploaded_by=staff,
    )
    try:
        old = migrate(BEFORE)
        version = old.get_model("diagnosis", "ModelVersion").objects.create(
            name="old", sha256="b" * 64, directory="/nowhere", classes=["mel", "nv"]
        )
        old.get_model("diagnosis", "Prediction").objects.create(
            image_id=image.pk, model_version=version, probabilities={"mel": 0.3, "nv": 0.7},
            top_class="nv", confidence=0.7, malignancy_risk=0.3, duration_ms=5,
        )
    finally:
        new = migrate(AFTER)
    try:
        prediction = new.get_model("diagnosis", "Prediction").objects.get(image_id=image.pk)
        assert prediction.mel_flag is None and prediction.malignant_flag is None
        assert prediction.mel_threshold is None and prediction.malignant_threshold is None
        assert prediction.mel_score == pytest.approx(0.3)  # filled from the stored probabilities
        assert prediction.assessable is True and prediction.not_assessable_reason == ""
        assert prediction.guard == {} and prediction.metadata_used == {}
    finally:
        # Back to the newest schema: the tests that run after this one expect every migration applied.
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
