from .cases import case_archive, case_create, case_detail, case_update, lesion_detail
from .images import image_content, image_thumbnail, image_upload
from .patients import patient_archive, patient_create, patient_detail, patient_list, patient_update

__all__ = [
    "case_archive", "case_create", "case_detail", "case_update", "lesion_detail",
    "image_content", "image_thumbnail", "image_upload",
    "patient_archive", "patient_create", "patient_detail", "patient_list", "patient_update",
]
