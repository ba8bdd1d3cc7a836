from django.urls import path

from . import views

app_name = "attention"
urlpatterns = [
    path("attention/", views.needs_attention, name="list"),
]
