"""Alexa's service APIs over the standard library: ask-sdk-core's ``ApiClient`` without requests.

The SDK's service clients (``ReminderManagementServiceClient``, ``UpsServiceClient`` and the
rest) build each call as an ``ApiClientRequest`` and hand it to the skill's ``ApiClient``,
which the skill builder is given (:func:`skill.app.build_builder`); the skill then builds
``handler_input.service_client_factory`` for every request, with the request's
``apiEndpoint`` and ``apiAccessToken``. The SDK's own client, ``DefaultApiClient`` in
``ask_sdk_core.api_client``, imports ``requests``, which AWS Lambda's Python runtime does not
include and the Lambda zip leaves out, and that module is never imported here.
:class:`AlexaApiClient` makes the same calls with ``urllib.request``:

* **A short timeout**, :data:`DEFAULT_TIMEOUT` (2.5 s), for the connection and for each read:
  a turn that asks the Settings API for the time zone and then creates a reminder waits at
  most about two of them, well inside the 8 seconds Alexa waits for an answer. (It bounds
  each blocking step, not the whole call: a server that trickles bytes could hold it longer;
  Alexa's APIs answer whole.)
* **The access token goes only where it is safe**: to an ``https`` endpoint, or to plain
  ``http`` on loopback (``127.0.0.1``, ``::1``, ``localhost``: the tests' fake API and the
  simulator). Any other URL raises :class:`~skill.errors.InsecureEndpointError` before a
  connection is opened. Redirects are not followed (``urllib`` would carry the
  ``Authorization`` header to wherever they point) and no proxy from the environment is
  used (it would see a loopback call's token in the clear).
* **Every HTTP answer is returned**, whatever its status, as the ``ApiClient`` contract
  asks: the SDK's service client turns a non-2xx status into a ``ServiceException`` that
  carries it. Only a call that got no answer raises: :class:`~skill.errors.AlexaApiTimeoutError`
  or :class:`~skill.errors.AlexaApiUnreachableError`. The SDK wraps whatever ``invoke``
  raises in a ``ServiceException`` (status 500, "Call to service failed"), raised while
  handling ours, so ours is that exception's ``__context__``: :mod:`skill.reminders` reads it
  to tell a timeout from a refusal.
* **An error answer's body is passed on only when it is JSON.** The SDK parses the body of
  each error status it knows (403, 429, ...) as JSON and raises a bare
  ``SerializationException`` when it cannot, which would hide the status; Alexa's error
  bodies are JSON, and an HTML page from a proxy in between is not. A body larger than
  :data:`MAX_ANSWER_BYTES` is not passed on either: no answer of these APIs comes near it.

``urllib.request`` (with ``http.client``, ``ssl`` and ``email``) is imported at the first
call, not at import: a cold start that sets no reminder never pays for it.
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ask_sdk_model.services import ApiClient, ApiClientRequest, ApiClientResponse

from skill.errors import AlexaApiTimeoutError, AlexaApiUnreachableError, InsecureEndpointError

if TYPE_CHECKING:
    from urllib.request import OpenerDirector

DEFAULT_TIMEOUT = 2.5
"""Seconds to wait for the connection and for each read of an answer (see the module's text)."""
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
"""The hosts plain ``http`` may be used with: this machine, for tests and the simulator."""
MAX_ANSWER_BYTES = 64 * 1024
"""The largest answer body passed on to the SDK; a reminder's answer is a few hundred bytes."""


def may_carry_token(url: str | None) -> bool:
    """Whether the access token may be sent to ``url``: ``https`` with a host, or ``http`` to
    a loopback host (:data:`LOOPBACK_HOSTS`)."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (a port that is not a number raises ValueError)
    except ValueError:
        return False
    if parts.scheme == "https":
        return bool(host)
    return parts.scheme == "http" and host in LOOPBACK_HOSTS


def endpoint_name(url: str | None) -> str:
    """``url``'s scheme and host, for a message (never its path, query or user info)."""
    try:
        parts = urlsplit(url or "")
        return f"{parts.scheme or '?'}://{parts.hostname or '?'}"
    except ValueError:
        return "an unreadable URL"


@cache
def _opener() -> OpenerDirector:
    """One opener for the process: no proxy, no redirects followed."""
    import urllib.request

    class RefuseRedirects(urllib.request.HTTPRedirectHandler):
        """A redirect is answered as the status it is, never followed with the token."""

        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    return urllib.request.build_opener(urllib.request.ProxyHandler({}), RefuseRedirects())


def _request_body(body: Any) -> bytes | None:
    """The SDK hands over the serialized model (a dict), a string, or nothing."""
    if body is None:
        return None
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")


def _answer_body(status: int, raw: bytes) -> str | None:
    """What the SDK gets as the answer's body (see the module's text)."""
    if not raw or len(raw) > MAX_ANSWER_BYTES:
        return None
    text = raw.decode("utf-8", errors="replace")
    if 200 <= status < 300:
        return text
    try:
        json.loads(text)
    except ValueError:
        return None
    return text


class AlexaApiClient(ApiClient):  # type: ignore[misc]
    """ask-sdk-core's ``ApiClient`` on ``urllib.request`` (see the module's text)."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout

    def invoke(self, request: ApiClientRequest) -> ApiClientResponse:
        """Send ``request`` and return the answer, whatever its status.

        Raises :class:`InsecureEndpointError` for a URL the token may not go to (nothing is
        sent), :class:`AlexaApiTimeoutError` when no answer came in time and
        :class:`AlexaApiUnreachableError` when the call failed otherwise.
        """
        import http.client
        import urllib.error
        import urllib.request

        url = request.url
        if not may_carry_token(url):
            raise InsecureEndpointError(
                "expected an https endpoint (or http on loopback) for an Alexa API call, "
                f"got {endpoint_name(url)}: the access token was not sent"
            )
        call = urllib.request.Request(
            url,
            data=_request_body(request.body),
            headers=dict(request.headers or []),
            method=request.method or "GET",
        )
        where = f"{request.method} {endpoint_name(url)}"
        try:
            try:
                with _opener().open(call, timeout=self.timeout) as answer:
                    status = int(answer.status)
                    headers = list(answer.headers.items())
                    raw = answer.read(MAX_ANSWER_BYTES + 1)
            except urllib.error.HTTPError as refused:
                with refused:
                    status = refused.code
                    headers = list(refused.headers.items()) if refused.headers else []
                    raw = refused.read(MAX_ANSWER_BYTES + 1)
        except TimeoutError as exc:
            raise AlexaApiTimeoutError(
                f"expected an answer from {where} within {self.timeout:g} s, got none"
            ) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise AlexaApiTimeoutError(
                    f"expected to connect to {where} within {self.timeout:g} s, could not"
                ) from exc
            raise AlexaApiUnreachableError(
                f"expected to reach {where}, got {exc.reason!s}"
            ) from exc
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise AlexaApiUnreachableError(
                f"expected an answer from {where}, got {type(exc).__name__}: {exc}"
            ) from exc
        return ApiClientResponse(
            headers=headers, body=_answer_body(status, raw), status_code=status
        )
