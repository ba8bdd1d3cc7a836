from diagnosis.models.attention import AttentionSeen
from diagnosis.models.claim import ReviewClaim
from diagnosis.models.classification_job import ClassificationJob
from diagnosis.models.clinic_thresholds import ClinicThresholds
from diagnosis.models.histology import Histology
from diagnosis.models.model_version import ModelVersion
from diagnosis.models.prediction import Prediction
from diagnosis.models.review import ManagementPlan, Review, ReviewDecision
from diagnosis.models.scheduler_heartbeat import SchedulerHeartbeat
from diagnosis.models.triage import CaseTriage
from diagnosis.models.validation_image import ValidationImage
from diagnosis.models.validation_run import ValidationRun
from diagnosis.models.warning_check import WarningCheck, WarningKind
from diagnosis.review.worklist.models import WorklistMark

__all__ = [
    "AttentionSeen", "CaseTriage", "ClinicThresholds", "ClassificationJob", "Histology", "ModelVersion", "ManagementPlan", "Prediction", "Review", "ReviewClaim", "ReviewDecision",
    "SchedulerHeartbeat",
    "ValidationImage", "ValidationRun", "WarningCheck", "WarningKind", "WorklistMark",
]
