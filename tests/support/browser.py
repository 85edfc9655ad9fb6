"""The development console in a real browser: the dev server in a thread, and Debian's chromium
driven by Playwright.

The server is the app ``legcheck serve --no-verify`` builds (the console registered), over a
temporary SQLite store with reminders on, on a free loopback port (werkzeug picks it: port 0),
so parallel test workers never share one. Chromium is Debian's package (Playwright's own
browser download cannot work offline), found at ``LEGCHECK_CHROMIUM`` or where Debian puts it;
without it the browser tests fail with one line saying how to install it, never skip.
"""

from __future__ import annotations

import math
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM_ENV = "LEGCHECK_CHROMIUM"
DEBIAN_CHROMIUM = Path("/usr/lib/chromium/chromium")
SCREENSHOTS_ENV = "LEGCHECK_SCREENSHOTS"
"""A folder to save the console's screenshots in (default: the test run's temporary folder)."""


def chromium_path() -> Path:
    """The Chromium the browser tests drive; a test failure in one line when there is none."""
    named = os.environ.get(CHROMIUM_ENV)
    path = Path(named) if named else DEBIAN_CHROMIUM
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"no Chromium at {path} ({CHROMIUM_ENV} or Debian's chromium package): install it "
            f"with scripts/setup (sudo apt-get install chromium), or set {CHROMIUM_ENV}",
            pytrace=False,
        )
    return path


@contextmanager
def console_server(folder: Path) -> Iterator[str]:
    """The development server, as ``legcheck serve --no-verify`` builds it, over an SQLite
    store in ``folder`` with reminders on; yields its address (``http://127.0.0.1:PORT``)."""
    from skill.settings import Settings
    from skill.store import Deployment
    from skill.tools.console import development_app

    env = {"LEGCHECK_DB": str(folder / "checkins.sqlite3"), "LEGCHECK_REMINDERS": "on"}
    settings = Settings.load(Deployment.LOCAL, env=env)
    app = development_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="console-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def screenshots_folder(default: Path) -> Path:
    """Where a run saves the console's screenshots: ``LEGCHECK_SCREENSHOTS`` or ``default``."""
    named = os.environ.get(SCREENSHOTS_ENV)
    folder = Path(named) if named else default
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# ------------------------------------------------------------------ WCAG contrast


def relative_luminance(colour: str) -> float:
    """WCAG 2's relative luminance of ``#rrggbb`` or ``rgb(r, g, b)``."""
    found = re.fullmatch(r"#([0-9a-fA-F]{6})", colour.strip())
    if found:
        value = found.group(1)
        channels = [int(value[i : i + 2], 16) for i in (0, 2, 4)]
    else:
        numbers = re.fullmatch(r"rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,\s*[\d.]+)?\)", colour.strip())
        if numbers is None:
            raise ValueError(f"expected a colour as #rrggbb or rgb(r, g, b); got {colour!r}")
        channels = [int(n) for n in numbers.groups()]

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else math.pow((c + 0.055) / 1.055, 2.4)

    r, g, b = (linear(c) for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2's contrast ratio of two colours (1 to 21)."""
    lighter, darker = sorted(
        (relative_luminance(foreground), relative_luminance(background)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


def css_custom_properties(css: str) -> dict[str, str]:
    """The ``--name: value`` custom properties of a stylesheet's ``:root`` rule."""
    root = re.search(r":root\s*\{(.*?)\}", css, re.DOTALL)
    if root is None:
        raise ValueError("expected a :root rule with the console's colours; found none")
    return dict(re.findall(r"(--[\w-]+)\s*:\s*([^;]+?)\s*;", root.group(1)))
