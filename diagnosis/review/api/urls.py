from django.urls import path

from diagnosis.review.api import views
from diagnosis.review.api.case_warnings_api import CaseWarningsApi

app_name = "diagnosis_api"
urlpatterns = [
    path("cases/<uuid:public_id>/ai/", views.CaseAiApi.as_view(), name="case_ai"),
    path("cases/<uuid:public_id>/reviews/", views.CaseReviewsApi.as_view(), name="case_reviews"),
    path("cases/<uuid:public_id>/histology/", views.CaseHistologyApi.as_view(), name="case_histology"),
    path("cases/<uuid:public_id>/claim/", views.CaseClaimApi.as_view(), name="case_claim"),
    path("cases/<uuid:public_id>/retry-ai/", views.CaseRetryAiApi.as_view(), name="case_retry_ai"),
    path("cases/<uuid:public_id>/warnings/", CaseWarningsApi.as_view(), name="case_warnings"),
    path("predictions/<uuid:public_id>/heatmap/", views.PredictionHeatmapApi.as_view(), name="prediction_heatmap"),
    path("review-queue/", views.ReviewQueueApi.as_view(), name="review_queue"),
    path("reviews/", views.ReviewsMadeApi.as_view(), name="reviews_made"),
]
