from django.contrib import admin
from django.urls import include, path

from accounts.admin_login import RateLimitedAdminAuthenticationForm, answer_429_when_limited
from config.health import healthz

# The admin's sign-in counts failed passwords in allauth's rate limit, as the site's does.
admin.site.login_form = RateLimitedAdminAuthenticationForm
admin.site.login = answer_429_when_limited(admin.site.login)

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("settings/", include("accounts.urls")),
    path("music/", include("music.urls")),
    path("", include("mixes.urls")),
]
