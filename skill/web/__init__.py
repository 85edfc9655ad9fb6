"""The local and production web endpoint: a Flask app that wraps ``skill.invoke``.

``create_app(config)`` is the app factory. POST / takes an Alexa request
envelope and answers with the skill's response envelope. Every boundary is
bounded, and no client input gets a 5xx:

- **In**: a body over ``LEGCHECK_MAX_BODY_BYTES`` gets 413; a body that is not
  UTF-8 JSON nested at most 64 deep (scanned before any parser sees it), with
  finite numbers, is not an Alexa envelope, or carries ``session.attributes``
  deeper or larger than :mod:`skill.limits` allows, gets 400. Each refusal has
  a one-line reason in the answer and in the log.
- **Verification**: unless ``LEGCHECK_VERIFY`` is false, every POST is first
  proven to come from Alexa by :class:`skill.web.verifier.RequestVerifier`
  (certificate URL and chain, ``Signature-256`` over the raw body, timestamp,
  skill id); a request that fails any check gets 400 and never reaches the
  skill. With verification off, only requests from a loopback address
  (127.0.0.0/8, ::1) that did not come through a proxy are answered: a
  misconfigured server cannot serve the world unverified.
- **Out**: the skill's response is sent as compact JSON only if Alexa would
  take it (:func:`skill.limits.response_problems`: speech and card lengths,
  well-formed SSML, at most 24,000 bytes in all); otherwise, and whenever the
  skill itself fails, the error is logged on one line with the request id and
  the runner hears a short apology (:func:`skill.limits.apology_response`).

GET /health answers ``{"status": "ok"}`` for load balancers and needs no
verification.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import sys
import traceback
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from skill import limits
from skill.app import handle_event
from skill.errors import (
    BadRequestError,
    ConfigError,
    EnvelopeError,
    LegCheckError,
    PayloadTooLargeError,
    VerificationError,
)
from skill.settings import SKILL_ID_ENV, Flag, Settings, skill_id_of
from skill.store import Deployment
from skill.web.verifier import RequestVerifier, request_id_of

log = logging.getLogger("legcheck.web")

DEFAULTS: dict[str, Any] = {
    # Largest request body accepted, in bytes; Alexa's requests are far smaller.
    "LEGCHECK_MAX_BODY_BYTES": 128 * 1024,
    # Prove each request comes from Alexa (Amazon requires it of web services).
    "LEGCHECK_VERIFY": True,
    # With verification on and no LEGCHECK_SKILL_ID, refuse to start unless this is true.
    "LEGCHECK_ALLOW_ANY_SKILL_ID": False,
    # Injectable for tests: url -> PEM bytes, trusted roots, and the aware time now.
    "LEGCHECK_CERT_FETCHER": None,
    "LEGCHECK_TRUST_ROOTS": None,
    "LEGCHECK_CLOCK": None,
}

# Headers a reverse proxy adds: with verification off, a request that carries one came from
# somewhere else, even if the proxy itself connects from loopback.
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


def parse_envelope(body: bytes) -> dict[str, Any]:
    """Parse raw bytes into a checked request envelope, or raise BadRequestError saying why."""
    try:
        data = limits.load_json(body)
    except limits.JsonLimitError as exc:
        raise BadRequestError(f"expected a JSON request envelope: {exc}") from exc
    return check_envelope(data, body)


def check_envelope(data: Any, body: bytes) -> dict[str, Any]:
    """Return ``data`` if it is an envelope the skill can take, or raise BadRequestError why.

    ``data`` is ``body`` as :func:`skill.limits.load_json` read it. Checks what the SDK and the
    skill rely on: an object with ``version`` and ``request``, ``request.type``, ``requestId``
    and ``timestamp`` as strings, ``session`` (when present) an object whose ``attributes`` are
    within :func:`skill.limits.attributes_problem`'s bounds. Whether the SDK can read the rest
    is found when :func:`skill.app.handle_event` reads it (:class:`EnvelopeError`, also a 400).
    """
    if not isinstance(data, dict):
        raise BadRequestError(f"expected a JSON object, got {type(data).__name__}")
    for key in ("version", "request"):
        if key not in data:
            raise BadRequestError(f"expected an Alexa request envelope with {key!r}, it is missing")
    req = data["request"]
    if not isinstance(req, dict) or not isinstance(req.get("type"), str):
        raise BadRequestError("expected request.type to be a string")
    for key in ("requestId", "timestamp"):
        if not isinstance(req.get(key), str):
            raise BadRequestError(f"expected request.{key} to be a string")
    session = data.get("session")
    if session is not None:
        if not isinstance(session, dict):
            raise BadRequestError(
                f"expected session to be a JSON object, got {type(session).__name__}"
            )
        problem = limits.attributes_problem(session.get("attributes"), holder=body)
        if problem is not None:
            raise BadRequestError(problem)
    return data


@functools.lru_cache(maxsize=256)
def is_loopback(address: str | None) -> bool:
    """True when ``address`` (a remote address as WSGI gives it) is a loopback address."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app that serves the skill.

    Config keys: ``LEGCHECK_SKILL`` (a ``CustomSkill``; the default is
    ``skill.app.default_skill``, with the store the settings name), ``LEGCHECK_SETTINGS`` (a
    :class:`skill.settings.Settings`, as ``legcheck serve`` read them; the default is
    :meth:`Settings.load` from the environment), ``LEGCHECK_MAX_BODY_BYTES``,
    ``LEGCHECK_VERIFY`` (default true), ``LEGCHECK_SKILL_ID`` (default: the settings'
    ``LEGCHECK_SKILL_ID``), ``LEGCHECK_ALLOW_ANY_SKILL_ID``, and for tests
    ``LEGCHECK_CERT_FETCHER``, ``LEGCHECK_TRUST_ROOTS`` and ``LEGCHECK_CLOCK`` (see
    :class:`skill.web.verifier.RequestVerifier`).

    Every setting is checked before anything is logged: one that cannot work raises
    ``ConfigError`` with one line (gunicorn, loading ``skill.web:create_app()``, is handed
    its ``AppImportError`` instead, so it prints that line and stops, rather than a traceback
    and booting workers again). With verification on and no skill id configured, it raises
    unless ``LEGCHECK_ALLOW_ANY_SKILL_ID`` is true: a verified endpoint that accepts any
    skill's requests would answer other people's skills. With verification on and the
    default skill, it also raises when check-ins are stored and ``LEGCHECK_USER_KEY_SECRET``
    is not set. With verification off, it logs a warning and answers only loopback clients.
    """
    try:
        return _create_app(config)
    except ConfigError as exc:
        refusal = _boot_refusal(exc)
        if refusal is None:
            raise
        raise refusal from None


def _boot_refusal(exc: ConfigError) -> Exception | None:
    """gunicorn's ``AppImportError`` with ``exc``'s line when gunicorn is loading the app (its
    arbiter has imported ``gunicorn.errors``; Leg Check never does); None elsewhere."""
    refusal = getattr(sys.modules.get("gunicorn.errors"), "AppImportError", None)
    if refusal is None:
        return None
    made: Exception = refusal(f"legcheck: {exc}")
    return made


def _create_app(config: Mapping[str, Any] | None) -> Flask:
    app = Flask("legcheck")
    app.config.update(DEFAULTS)
    if config:
        app.config.update(config)
    deployment = Deployment.SERVER if app.config["LEGCHECK_VERIFY"] else Deployment.LOCAL
    given = app.config.get("LEGCHECK_SKILL_ID") or None
    flags = {SKILL_ID_ENV: Flag("the LEGCHECK_SKILL_ID config key", given)} if given else {}
    settings: Settings | None = app.config.get("LEGCHECK_SETTINGS")
    if settings is None and app.config.get("LEGCHECK_SKILL") is None:
        # Verified serving is production: the store refuses to start without a user key secret.
        settings = Settings.load(deployment, flags=flags)
    if settings is not None and given is None:
        app.config["LEGCHECK_SKILL_ID"] = settings.skill_id
    else:
        app.config["LEGCHECK_SKILL_ID"] = skill_id_of(None, flags)[0]
    verifier = _build_verifier(app.config)
    app.extensions["legcheck_verifier"] = verifier
    if app.config.get("LEGCHECK_SKILL") is None:
        from skill.app import default_skill

        app.config["LEGCHECK_SKILL"] = default_skill(deployment, settings)
    # One byte more than the limit: Werkzeug refuses a larger Content-Length itself, but reads a
    # chunked stream only up to MAX_CONTENT_LENGTH and silently stops there, so the route sees
    # limit + 1 bytes of an oversized chunked body and refuses it (see ``alexa``).
    app.config["MAX_CONTENT_LENGTH"] = app.config["LEGCHECK_MAX_BODY_BYTES"] + 1

    @app.errorhandler(LegCheckError)
    def _legcheck_error(exc: LegCheckError) -> tuple[Response, int]:
        status = exc.http_status
        reason = limits.one_line(str(exc), 1000)  # one line in the log, whatever the message
        request_id = _logged_request_id()
        if isinstance(exc, VerificationError):
            check = getattr(exc, "check", "verification")
            log.warning(
                "refused request: %s check failed: %s (request id %s) (HTTP %d)",
                check,
                reason,
                request_id,
                status,
            )
        else:
            log.warning("refused request: %s (request id %s) (HTTP %d)", reason, request_id, status)
        return jsonify(error=reason), status

    @app.errorhandler(413)
    def _too_large(_exc: Exception) -> tuple[Response, int]:
        limit = app.config["LEGCHECK_MAX_BODY_BYTES"]
        log.warning("refused request: body over %d bytes (HTTP 413)", limit)
        return jsonify(error=f"expected a body of at most {limit} bytes"), 413

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Response, int]:
        status = exc.code or 400
        reason = limits.one_line(f"{exc.name}: {exc.description or ''}")
        log.warning(
            "refused request: %s %s: %s (HTTP %d)", request.method, request.path, reason, status
        )
        return jsonify(error=reason), status

    @app.errorhandler(Exception)
    def _internal_error(exc: Exception) -> tuple[Response, int]:
        # Only a bug outside the skill ends here (the skill's own failures are answered in
        # ``alexa``): one line in the log, the traceback at DEBUG, and a JSON 500.
        request_id = _logged_request_id()
        log.error(
            "internal error before the skill was reached: %s (request id %s) (HTTP 500)",
            describe_exception(exc),
            request_id,
        )
        log.debug("traceback of the internal error", exc_info=exc)
        return jsonify(error="internal error; it has been logged"), 500

    @app.get("/health")
    def health() -> Response:
        return jsonify(status="ok")

    @app.post("/")
    def alexa() -> Response:
        if verifier is None:
            _refuse_unless_local()
        # A declared Content-Length over the limit is refused by Werkzeug (413). A chunked
        # body (the server sets wsgi.input_terminated, as gunicorn and the dev server do) is
        # read up to MAX_CONTENT_LENGTH = limit + 1, so one byte too many shows here. A stream
        # with neither a length nor a terminator is read as empty.
        body = request.get_data(cache=True)
        limit = app.config["LEGCHECK_MAX_BODY_BYTES"]
        if len(body) > limit:
            raise PayloadTooLargeError(f"expected a body of at most {limit} bytes")
        if verifier is not None:
            data = check_envelope(verifier.verify(dict(request.headers.items()), body), body)
        else:
            data = parse_envelope(body)
        return answer(app.config["LEGCHECK_SKILL"], body, data)

    return app


def _refuse_unless_local() -> None:
    """With verification off, refuse anyone but a loopback client that came straight here."""
    address = request.remote_addr
    if not is_loopback(address):
        raise BadRequestError(
            "expected a request from a loopback address (127.0.0.0/8 or ::1), since request "
            f"verification is off (LEGCHECK_VERIFY is false); got one from {address!r}"
        )
    for header in PROXY_HEADERS:
        if header in request.headers:
            raise BadRequestError(
                f"expected a request straight from a loopback client, since request "
                f"verification is off (LEGCHECK_VERIFY is false); got one through a proxy "
                f"({header} header)"
            )


def answer(skill: Any, body: bytes, data: Mapping[str, Any]) -> Response:
    """Answer the checked envelope ``data`` (read from ``body``) with the skill's response, or
    a short apology if the skill fails or its response is unsendable.

    The body already passed :func:`skill.limits.load_json`'s bounds, so
    :func:`skill.app.handle_event` reads it as it is. Raises :class:`EnvelopeError` (a 400)
    when the SDK cannot read the envelope; otherwise never raises: an error inside the skill, a
    response that cannot be encoded as JSON, or one Alexa would refuse (see
    :func:`skill.limits.response_problems`) is logged on one line with the request id, and the
    runner hears :func:`skill.limits.apology_response` instead.
    """
    try:
        payload = handle_event(body, None, skill)
        encoded = limits.encode_json(payload)
        problems = limits.response_problems(payload, encoded)
    except EnvelopeError:
        raise
    except Exception as exc:  # anything at all: the runner still gets an answer
        log.error(
            "the skill failed on request %s: %s; answered with an apology",
            _request_id(data),
            describe_exception(exc),
        )
        log.debug("traceback of the skill's failure", exc_info=exc)
        return _apology()
    if problems:
        log.error(
            "the skill's response to request %s would be refused by Alexa: %s; answered "
            "with an apology",
            _request_id(data),
            "; ".join(problems),
        )
        return _apology()
    return Response(encoded, mimetype="application/json")


def _apology() -> Response:
    return Response(limits.encode_json(limits.apology_response()), mimetype="application/json")


def _logged_request_id() -> str:
    """The request id of the body being answered, for a log line; never raises."""
    try:
        return request_id_of(request.get_data(cache=True)) or "unknown"
    except Exception:  # the body could not even be read
        return "unknown"


def _request_id(data: Mapping[str, Any]) -> str:
    req = data.get("request")
    value = req.get("requestId") if isinstance(req, Mapping) else None
    if not isinstance(value, str):
        return "unknown"
    return "".join(ch if ch.isprintable() else "?" for ch in value[:120])


def describe_exception(exc: BaseException) -> str:
    """One line naming an exception, its message and where it was raised (file:line in func)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        where = f" (at {os.path.basename(last.filename)}:{last.lineno} in {last.name})"
    return limits.one_line(f"{type(exc).__name__}: {exc}", 300) + where


def _build_verifier(config: Mapping[str, Any]) -> RequestVerifier | None:
    """The request verifier the config asks for, or None when verification is off."""
    if not config["LEGCHECK_VERIFY"]:
        log.warning(
            "request verification is off (LEGCHECK_VERIFY is false): for local "
            "development only; only requests from loopback addresses (127.0.0.0/8, "
            "::1) are answered"
        )
        return None
    skill_id = config["LEGCHECK_SKILL_ID"]
    if skill_id is None:
        if not config["LEGCHECK_ALLOW_ANY_SKILL_ID"]:
            raise ConfigError(
                "expected the skill's application id in LEGCHECK_SKILL_ID (environment variable, "
                "config, or legcheck serve --skill-id) to verify requests, got none; to accept "
                "requests for any skill instead, pass the config LEGCHECK_ALLOW_ANY_SKILL_ID=True"
            )
        log.warning("LEGCHECK_ALLOW_ANY_SKILL_ID is set: requests for any skill are accepted")
    return RequestVerifier(
        skill_id,
        fetcher=config["LEGCHECK_CERT_FETCHER"],
        trust_roots=config["LEGCHECK_TRUST_ROOTS"],
        clock=config["LEGCHECK_CLOCK"],
    )
