"""Mail settings from the environment: EMAIL_URL as a MAILERS entry, and no development backend in production.

Read by config/settings.py, so it imports nothing that needs settings. No error here quotes the URL:
it carries the SMTP password.
"""

from urllib.parse import parse_qs, unquote, urlsplit

from django.core.checks.mail import NON_PRODUCTION_EMAIL_BACKENDS
from django.core.exceptions import ImproperlyConfigured

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
TRUE = {"1", "true", "yes", "on"}


def mailer_from_url(url: str) -> dict:
    """A MAILERS entry for smtp://user:password@host:port/?tls=true&timeout=10 (smtps:// for TLS from the start)."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ImproperlyConfigured(
            "EMAIL_URL must look like smtp://user:password@host:587/?tls=true (or smtps://… for port 465); "
            "set EMAIL_BACKEND instead for any other mail backend."
        )
    query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    use_ssl = parts.scheme == "smtps" or query.get("ssl", "").lower() in TRUE
    use_tls = query.get("tls", "").lower() in TRUE
    if use_ssl and use_tls:
        raise ImproperlyConfigured("EMAIL_URL asks for both ssl and tls (STARTTLS): choose one.")
    try:
        port = parts.port or (465 if use_ssl else 587 if use_tls else 25)
        timeout = int(query.get("timeout", "10"))
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL has a port or timeout that is not a number.") from None
    return {
        "BACKEND": SMTP_BACKEND,
        "OPTIONS": {
            "host": parts.hostname,
            "port": port,
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_tls": use_tls,
            "use_ssl": use_ssl,
            "timeout": timeout,  # seconds; a stuck SMTP server must not hold a web worker for ever
        },
    }


def refuse_development_mail(backend: str, from_email: str) -> None:
    """With DEBUG off: a backend that keeps mail on this machine, or no sender address, stops the start-up."""
    if backend in NON_PRODUCTION_EMAIL_BACKENDS:
        raise ImproperlyConfigured(
            f"DEBUG is off but mail goes to {backend}: password-reset links would be written to a log or lost. "
            "Set EMAIL_URL (smtp://user:password@host:587/?tls=true) or EMAIL_BACKEND to a real backend."
        )
    if not from_email:
        raise ImproperlyConfigured("DEBUG is off: set DEFAULT_FROM_EMAIL, the address the app's mail comes from.")
