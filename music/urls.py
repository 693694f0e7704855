from django.urls import path

from music import views

app_name = "music"
urlpatterns = [
    path("artists/", views.artist_options, name="artist_options"),
    path("", views.library, name="library"),
    path("sync/", views.sync, name="sync"),
    path("sync/status/", views.sync_status, name="sync_status"),
    path("sync/settings/", views.sync_settings, name="sync_settings"),
    path("history/upload/", views.upload_history, name="upload_history"),
]
