from .attention import AttentionSeen
from .claim import ReviewClaim
from .clinic_thresholds import ClinicThresholds
from .classification_job import ClassificationJob
from .histology import Histology
from .model_version import ModelVersion
from .prediction import Prediction
from .review import ManagementPlan, Review, ReviewDecision
from .scheduler_heartbeat import SchedulerHeartbeat
from .triage import CaseTriage
from .validation_image import ValidationImage
from .validation_run import ValidationRun
from .warning_check import WarningCheck, WarningKind
from ..worklist.models import WorklistMark

__all__ = [
    "AttentionSeen", "CaseTriage", "ClinicThresholds", "ClassificationJob", "Histology", "ModelVersion", "ManagementPlan", "Prediction", "Review", "ReviewClaim", "ReviewDecision",
    "SchedulerHeartbeat",
    "ValidationImage", "ValidationRun", "WarningCheck", "WarningKind", "WorklistMark",
]
