"""The admin's sign-in is rate-limited as the site's is: failed passwords count in allauth's login_failed limit.

The admin form authenticates through allauth's adapter, so a wrong password on /admin/login/ and on
/accounts/login/ count against the same username (ACCOUNT_RATE_LIMITS["login_failed"]: 5 per 5 minutes per
username, 10 a minute per IP), in Django's cache, as the site limiter does — whatever that limiter does when
the cache is down, the admin does too. A refused attempt answers 429.
"""

from collections.abc import Callable
from functools import wraps

from allauth.account.adapter import get_adapter
from django.contrib.admin.forms import AdminAuthenticationForm
from django.forms import ValidationError
from django.http import HttpRequest, HttpResponse

TOO_MANY = "too_many_login_attempts"  # allauth's error code


class RateLimitedAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in form, authenticating through allauth's adapter (which applies the rate limit)."""

    def clean(self) -> dict:
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if username is not None and password:
            self.user_cache = get_adapter(self.request).authenticate(self.request, username=username, password=password)
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


def answer_429_when_limited(login_view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap AdminSite.login: the form re-shown because of the rate limit answers 429 Too Many Requests."""

    @wraps(login_view)
    def view(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        response = login_view(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        if form is not None and form.errors and _limited(form.non_field_errors().as_data()):
            response.status_code = 429
        return response

    return view


def _limited(errors: list[ValidationError]) -> bool:
    return any(error.code == TOO_MANY for error in errors)
