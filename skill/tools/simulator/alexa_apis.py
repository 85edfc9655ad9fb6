"""Alexa's Reminders and Settings APIs, answered on loopback for the simulator.

A skill that offers reminders calls two of Alexa's service APIs at the ``apiEndpoint`` of
each request: the Settings API for the device's time zone, and the Reminders API to create
the reminder. The simulator must never send a runner's words (or a token) to Amazon, so
:class:`LocalAlexaApis` answers both itself: a small ``http.server`` in a thread on
``127.0.0.1`` (a free port of its own), which the simulated requests name as their
``apiEndpoint`` (plain ``http`` on loopback is the one kind the skill's API client accepts
besides ``https``). It works the same whether the skill runs in this process or behind
``legcheck serve`` on this machine.

It answers as Alexa's APIs do, closely enough to try the whole loop:

* ``GET /v2/devices/{deviceId}/settings/System.timeZone``: the device's time zone (a JSON
  string), :attr:`LocalAlexaApis.zone`;
* ``POST /v1/alerts/reminders``: 201 with an ``alertToken``, the reminder kept in
  :attr:`LocalAlexaApis.reminders`; 401 while the runner has not granted the reminders
  permission (:attr:`LocalAlexaApis.granted`), or the status :attr:`LocalAlexaApis.failure`
  names (``.reminders fail 503`` in the console), as Alexa answers a refusal;
* anything without the simulated access token (``Authorization: Bearer ...``): 401;
  anything else: 404.

This is tooling: the tests have their own fake (``tests/support/fake_alexa_api.py``), which
records every request for the test to read; tools never import the tests.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

REMINDERS_PATH = "/v1/alerts/reminders"
TIME_ZONE_PATH = re.compile(r"^/v2/devices/[^/]+/settings/System\.timeZone$")
DEVICE_ZONES = {
    "en-US": "America/New_York",
    "en-CA": "America/Toronto",
    "en-GB": "Europe/London",
    "en-AU": "Australia/Sydney",
    "en-IN": "Asia/Kolkata",
}
"""The time zone a simulated device in each market is set to (its largest city's)."""
DEFAULT_ZONE = "America/New_York"
MAX_BODY_BYTES = 64 * 1024


def zone_for(locale: str) -> str:
    """The time zone of a simulated device in the market of ``locale``."""
    return DEVICE_ZONES.get(locale, DEFAULT_ZONE)


@dataclass(frozen=True)
class ReceivedReminder:
    """A reminder the simulated Reminders API was asked to create, as Alexa received it."""

    body: dict[str, Any]

    @property
    def trigger(self) -> dict[str, Any]:
        trigger = self.body.get("trigger")
        return trigger if isinstance(trigger, dict) else {}

    @property
    def scheduled(self) -> str | None:
        """The naive local time it rings (``2026-11-24T19:00:00``); None for a relative one."""
        value = self.trigger.get("scheduledTime")
        return value if isinstance(value, str) else None

    @property
    def zone(self) -> str | None:
        value = self.trigger.get("timeZoneId")
        return value if isinstance(value, str) else None

    @property
    def offset_seconds(self) -> int | None:
        value = self.trigger.get("offsetInSeconds")
        return value if isinstance(value, int) else None

    @property
    def spoken(self) -> list[dict[str, Any]]:
        info = self.body.get("alertInfo")
        spoken = info.get("spokenInfo") if isinstance(info, dict) else None
        content = spoken.get("content") if isinstance(spoken, dict) else None
        return [c for c in content if isinstance(c, dict)] if isinstance(content, list) else []

    @property
    def text(self) -> str:
        """What Alexa will say and show (the first locale's text)."""
        return str(self.spoken[0].get("text", "")) if self.spoken else ""

    @property
    def locale(self) -> str:
        return str(self.spoken[0].get("locale", "")) if self.spoken else ""

    @property
    def push(self) -> bool:
        notification = self.body.get("pushNotification")
        return isinstance(notification, dict) and notification.get("status") == "ENABLED"

    def describe(self) -> str:
        """One line: when it rings and what it says."""
        if self.scheduled is not None:
            try:
                when = f"{datetime.fromisoformat(self.scheduled):%Y-%m-%d %H:%M}"
            except ValueError:
                when = self.scheduled
            when += f" {self.zone}"
        else:
            when = f"in {(self.offset_seconds or 0) / 3600:g} hours"
        push = ", with a push notification" if self.push else ""
        return f"{when} ({self.locale}{push}): {self.text}"


@dataclass
class LocalAlexaApis:
    """The simulated Reminders and Settings APIs, serving on :attr:`url` inside a ``with``
    block (see the module's text)."""

    zone: str = DEFAULT_ZONE
    """The device's time zone, as the Settings API answers it."""
    granted: bool = False
    """Whether the runner has granted the skill the reminders permission."""
    failure: int | None = None
    """A status to answer reminder creation with instead (429, 500, 503...); None: create."""
    token: str = field(default_factory=lambda: "simulated-" + secrets.token_urlsafe(12))
    """The ``apiAccessToken`` the simulated requests carry; calls without it get a 401."""
    reminders: list[ReceivedReminder] = field(default_factory=list)
    """Every reminder created, oldest first."""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulated Alexa APIs are not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def received(self) -> int:
        """How many reminders were created so far (to tell which came with a turn)."""
        with self._lock:
            return len(self.reminders)

    def since(self, count: int) -> list[ReceivedReminder]:
        """The reminders created after the first ``count``."""
        with self._lock:
            return list(self.reminders[count:])

    def answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        """The status and JSON answer to one call."""
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"code": "UNAUTHORIZED", "message": "no valid access token"}
        if method == "GET" and TIME_ZONE_PATH.match(path):
            return 200, self.zone
        if method != "POST" or path != REMINDERS_PATH:
            return 404, {"code": "NOT_FOUND", "message": f"no {method} {path} here"}
        if self.failure is not None:
            return self.failure, {"code": "SIMULATED", "message": "a failure asked for"}
        if not self.granted:
            return 401, {"code": "UNAUTHORIZED", "message": "the reminders permission is missing"}
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("trigger"), dict):
            return 400, {"code": "INVALID_REQUEST", "message": "expected a reminder"}
        with self._lock:
            self.reminders.append(ReceivedReminder(data))
            number = len(self.reminders)
        token = f"amzn1.alert.simulated-{number}"
        return 201, {
            "alertToken": token,
            "createdTime": data.get("requestTime"),
            "updatedTime": data.get("requestTime"),
            "status": "ON",
            "version": "1",
            "href": f"{REMINDERS_PATH}/{token}",
        }

    def __enter__(self) -> LocalAlexaApis:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.apis = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        apis: LocalAlexaApis = self.server.apis  # type: ignore[attr-defined]
        length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY_BYTES)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, answer = apis.answer(self.command, self.path, headers, body)
        payload = json.dumps(answer).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        pass
