from django.urls import path

from diagnosis.validation import views

app_name = "validation"
urlpatterns = [
    path("validation/", views.run_list, name="list"),
    path("validation/new/", views.run_create, name="create"),
    path("validation/<uuid:public_id>/", views.run_detail, name="run"),
    path("validation/<uuid:public_id>/resume/", views.run_resume, name="resume"),
    path("validation/<uuid:public_id>/delete/", views.run_delete, name="delete"),
    path("validation/<uuid:public_id>/thresholds/", views.thresholds_adopt, name="adopt"),
    path("validation/<uuid:public_id>/thresholds/restore/", views.thresholds_restore, name="restore"),
]
