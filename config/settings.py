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
    "config.logging.RequestIdMiddleware",  # first: a request id on every line of the request (issue 9: logs)
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, straight after SecurityMiddleware
    "config.csp.SpotifyContentSecurityPolicyMiddleware",  # issue 9: Content-Security-Policy
    "config.headers.PermissionsPolicyMiddleware",
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
        # In production a worker keeps its connection (no connect per request, and Generate's prepared search is
        # planned once per connection, below); the development server opens one per request.
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0" if DEBUG else "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    options = DATABASES["default"].setdefault("OPTIONS", {})
    # The app's queries are short; compiling a big plan (Generate's search) to machine code costs more than it saves.
    # Django turns psycopg's prepared statements off; its own queries never use them (they are bound client-side),
    # but Generate's search asks for one (mixes.nearby): parsed and planned once per connection, not each time (at
    # 200 k tracks 40 ms instead of 57), with the one plan that serves any values (it is the only statement
    # prepared, and its plan does not depend on its values). Behind a pooler in transaction mode: PgBouncer 1.21+
    # with max_prepared_statements, or DATABASE_PREPARED_STATEMENTS=false.
    options["options"] = "-c jit=off -c plan_cache_mode=force_generic_plan"
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        options["prepare_threshold"] = 5  # psycopg's default
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite has no covering indexes: Generate's search index is a plain one there (the embedded default's catalogs
# are small), which is what this warning says.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

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
    # A save whose message a broker restart lost is sent again (mixes.tasks.STRANDED_AFTER).
    "requeue-stranded-saves": {"task": "mixes.tasks.requeue_stranded_saves", "schedule": 120},
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

# --- issue 9: logs ---
# One JSON object per line (web, worker, management commands), with the request id, through one
# handler that scrubs secrets (config/logging.py). DEBUG defaults to a readable line; LOG_FORMAT=json
# gives JSON there too. Django's own loggers (django.request, runserver's django.server) go through it.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "console" if DEBUG else "json")
if LOG_FORMAT not in {"json", "console"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or console, not {LOG_FORMAT!r}.")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"()": "config.logging.handler", "json": LOG_FORMAT == "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's defaults print to their own handlers (runserver's access line with its query string, and
        # mail to admins): everything goes to ours instead. Our request line (config.request) is the access log.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": [], "level": "WARNING", "propagate": True},
        # SQL at DEBUG would show session keys in its parameters.
        "django.db.backends": {"level": "INFO"},
        "celery": {"level": "INFO"},
        # spotipy logs request headers (the bearer token) at DEBUG: never let it.
        "spotipy": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}

# --- issue 9: Content-Security-Policy ---
# Everything from our own origin, no inline script or style and no eval (htmx's indicator style is off in
# base.html and lives in app.css). config.csp adds, at each request, Spotify's sign-in host to form-action
# and, in sandbox mode, the sandbox to img-src.
from django.utils.csp import CSP  # noqa: E402

SPOTIFY_IMAGE_HOSTS = ["https://i.scdn.co", "https://*.spotifycdn.com", "https://mosaic.scdn.co"]  # album covers
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", *SPOTIFY_IMAGE_HOSTS],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# --- issue 9: production server, static files, security settings, mail ---
# `make serve` runs gunicorn behind a TLS-terminating proxy that sets X-Forwarded-Proto; the README lists
# the environment it needs. WhiteNoise serves the static files (its middleware sits after SecurityMiddleware).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Hashed, compressed files need `collectstatic`; in DEBUG (the demo, the tests) the plain storage needs none.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# In DEBUG WhiteNoise reads the app directories as they change; otherwise only STATIC_ROOT, indexed at start-up.
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEBUG

# Sent on every page; features the app never uses are switched off (config/headers.py).
PERMISSIONS_POLICY = os.environ.get(
    "PERMISSIONS_POLICY",
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
)
SECURE_REFERRER_POLICY = os.environ.get("SECURE_REFERRER_POLICY", "same-origin")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# How many proxies in front append to X-Forwarded-For, so allauth's rate limits see the client, not the proxy.
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer probes over plain HTTP
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    # Preloading is the domain owner's commitment (hstspreload.org), hard to undo: opt in, and while it is off
    # the deploy check's reminder (security.W021) is a decision, not a warning.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS += ["security.W021"]
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True

# Mail: EMAIL_URL (smtp://user:password@host:587/?tls=true, or smtps://… on 465) names the SMTP server;
# EMAIL_BACKEND still names any other backend. Without DEBUG a backend that keeps mail on this machine
# (console, file, locmem, dummy) is refused here, at start-up: reset links would land in a log.
EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    from config.mail import mailer_from_url

    MAILERS = {"default": mailer_from_url(EMAIL_URL)}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "" if not DEBUG else "webmaster@localhost")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
if not DEBUG:
    from config.mail import refuse_development_mail

    refuse_development_mail(MAILERS["default"]["BACKEND"], DEFAULT_FROM_EMAIL)

# --- issue 9: jobs that survive faults ---
# Redis down must not stop sign-in: the cache (the login rate limiter's store) fails open, with a warning
# at most once a minute (config/cache.py). Sessions live in the database, never in Redis.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "config.cache.FailOpenRedisCache", "LOCATION": REDIS_URL}}
# A job's task acknowledges its message only when done, and a pool process killed mid-task gives it back
# to the queue (reject_on_worker_lost), so a lost worker's job is redelivered. Each worker process takes
# one message at a time, so a killed one holds no others.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A message a worker took but never acknowledged (the whole worker was killed) comes back after the
# visibility timeout: longer than any task's hard time limit (fill_features_task, 30 min) and any retry's
# countdown (BackgroundJob.MAX_WAIT_S, 10 min), so a live run is never handed to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT_S", 40 * 60)),
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
}
# A request that cannot reach the broker gives up within about two seconds and says so (music.jobs.publish).
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
# A running job's task moves its updated_at every JOB_HEARTBEAT_S; silent for JOB_RUNNING_STALE_S, its
# worker is presumed gone: the UI says the last run did not finish, and a redelivered task takes it over.
JOB_HEARTBEAT_S = float(os.environ.get("JOB_HEARTBEAT_S", 20))
JOB_RUNNING_STALE_S = float(os.environ.get("JOB_RUNNING_STALE_S", 120))

# --- issue 9: upload ---
# Streaming-history uploads are stored here until the background import has read them (then deleted).
# The web server and the Celery worker must share it: the same machine, or a volume both mount.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"  # never served: nothing under MEDIA_ROOT is public
