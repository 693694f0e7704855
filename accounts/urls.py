from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("spotify/disconnect/", views.disconnect_spotify, name="disconnect_spotify"),
]
