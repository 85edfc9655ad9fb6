"""A fake of Alexa's Reminders and Settings APIs, served over real HTTP on loopback.

Not a mock of our client: :class:`FakeAlexaApi` is an ``http.server`` in a thread on
``127.0.0.1`` (a free port of its own, so parallel test workers never meet) that records
every request it gets (method, path, headers, body) and answers what the test set:

* ``POST /v1/alerts/reminders``: :attr:`FakeAlexaApi.reminders`, by default 201 with the
  answer Amazon's reference shows (an ``alertToken``, times, status, version, href);
* ``GET /v2/devices/{deviceId}/settings/System.timeZone``: :attr:`FakeAlexaApi.time_zone`, by
  default 200 with the zone's id as a JSON string, as the Settings API answers;
* anything else: 404 with a JSON error.

An :class:`Answer` can be any status, any body (malformed JSON too) and a delay, to outlast
the client's timeout; a delayed answer is cut short when the fake stops.

:func:`handler_input_for` gives the handler input of an envelope as the skill builds it
(:func:`skill.app.build_builder` with an API client), so a test calls
:mod:`skill.reminders` exactly as a handler would.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import pytest
from ask_sdk_core.dispatch_components import AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.services import ApiClient

from skill.app import build_builder, handle_event
from skill.serializer import LegCheckSerializer
from skill.tools.simulator.alexa_apis import REMINDERS_PATH as REMINDERS_PATH  # (re-exported)
from skill.tools.simulator.alexa_apis import TIME_ZONE_PATH

ALERT_TOKEN = "amzn1.alert.00000000-fake-reminder"


@dataclass(frozen=True)
class Answer:
    """What the fake answers: a status, a body (sent as it is), a delay in seconds."""

    status: int
    body: str = ""
    delay: float = 0.0
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)


def created(token: str = ALERT_TOKEN) -> Answer:
    """201 Created with the body Amazon's Reminders API reference shows."""
    body = {
        "alertToken": token,
        "createdTime": "2026-11-24T07:30:00.000Z",
        "updatedTime": "2026-11-24T07:30:00.000Z",
        "status": "ON",
        "version": "1",
        "href": f"/v1/alerts/reminders/{token}",
    }
    return Answer(201, json.dumps(body))


def time_zone(name: str) -> Answer:
    """200 with the device's time zone id, a JSON string, as the Settings API answers."""
    return Answer(200, json.dumps(name))


def error(status: int, code: str = "ERROR", message: str = "refused by the fake") -> Answer:
    """An error answer with a JSON body, as Alexa's APIs send."""
    return Answer(status, json.dumps({"code": code, "message": message}))


@dataclass(frozen=True)
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    """Header names in lower case."""
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeAlexaApi:
    """The fake APIs on ``url`` while in a ``with`` block; see the module's text."""

    zone: str = "America/New_York"
    reminders: Answer = field(default_factory=created)
    time_zone: Answer | None = None
    """None: 200 with :attr:`zone`."""
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "the fake is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def port(self) -> int:
        assert self._server is not None, "the fake is not running"
        return int(self._server.server_address[1])

    def answer_for(self, method: str, path: str) -> Answer:
        if method == "POST" and path == REMINDERS_PATH:
            return self.reminders
        if method == "GET" and TIME_ZONE_PATH.match(path):
            return self.time_zone or time_zone(self.zone)
        return error(404, "NOT_FOUND", f"no {method} {path} here")

    def paths(self) -> list[str]:
        """``METHOD path`` of each request received, in order."""
        with self._lock:
            return [f"{r.method} {r.path}" for r in self.requests]

    def record(self, request: Recorded) -> Answer:
        with self._lock:
            self.requests.append(request)
        return self.answer_for(request.method, request.path)

    def wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def __enter__(self) -> FakeAlexaApi:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        # polled often, so stopping takes milliseconds, not serve_forever's default 0.5 s
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        fake: FakeAlexaApi = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer = fake.record(Recorded(self.command, self.path, headers, body))
        if answer.delay:
            fake.wait(answer.delay)
        payload = answer.body.encode("utf-8")
        try:
            self.send_response(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value.replace("{url}", fake.url))
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client gave up (a timeout test): nothing to answer
            pass
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        pass


def handler_input_for(envelope: dict[str, Any], api_client: ApiClient) -> HandlerInput:
    """The handler input the skill builds for ``envelope`` (answered as a whole turn), with
    ``api_client`` for Alexa's service APIs, as :func:`skill.app.build_skill` builds it."""
    seen: list[HandlerInput] = []

    class Keep(AbstractRequestInterceptor):  # type: ignore[misc]
        def process(self, handler_input: HandlerInput) -> None:
            seen.append(handler_input)

    builder = build_builder(None, api_client)
    builder.add_global_request_interceptor(Keep())
    skill = builder.create()
    skill.serializer = LegCheckSerializer()
    handle_event(envelope, skill=skill)
    assert len(seen) == 1
    return seen[0]


@contextmanager
def resolving_to_loopback(monkeypatch: pytest.MonkeyPatch, name: str) -> Iterator[None]:
    """Make the host ``name`` resolve to 127.0.0.1 in this process: a URL with a host that is
    not loopback by name would still reach the fake, if a client sent anything there."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == name else host, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(socket, "getaddrinfo", getaddrinfo)
        yield
