"""Session Mix settings: one module, read from the environment.

Defaults are the embedded demo: a SQLite file, tasks run eagerly, an in-memory cache.
Set DATABASE_URL for PostgreSQL and REDIS_URL for the Redis cache and Celery broker.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("Set SECRET_KEY when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-the-embedded-demo"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.spotify",
    "accounts",
    "music",
    "mixes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "accounts.middleware.LoopbackHostMiddleware",  # DEBUG only: localhost → 127.0.0.1, for Spotify's redirect URI
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["django_htmx.templatetags.django_htmx"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: with no broker configured, tasks run in the caller (the embedded default).
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"  # kombu warns without a host
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_BEAT_SCHEDULE = {
    "reseed-master-lists": {"task": "mixes.tasks.reseed_master_lists", "schedule": 24 * 3600},
    "sync-listening-history": {"task": "music.tasks.sync_all_histories", "schedule": 6 * 3600},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "mixes:generate"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
# Mail (password resets) goes to the console unless a real backend is named.
MAILERS = {"default": {"BACKEND": os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

# Spotify. Without SPOTIFY_CLIENT_ID the app talks to the project's Spotify sandbox
# (`manage.py spotify_sandbox`, started by `make demo` and by the tests) at SPOTIFY_SANDBOX_URL.
SPOTIFY_CLIENT_ID = os.environ.get("SPOTIFY_CLIENT_ID", "")
SPOTIFY_CLIENT_SECRET = os.environ.get("SPOTIFY_CLIENT_SECRET", "")
SPOTIFY_SANDBOX_URL = os.environ.get("SPOTIFY_SANDBOX_URL", "http://127.0.0.1:8888")
# The app as the sandbox registers it (its stand-in for Spotify's dashboard), the catalog it plays,
# and the OpenAPI description it holds every Web API exchange to (sonallux's fixed edition of Spotify's).
SPOTIFY_SANDBOX_CLIENT_ID = "session-mix-sandbox"
SPOTIFY_SANDBOX_CLIENT_SECRET = "sandbox-secret"
SPOTIFY_SANDBOX_CLIENT_NAME = "Session Mix"
SPOTIFY_SANDBOX_CATALOG = BASE_DIR / "music/demo/catalog.csv"
SPOTIFY_OPENAPI_SPEC = Path(
    os.environ.get("SPOTIFY_OPENAPI_SPEC", BASE_DIR.parent / "shared/spotify-openapi/fixed-spotify-open-api.yml")
)
SPOTIFY_REAL = bool(SPOTIFY_CLIENT_ID)  # real Spotify, not the sandbox
if SPOTIFY_REAL:
    SPOTIFY_ACCOUNTS_URL = "https://accounts.spotify.com"
    SPOTIFY_API_URL = "https://api.spotify.com/v1"
    RECCOBEATS_API_URL = "https://api.reccobeats.com/v1"
    DEEZER_API_URL = "https://api.deezer.com"
else:
    SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET = SPOTIFY_SANDBOX_CLIENT_ID, SPOTIFY_SANDBOX_CLIENT_SECRET
    SPOTIFY_ACCOUNTS_URL = SPOTIFY_SANDBOX_URL
    SPOTIFY_API_URL = f"{SPOTIFY_SANDBOX_URL}/v1"
    RECCOBEATS_API_URL = f"{SPOTIFY_SANDBOX_URL}/reccobeats/v1"
    DEEZER_API_URL = f"{SPOTIFY_SANDBOX_URL}/deezer"
SPOTIFY_SCOPES = [
    "user-read-recently-played",
    "user-top-read",
    "user-library-read",
    "playlist-read-private",
    "playlist-modify-private",
    "playlist-modify-public",
]

SOCIALACCOUNT_PROVIDERS = {
    "spotify": {
        "provider_class": "accounts.spotify_oauth.provider.SpotifyProvider",
        "APP": {"client_id": SPOTIFY_CLIENT_ID, "secret": SPOTIFY_CLIENT_SECRET},
        "SCOPE": SPOTIFY_SCOPES,
    }
}
SOCIALACCOUNT_STORE_TOKENS = True  # encrypted at rest: accounts/crypto.py
SOCIALACCOUNT_AUTO_SIGNUP = True
# Since February 2026 Spotify's /me gives development-mode apps no email: signing up with Spotify
# must not stop at allauth's sign-up form asking for one (ACCOUNT_SIGNUP_FIELDS is for local sign-up).
SOCIALACCOUNT_EMAIL_REQUIRED = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_LOGIN_ON_GET = False  # "Continue with Spotify" is a POST form
# Comma-separated Fernet keys for the stored tokens, newest first; derived from SECRET_KEY if unset.
TOKEN_ENCRYPTION_KEYS = os.environ.get("TOKEN_ENCRYPTION_KEYS", "")
if SPOTIFY_REAL and not (os.environ.get("SECRET_KEY") or TOKEN_ENCRYPTION_KEYS):
    raise ImproperlyConfigured(
        "SPOTIFY_CLIENT_ID is set but neither SECRET_KEY nor TOKEN_ENCRYPTION_KEYS is: real Spotify tokens "
        "would be encrypted with a key derived from the public development SECRET_KEY. Set SECRET_KEY "
        "(or TOKEN_ENCRYPTION_KEYS, comma-separated Fernet keys) in the environment."
    )

# Where the benchmark and the real-data tests find the shared datasets.
DATASETS_DIR = Path(os.environ.get("DATASETS_DIR", BASE_DIR.parent / "shared" / "datasets"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # spotipy logs request headers (the bearer token) at DEBUG: never let it.
    "loggers": {"spotipy": {"level": "WARNING"}, "urllib3": {"level": "WARNING"}},
}

# --- issue 9: upload ---
# Streaming-history uploads are stored here until the background import has read them (then deleted).
# The web server and the Celery worker must share it: the same machine, or a volume both mount.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"  # never served: nothing under MEDIA_ROOT is public
