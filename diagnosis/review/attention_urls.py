from django.urls import path

from diagnosis.review import views

app_name = "attention"
urlpatterns = [
    path("attention/", views.needs_attention, name="list"),
    path("attention/seen/", views.attention_mark_seen, name="seen"),
]
