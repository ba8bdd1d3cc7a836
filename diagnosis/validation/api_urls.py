from django.urls import path

from diagnosis.validation import api

app_name = "validation_api"
urlpatterns = [
    path("validation-runs/<uuid:public_id>/thresholds/", api.ThresholdsAdoptApi.as_view(), name="thresholds_adopt"),
]
