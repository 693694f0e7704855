from django.urls import path

from mixes import views

app_name = "mixes"
urlpatterns = [
    path("", views.generate, name="generate"),
]
