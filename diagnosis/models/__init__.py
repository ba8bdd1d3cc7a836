from .classification_job import ClassificationJob
from .model_version import ModelVersion
from .prediction import Prediction
from .review import Review, ReviewDecision

__all__ = ["ClassificationJob", "ModelVersion", "Prediction", "Review", "ReviewDecision"]
