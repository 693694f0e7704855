"""axe-core in a Playwright page: inject it, run it, and say what it found in words a failing test can print.

axe-core comes from the npm registry (package.json pins the version; `make test` runs `npm ci` first). It is
added to every document of a browser context as an init script, so a Content-Security-Policy without
'unsafe-inline' cannot block it, and each page is checked as it stands after it has loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# The impacts a page must not have; "minor" and "moderate" findings are reported by axe but do not fail a test.
BLOCKING = ("serious", "critical")


@dataclass(frozen=True)
class Finding:
    """One axe violation on one page: the rule, how bad, and the elements it names."""

    page: str
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.page}: {self.rule} ({self.impact}, ×{len(self.targets)}) {self.help} → {', '.join(self.targets)}"


def install(context) -> None:
    """Make axe-core available as `window.axe` in every page the context opens."""
    if not AXE_JS.exists():
        pytest.fail(f"axe-core is missing at {AXE_JS}: run `make test` (or `npm ci`) to fetch it", pytrace=False)
    context.add_init_script(path=str(AXE_JS))


def audit(page, label: str, exclude: tuple[str, ...] = ()) -> list[Finding]:
    """axe's serious and critical violations on the page as it is now; `exclude` leaves out CSS selectors."""
    page.wait_for_load_state("load")
    results = page.evaluate(
        """async (exclude) => {
            const context = exclude.length ? {exclude: exclude.map((selector) => [selector])} : document;
            return await axe.run(context, {resultTypes: ["violations"]});
        }""",
        list(exclude),
    )
    return [
        Finding(
            page=label,
            rule=violation["id"],
            impact=violation["impact"],
            help=violation["help"],
            targets=tuple(" ".join(map(str, node["target"])) for node in violation["nodes"]),
        )
        for violation in results["violations"]
        if violation["impact"] in BLOCKING
    ]


def report(findings: list[Finding]) -> str:
    """A failure message: one line per rule and page."""
    return f"{len(findings)} serious or critical axe-core violations:\n" + "\n".join(f"  {f}" for f in findings)
