from .attention import AttentionSeen
from .claim import ReviewClaim
from .classification_job import ClassificationJob
from .histology import Histology
from .model_version import ModelVersion
from .prediction import Prediction
from .review import ManagementPlan, Review, ReviewDecision
from .triage import CaseTriage

__all__ = [
    "AttentionSeen", "CaseTriage", "ClassificationJob", "Histology", "ModelVersion", "ManagementPlan", "Prediction", "Review", "ReviewClaim", "ReviewDecision",
]
