from .model_version import ModelVersion
from .prediction import Prediction
from .review import Review, ReviewDecision

__all__ = ["ModelVersion", "Prediction", "Review", "ReviewDecision"]
