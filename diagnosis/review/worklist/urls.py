from django.urls import path

from diagnosis.review.worklist import views

app_name = "worklist"
urlpatterns = [
    path("worklist/", views.worklist, name="list"),
    path("worklist/worklist.csv", views.worklist_export, name="csv"),
    path("worklist/cases/<uuid:public_id>/done/", views.item_done, name="done"),
    path("worklist/cases/<uuid:public_id>/reopen/", views.item_reopen, name="reopen"),
]
