"""The demo account, for the sign-in page: how to try Session Mix without signing up."""

from django import template
from django.contrib.auth import get_user_model

from music import demo

register = template.Library()


@register.simple_tag
def demo_account() -> dict | None:
    """The demo's username and password when the demo user exists (the embedded default, `make demo`); else None."""
    if not get_user_model().objects.filter(username=demo.USERNAME).exists():
        return None
    return {"username": demo.USERNAME, "password": demo.PASSWORD}
