from .case import BodySite, Case, CaseStatus
from .lesion import Lesion, Side
from .lesion_image import LesionImage
from .patient import Patient, Sex
from .stored_file import StoredFile

__all__ = ["BodySite", "Case", "CaseStatus", "Lesion", "LesionImage", "Patient", "Sex", "Side", "StoredFile"]
