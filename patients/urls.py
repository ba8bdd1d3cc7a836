from django.urls import path

from . import views

app_name = "patients"
urlpatterns = [
    path("patients/", views.patient_list, name="list"),
    path("patients/new/", views.patient_create, name="create"),
    path("patients/<uuid:public_id>/", views.patient_detail, name="detail"),
    path("patients/<uuid:public_id>/edit/", views.patient_update, name="update"),
    path("patients/<uuid:public_id>/archive/", views.patient_archive, name="archive"),
    path("patients/<uuid:patient_id>/cases/new/", views.case_create, name="case_create"),
    path("cases/<uuid:public_id>/", views.case_detail, name="case_detail"),
    path("cases/<uuid:public_id>/edit/", views.case_update, name="case_update"),
    path("cases/<uuid:public_id>/archive/", views.case_archive, name="case_archive"),
    path("cases/<uuid:public_id>/images/", views.image_upload, name="image_upload"),
    path("lesions/<uuid:public_id>/", views.lesion_detail, name="lesion_detail"),
    path("images/<uuid:public_id>/content/", views.image_content, name="image_content"),
    path("images/<uuid:public_id>/thumbnail/", views.image_thumbnail, name="image_thumbnail"),
]
