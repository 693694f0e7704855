"""The accounts service: the consent page (/authorize) and the token endpoint (/api/token).

Like Spotify's: the redirect URI must be https or a loopback IP over http (never
`localhost`), a code is single-use and bound to its redirect URI, PKCE (S256) is checked
when the app asked for it, a refresh keeps the same refresh token, and a revoked one is
`invalid_grant`. The consent page always shows (the sandbox keeps no sign-in cookie), and
it lets the person choose which sandbox account to sign in as.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time
from html import escape
from urllib.parse import urlencode, urlsplit, urlunsplit

from accounts.sandbox.exchange import Call, Reply, Router
from accounts.sandbox.library import DEMO
from accounts.sandbox.pages import page
from accounts.sandbox.state import CODE_LIFETIME_S, ApiError, Client, Code, World

# Spotify's scopes, with the words its consent page uses.
SCOPES = {
    "app-remote-control": "Communicate with the Spotify app on your device",
    "playlist-read-private": "Access your private playlists",
    "playlist-read-collaborative": "Access your collaborative playlists",
    "playlist-modify-public": "Manage your public playlists",
    "playlist-modify-private": "Manage your private playlists",
    "user-library-read": "Access your saved content",
    "user-library-modify": "Manage your saved content",
    "user-read-private": "Access your subscription details",
    "user-read-email": "Get your real email address",
    "user-follow-read": "Access your followers and who you are following",
    "user-follow-modify": "Manage who you are following",
    "user-top-read": "Read your top artists and content",
    "user-read-playback-position": "Read your position in content you have played",
    "user-read-playback-state": "Read your currently playing content and Spotify Connect devices information",
    "user-read-recently-played": "Access your recently played items",
    "user-read-currently-playing": "Read your currently playing content",
    "user-modify-playback-state": "Control playback on your Spotify clients and Spotify Connect devices",
    "ugc-image-upload": "Upload images to Spotify on your behalf",
    "streaming": "Play content and control playback on your other devices",
}
LOOPBACK = {"127.0.0.1", "::1"}
CARRIED = ("client_id", "response_type", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method")


def _client_problem(client: Client, client_id: str | None, redirect_uri: str | None) -> str | None:
    """Why Spotify would show its error page instead of the consent page, or None."""
    if client_id != client.id:
        return "INVALID_CLIENT: Invalid client"
    parts = urlsplit(redirect_uri or "")
    if not parts.scheme or not parts.netloc:
        return "INVALID_CLIENT: Invalid redirect URI"
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK):
        return None
    return "INVALID_CLIENT: Insecure redirect URI"


def _redirect(redirect_uri: str, **params: str | None) -> Reply:
    parts = urlsplit(redirect_uri)
    extra = urlencode({name: value for name, value in params.items() if value is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return Reply(302, None, {"Location": urlunsplit(parts._replace(query=query))})


def _scopes(raw: str | None) -> list[str]:
    return [scope for scope in (raw or "").replace(",", " ").split() if scope]


def _error_page(message: str) -> Reply:
    return page("Spotify sandbox: error", "Spotify sandbox", f"<p>{escape(message)}</p>", status=400)


def _checked(client: Client, params: dict[str, str | None]) -> Reply | None:
    """An error answer for a bad authorize request, or None to go on."""
    problem = _client_problem(client, params.get("client_id"), params.get("redirect_uri"))
    if problem:
        return _error_page(problem)
    state = params.get("state")
    if params.get("response_type") != "code":
        return _redirect(params["redirect_uri"], error="unsupported_response_type", state=state)
    if params.get("code_challenge") and params.get("code_challenge_method") != "S256":
        return _redirect(params["redirect_uri"], error="invalid_request", state=state)
    if not set(_scopes(params.get("scope"))) <= set(SCOPES):
        return _redirect(params["redirect_uri"], error="invalid_scope", state=state)
    return None


def authorize_page(world: World, call: Call) -> Reply:
    """GET /authorize: the consent page."""
    params = {name: call.arg(name) for name in CARRIED}
    refusal = _checked(world.client, params)
    if refusal:
        return refusal
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(value)}">' for name, value in params.items() if value
    )
    scopes = "".join(f"<li>{escape(SCOPES[scope])} <code>{scope}</code></li>" for scope in _scopes(params["scope"]))
    accounts = "".join(
        f'<label><input type="radio" name="account" value="{account.id}"{" checked" if account.id == DEMO else ""}> '
        f"{escape(account.display_name)} <small>({escape(account.email)})</small></label>"
        for account in world.accounts.values()
        if account.can_sign_in
    )
    body = f"""<p><strong>{escape(world.client.name)}</strong> would like to connect to your Spotify account.
It will be able to:</p>
<ul>{scopes or "<li>See your public profile</li>"}</ul>
<form method="post" action="/authorize">{hidden}
<fieldset><legend>Sign in as</legend>{accounts}</fieldset>
<p><button type="submit" name="action" value="agree">Agree</button>
<button type="submit" name="action" value="cancel">Cancel</button></p>
</form>"""
    return page("Spotify sandbox", "Spotify sandbox", body)


def authorize_decision(world: World, call: Call) -> Reply:
    """POST /authorize: Agree sends a code to the app, Cancel sends access_denied."""
    form = call.form
    params = {name: form.get(name) or None for name in CARRIED}
    refusal = _checked(world.client, params)
    if refusal:
        return refusal
    if form.get("action") != "agree":
        return _redirect(params["redirect_uri"], error="access_denied", state=params["state"])
    account = world.accounts.get(form.get("account") or DEMO)
    if account is None or not account.can_sign_in:
        return _error_page("No such sandbox account.")
    code = secrets.token_urlsafe(32)
    world.codes[code] = Code(
        client_id=params["client_id"],
        redirect_uri=params["redirect_uri"],
        account_id=account.id,
        scopes=tuple(_scopes(params["scope"])),
        challenge=params["code_challenge"],
        expires_at=time.time() + CODE_LIFETIME_S,
    )
    return _redirect(params["redirect_uri"], code=code, state=params["state"])


def _client(call: Call) -> tuple[str | None, str | None]:
    """Client credentials from HTTP Basic, else from the form."""
    scheme, _, encoded = (call.header("Authorization") or "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        return client_id, secret
    return call.form.get("client_id"), call.form.get("client_secret")


def _oauth_error(error: str, description: str) -> Reply:
    return Reply(400, {"error": error, "error_description": description})


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def token(world: World, call: Call) -> Reply:
    """POST /api/token: authorization_code and refresh_token grants."""
    client_id, secret = _client(call)
    if client_id != world.client.id:
        return _oauth_error("invalid_client", "Invalid client")
    if secret != world.client.secret:
        return _oauth_error("invalid_client", "Invalid client secret")
    form = call.form
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        code = world.codes.pop(form.get("code") or "", None)
        if code is None or code.expires_at < time.time() or code.client_id != client_id:
            return _oauth_error("invalid_grant", "Invalid authorization code")
        if form.get("redirect_uri") != code.redirect_uri:
            return _oauth_error("invalid_grant", "Invalid redirect URI")
        if code.challenge and _s256(form.get("code_verifier") or "") != code.challenge:
            return _oauth_error("invalid_grant", "code_verifier was incorrect")
        return Reply(200, world.issue_token(code.account_id, code.scopes))
    if grant_type == "refresh_token":
        try:
            return Reply(200, world.refresh(form.get("refresh_token") or ""))
        except ApiError as refusal:
            return _oauth_error("invalid_grant", refusal.message)
    return _oauth_error("unsupported_grant_type", "grant_type parameter is missing or not supported")


def add_routes(router: Router) -> None:
    router.add("GET", "/authorize", authorize_page)
    router.add("POST", "/authorize", authorize_decision)
    router.add("POST", "/api/token", token)
