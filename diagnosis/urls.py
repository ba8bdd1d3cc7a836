from django.urls import path

from . import views

app_name = "diagnosis"
urlpatterns = [
    path("", views.review_queue, name="queue"),
]
