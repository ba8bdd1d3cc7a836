from .case import CASE_MOVES, BodySite, Case, CaseStatus, waiting_for_review, waiting_for_review_q
from .lesion import Lesion, Side
from .lesion_image import LesionImage
from .patient import Patient, Sex
from .stored_file import StoredFile

__all__ = ["CASE_MOVES", "waiting_for_review", "waiting_for_review_q", "BodySite", "Case", "CaseStatus", "Lesion", "LesionImage", "Patient", "Sex", "Side", "StoredFile"]
