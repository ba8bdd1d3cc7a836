from .classification_job import ClassificationJob
from .model_version import ModelVersion
from .prediction import Prediction
from .review import ManagementPlan, Review, ReviewDecision

__all__ = ["ClassificationJob", "ModelVersion", "ManagementPlan", "Prediction", "Review", "ReviewDecision"]
