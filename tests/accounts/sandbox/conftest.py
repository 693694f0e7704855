import pytest
import requests

from accounts.sandbox.library import DEMO, NEWBIE


class Api:
    """Requests to the sandbox as a connected app: a Bearer token for the demo account."""

    def __init__(self, sandbox, account_id: str = DEMO):
        self.sandbox = sandbox
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {sandbox.issue_token(account_id)['access_token']}"

    def __call__(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, self.sandbox.url + path, timeout=5, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self("POST", path, **kwargs)


@pytest.fixture
def api(spotify_sandbox) -> Api:
    return Api(spotify_sandbox)


@pytest.fixture
def newbie_api(spotify_sandbox) -> Api:
    return Api(spotify_sandbox, NEWBIE)
