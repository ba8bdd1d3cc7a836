from django.urls import path

from . import views

app_name = "patients_api"
urlpatterns = [
    path("patients/", views.PatientListCreateApi.as_view(), name="patient_list"),
    path("patients/search/", views.PatientSearchApi.as_view(), name="patient_search"),
    path("patients/<uuid:public_id>/", views.PatientDetailApi.as_view(), name="patient_detail"),
    path("patients/<uuid:public_id>/archive/", views.PatientArchiveApi.as_view(), name="patient_archive"),
    path("cases/", views.CaseListCreateApi.as_view(), name="case_list"),
    path("cases/<uuid:public_id>/", views.CaseDetailApi.as_view(), name="case_detail"),
    path("cases/<uuid:public_id>/archive/", views.CaseArchiveApi.as_view(), name="case_archive"),
    path("cases/<uuid:public_id>/images/", views.CaseImagesApi.as_view(), name="case_images"),
    path("images/<uuid:public_id>/", views.ImageDetailApi.as_view(), name="image_detail"),
    path("images/<uuid:public_id>/content/", views.ImageContentApi.as_view(), name="image_content"),
    path("images/<uuid:public_id>/thumbnail/", views.ImageThumbnailApi.as_view(), name="image_thumbnail"),
]
