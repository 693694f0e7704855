"""Production: `make serve`'s gunicorn serves the static files, check --deploy is clean, mail never lands in a log.

PRODUCTION is the environment the README documents for `make serve`; the subprocess tests run the real
commands (manage.py, gunicorn) with it, on SQLite in a temporary directory and without Redis.
"""

import json
import os
import re
import runpy
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

import config.settings

ROOT = Path(config.settings.__file__).resolve().parent.parent
PASSWORD = "s3cret-smtp-password"
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-secret-key-of-more-than-fifty-characters-0123456789-xyz",
    "ALLOWED_HOSTS": "127.0.0.1,sessionmix.example",
    "EMAIL_URL": f"smtp://mailer:{PASSWORD}@smtp.sessionmix.example:587/?tls=true",
    "DEFAULT_FROM_EMAIL": "Session Mix <mix@sessionmix.example>",
}
# What the test process's environment may name that the production one must not inherit
# (tests/conftest.py sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright).
INHERITED = (
    *("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_URL", "EMAIL_BACKEND", "DEFAULT_FROM_EMAIL", "REDIS_URL"),
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def production_environment(tmp: Path) -> dict[str, str]:
    """The documented production environment, with a SQLite database and STATIC_ROOT under `tmp`."""
    environment = {name: value for name, value in os.environ.items() if name not in INHERITED}
    return environment | PRODUCTION | {"DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}", "STATIC_ROOT": str(tmp)}


def manage(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def load_settings(monkeypatch, **environment) -> dict:
    """The settings module as it reads the production environment changed by `environment` ("" unsets)."""
    for name in INHERITED:
        monkeypatch.delenv(name, raising=False)
    for name, value in (PRODUCTION | environment).items():
        if value:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)
    return runpy.run_path(config.settings.__file__)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body, as a proxy that terminated TLS would forward the request."""
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def make_serve(port: int) -> list[str]:
    """The commands `make serve` runs (as `make -n` prints them), bound to 127.0.0.1:`port`."""
    plan = subprocess.run(
        ["make", "-n", "serve", f"BIND=127.0.0.1:{port}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    commands = re.findall(r"^\.venv/bin/(?:.*\\\n)*.*$", plan, re.MULTILINE)
    return [command for command in commands if not command.startswith(".venv/bin/pip")]


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    """`make serve`'s commands with 2 workers: collectstatic, migrate, then gunicorn, stopped afterwards."""
    tmp = tmp_path_factory.mktemp("production")
    environment = production_environment(tmp) | {"WEB_CONCURRENCY": "2"}
    port = free_port()
    *prepare, serve = make_serve(port)
    assert [command.split()[-2] for command in prepare] == ["collectstatic", "migrate"]
    for command in prepare:
        done = subprocess.run(["bash", "-c", command], cwd=ROOT, env=environment, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    assert serve.startswith(".venv/bin/gunicorn -c config/gunicorn.conf.py config.wsgi")
    server = subprocess.Popen(
        ["bash", "-c", f"exec {serve}"], cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(f"{url}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def static_paths(url: str) -> list[str]:
    """The /static/ paths the sign-in page links to."""
    status, _, body = get(f"{url}/accounts/login/")
    assert status == 200
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', body.decode())


def test_pages_link_hashed_static_names(production_server):
    """The page names app.css and the vendored htmx by their content hash (cacheable for ever)."""
    paths = static_paths(production_server)
    assert any(re.fullmatch(r"/static/css/app\.[0-9a-f]{12}\.css", path) for path in paths)
    assert any(re.fullmatch(r"/static/django_htmx/htmx-2\.min\.[0-9a-f]{12}\.js", path) for path in paths)


def test_gunicorn_serves_the_stylesheet_and_htmx(production_server):
    """With DEBUG=false every static file the page links to answers 200 from gunicorn (WhiteNoise)."""
    for path in static_paths(production_server):
        status, headers, body = get(f"{production_server}{path}")
        assert (status, bool(body)) == (200, True), path
        assert "immutable" in headers["Cache-Control"]


def test_static_files_have_a_compressed_variant(production_server):
    """A client that accepts gzip gets the stylesheet compressed."""
    css = next(path for path in static_paths(production_server) if path.endswith(".css"))
    status, headers, _ = get(f"{production_server}{css}", **{"Accept-Encoding": "gzip"})
    assert (status, headers.get("Content-Encoding")) == (200, "gzip")


def test_plain_http_is_redirected_to_https(production_server):
    """A request the proxy did not mark as HTTPS is redirected to https://."""
    request = urllib.request.Request(f"{production_server}/accounts/login/", headers={"X-Forwarded-Proto": "http"})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as redirect:
        urllib.request.build_opener(NoRedirect).open(request, timeout=10)
    assert redirect.value.code == 301 and redirect.value.headers["Location"].startswith("https://")


def test_healthz_answers_over_plain_http(production_server):
    """A load balancer probes over plain HTTP: /healthz is exempt from the HTTPS redirect."""
    status, _, body = get(f"{production_server}/healthz", **{"X-Forwarded-Proto": "http"})
    assert (status, json.loads(body)) == (200, {"database": "ok", "broker": "eager"})


def test_check_deploy_is_clean_under_the_documented_environment(tmp_path):
    """`manage.py check --deploy --fail-level WARNING` finds nothing under the production environment."""
    done = manage(production_environment(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_production_settings_secure_the_transport(monkeypatch):
    """With DEBUG=false: SSL redirect behind the proxy's header, a year of HSTS with subdomains, secure cookies."""
    production = load_settings(monkeypatch)
    assert production["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert production["SECURE_SSL_REDIRECT"] and production["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert production["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert production["SESSION_COOKIE_SECURE"] and production["CSRF_COOKIE_SECURE"]
    assert production["STORAGES"]["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_hsts_preload_and_trusted_origins_come_from_the_environment(monkeypatch):
    """SECURE_HSTS_PRELOAD and CSRF_TRUSTED_ORIGINS are the operator's to set."""
    production = load_settings(
        monkeypatch, SECURE_HSTS_PRELOAD="true", CSRF_TRUSTED_ORIGINS="https://a.example, https://b.example"
    )
    assert production["SECURE_HSTS_PRELOAD"]
    assert production["CSRF_TRUSTED_ORIGINS"] == ["https://a.example", "https://b.example"]


def test_debug_keeps_the_plain_static_storage(monkeypatch):
    """In DEBUG (the demo, the tests) `{% static %}` needs no collectstatic."""
    development = load_settings(monkeypatch, DEBUG="true")
    assert development["STORAGES"]["staticfiles"]["BACKEND"] == "django.contrib.staticfiles.storage.StaticFilesStorage"


@pytest.mark.django_db
def test_pages_send_a_permissions_policy(client):
    """Every page switches off the browser features the app never uses (camera, microphone, geolocation…)."""
    policy = client.get("/accounts/login/").headers["Permissions-Policy"]
    assert "camera=()" in policy and "microphone=()" in policy and "geolocation=()" in policy


@pytest.mark.django_db
def test_pages_send_a_referrer_policy(client):
    """Every page asks the browser to send no referrer to other sites."""
    assert client.get("/accounts/login/").headers["Referrer-Policy"] == "same-origin"


def test_email_url_names_the_smtp_server(monkeypatch):
    """EMAIL_URL becomes the default mailer: SMTP host, port, user, password and STARTTLS."""
    mailer = load_settings(monkeypatch)["MAILERS"]["default"]
    assert mailer["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert mailer["OPTIONS"] | {"timeout": None} == {
        "host": "smtp.sessionmix.example",
        "port": 587,
        "username": "mailer",
        "password": PASSWORD,
        "use_tls": True,
        "use_ssl": False,
        "timeout": None,
    }


def test_smtps_email_url_uses_tls_from_the_start(monkeypatch):
    """smtps:// means implicit TLS, on port 465 unless another is named."""
    options = load_settings(monkeypatch, EMAIL_URL="smtps://u:p@smtp.example")["MAILERS"]["default"]["OPTIONS"]
    assert (options["use_ssl"], options["use_tls"], options["port"]) == (True, False, 465)


def test_a_malformed_email_url_is_refused_without_quoting_it(monkeypatch):
    """An EMAIL_URL of another scheme stops the start-up, and the error does not repeat its password."""
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL must look like") as refused:
        load_settings(monkeypatch, EMAIL_URL=f"http://mailer:{PASSWORD}@smtp.example")
    assert PASSWORD not in str(refused.value)


@pytest.mark.parametrize("backend", ["console", "filebased", "locmem", "dummy"])
def test_production_refuses_a_development_mail_backend(monkeypatch, backend):
    """With DEBUG=false, mail to the console (or a file, memory, nowhere) stops the start-up."""
    with pytest.raises(ImproperlyConfigured, match="password-reset links"):
        load_settings(monkeypatch, EMAIL_URL="", EMAIL_BACKEND=f"django.core.mail.backends.{backend}.EmailBackend")


def test_production_refuses_no_mail_settings(monkeypatch):
    """With DEBUG=false and neither EMAIL_URL nor EMAIL_BACKEND (the console default), start-up stops."""
    with pytest.raises(ImproperlyConfigured, match="Set EMAIL_URL"):
        load_settings(monkeypatch, EMAIL_URL="")


def test_production_needs_a_sender_address(monkeypatch):
    """With DEBUG=false DEFAULT_FROM_EMAIL must be set: mail from webmaster@localhost is not delivered."""
    with pytest.raises(ImproperlyConfigured, match="DEFAULT_FROM_EMAIL"):
        load_settings(monkeypatch, DEFAULT_FROM_EMAIL="")


def test_sender_address_comes_from_the_environment(monkeypatch):
    """DEFAULT_FROM_EMAIL (and SERVER_EMAIL, unless set) is the environment's."""
    production = load_settings(monkeypatch)
    assert production["DEFAULT_FROM_EMAIL"] == production["SERVER_EMAIL"] == PRODUCTION["DEFAULT_FROM_EMAIL"]


def test_system_check_refuses_console_mail_without_debug(settings):
    """A console backend set after the settings module (an override) is an Error on every manage.py command."""
    settings.DEBUG = False
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    assert "accounts.E001" in [message.id for message in run_checks(tags=["mail"])]


def test_system_check_allows_console_mail_in_debug(settings):
    """In DEBUG (the demo) mail to the console is what the developer wants."""
    settings.DEBUG = True
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    assert "accounts.E001" not in [message.id for message in run_checks(tags=["mail"])]
