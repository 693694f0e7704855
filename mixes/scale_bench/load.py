"""A bounded loopback load run: many signed-in people taking the Flow 11 journey at once, against a real server.

`run` sends every request to 127.0.0.1 only, from `users` threads for `seconds`, each a person with a session of
their own (made beforehand, so no sign-in is rate-limited), through the journey Screen 1 → Generate → Screen 2 →
two swaps → lock → regenerate, over and over, with a GET of /healthz (the bare page: one query and a broker PING
through the whole middleware stack) before each step, so that the baseline meets the same concurrency. It records
every request's time and status, and `summary` gives per kind of request its count, errors and p50/p95.

The server is the production one (gunicorn behind "a TLS proxy": the client sends X-Forwarded-Proto: https, so
secure cookies and CSRF's origin check work as in production). Plain standard library: http.client and threads.
"""

from __future__ import annotations

import http.client
import re
import statistics
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

ROW_SWAP = re.compile(r'action="(/mixes/(\d+)/tracks/(\d+)/swap/)"')
LOCK = "/mixes/{mix}/tracks/{row}/lock/"
REGENERATE = "/mixes/{mix}/regenerate/"
MIX = re.compile(r"^/mixes/(\d+)/$")


@dataclass
class Timing:
    name: str
    seconds: float
    ok: bool


@dataclass
class LoadReport:
    users: int
    seconds: float
    timings: list[Timing] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # the first few, in words

    def summary(self) -> dict[str, dict]:
        """Per kind of request: count, errors, p50 and p95 in ms."""
        by_name: dict[str, list[Timing]] = defaultdict(list)
        for timing in self.timings:
            by_name[timing.name].append(timing)
        figures = {}
        for name, timings in sorted(by_name.items()):
            seconds = sorted(t.seconds for t in timings)
            figures[name] = {
                "count": len(timings),
                "errors": sum(not t.ok for t in timings),
                "p50_ms": round(statistics.median(seconds) * 1000, 1),
                "p95_ms": round(_percentile(seconds, 0.95) * 1000, 1),
            }
        return figures


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


class Person:
    """One signed-in person's browser: their cookies, the CSRF token, and how their requests went."""

    def __init__(self, port: int, session_key: str, report: LoadReport, lock: threading.Lock):
        self.port = port
        self.cookies = {"sessionid": session_key}
        self.report = report
        self.lock = lock
        self.origin = f"https://127.0.0.1:{port}"

    def request(self, name: str, method: str, path: str, data: dict | None = None, htmx: bool = False):
        """(status, body, location), timed and recorded; a status of 400 or more, or no answer, is an error."""
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        body = None
        if method == "POST":
            body = urlencode(data or {}, doseq=True)
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-CSRFToken": self.cookies.get("csrftoken", ""),
                    "Origin": self.origin,
                    "Referer": self.origin + "/",
                }
            )
        if htmx:
            headers["HX-Request"] = "true"
        started = time.perf_counter()
        status, text, location = 0, "", ""
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            status, location = response.status, response.getheader("Location") or ""
            for header in response.headers.get_all("Set-Cookie") or []:
                for key, morsel in SimpleCookie(header).items():
                    self.cookies[key] = morsel.value
            connection.close()
        except OSError as error:
            text = str(error)
        ok = 0 < status < 400
        with self.lock:
            self.report.timings.append(Timing(name, time.perf_counter() - started, ok))
            if not ok and len(self.report.failures) < 10:
                self.report.failures.append(f"{name} {method} {path}: {status or text[:200]}")
        return status, text, location

    def journey(self, plan_id: int, deadline: float) -> None:
        """The Flow 11 journey, again and again, until the deadline; each step after a bare page."""
        while time.monotonic() < deadline:
            self.bare()
            self.request("Screen 1", "GET", "/")
            self.bare()
            form = {"plan": plan_id, "mix_type": "full", "familiarity": 50, "explicit_allowed": "on"}
            status, _, location = self.request("Generate", "POST", "/", form)
            found = MIX.match(location.replace(self.origin, ""))
            if status != 302 or not found:
                continue
            mix = found.group(1)
            self.bare()
            _, page, _ = self.request("Screen 2", "GET", f"/mixes/{mix}/")
            rows = [(path, row) for path, _, row in ROW_SWAP.findall(page)]
            for path, _ in rows[:2]:
                self.bare()
                self.request("swap", "POST", path, htmx=True)
            if rows:
                self.bare()
                self.request("lock", "POST", LOCK.format(mix=mix, row=rows[-1][1]), htmx=True)
            self.bare()
            self.request("regenerate", "POST", REGENERATE.format(mix=mix), {"seed_artists": ""}, htmx=True)

    def bare(self) -> None:
        self.request("bare page", "GET", "/healthz")


def run(port: int, people: list[tuple[str, int]], seconds: float) -> LoadReport:
    """Each (session key, plan id) a person taking the journey for `seconds`, all at once."""
    report = LoadReport(users=len(people), seconds=seconds)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=Person(port, key, report, lock).journey, args=(plan, deadline), daemon=True)
        for key, plan in people
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return report
