from django.urls import path

from diagnosis.review import views
from diagnosis.review.access_history.views import patient_access

app_name = "diagnosis"
urlpatterns = [
    path("", views.review_queue, name="queue"),
    path("mine/", views.my_reviews, name="my_reviews"),
    path("reviewed/", views.reviewed, name="reviewed"),
    path("cases/<uuid:public_id>/", views.case_review, name="case_review"),
    path("cases/<uuid:public_id>/take-over/", views.claim_take_over, name="claim_take_over"),
    path("cases/<uuid:public_id>/release/", views.claim_release, name="claim_release"),
    path("cases/<uuid:public_id>/histology/", views.histology_enter, name="histology"),
    path("cases/<uuid:public_id>/retry/", views.retry_classification, name="retry"),
    path("cases/<uuid:public_id>/warnings/check/", views.warning_check, name="warning_check"),
    path("predictions/<uuid:public_id>/heatmap/", views.heatmap, name="heatmap"),
    path("patients/<uuid:public_id>/access/", patient_access, name="patient_access"),
]
