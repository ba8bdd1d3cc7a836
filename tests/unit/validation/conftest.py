import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from diagnosis.models import ModelVersion, ValidationImage, ValidationRun
from tests.unit.diagnosis.conftest import uploaded_case  # noqa: F401  (a fixture)

CLASSES = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
CARD = {"operating_points": {"mel": {"threshold": 0.35, "classes": ["mel"], "target_sensitivity": 0.9},
                             "malignant": {"threshold": 0.5, "classes": ["akiec", "bcc", "mel"],
                                           "target_sensitivity": 0.9}}}


def zip_upload(files: dict, name="images.zip") -> SimpleUploadedFile:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as bundle:
        for member, data in files.items():
            bundle.writestr(member, data)
    return SimpleUploadedFile(name, out.getvalue(), content_type="application/zip")


def csv_upload(rows, header=("file_name", "diagnosis", "age", "sex", "body_site")) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile("labels.csv", out.getvalue().encode(), content_type="text/csv")


def probabilities(mel: float, rest: str = "nv") -> dict:
    p = dict.fromkeys(CLASSES, 0.0)
    p["mel"] = mel
    p[rest] += 1.0 - mel
    return p


@pytest.fixture
def card_version(db):
    """A model version with operating points in its card (no model run: the run's rows are written directly)."""
    return ModelVersion.objects.create(name="card-model", sha256="c" * 64, directory="/nowhere", classes=CLASSES,
                                       card=CARD, is_active=True)


@pytest.fixture
def finished_run(card_version, dermatologist):
    """finished_run(melanomas=30, others=10): a finished run of the dermatologist's clinic whose melanomas score
    P(mel) 0.9, 0.8, ... (spread) and others 0.1."""

    def make(*, melanomas=30, others=10, clinic=None):
        run = ValidationRun.objects.create(
            clinic=clinic or dermatologist.clinic, model_version=card_version, source="upload",
            status=ValidationRun.Status.DONE, total=melanomas + others, done=melanomas + others,
            created_by=dermatologist,
        )
        rows = [("mel", 0.3 + 0.6 * i / max(melanomas, 1)) for i in range(melanomas)] + [("nv", 0.1)] * others
        ValidationImage.objects.bulk_create([
            ValidationImage(run=run, position=i, file_name=f"{i}.jpg", truth=truth, scored=True,
                            probabilities=probabilities(mel), mel_score=mel, malignant_score=mel, assessable=True)
            for i, (truth, mel) in enumerate(rows)
        ])
        return run

    return make
