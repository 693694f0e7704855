from django.urls import path

from music import views

app_name = "music"
urlpatterns = [
    path("artists/", views.artist_options, name="artist_options"),
]
