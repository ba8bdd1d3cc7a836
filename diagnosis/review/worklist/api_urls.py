from django.urls import path

from diagnosis.review.worklist import api

app_name = "worklist_api"
urlpatterns = [
    path("worklist/", api.WorklistApi.as_view(), name="list"),
    path("worklist/cases/<uuid:public_id>/done/", api.WorklistItemDoneApi.as_view(), name="done"),
]
