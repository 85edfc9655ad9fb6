"""The local and production web endpoint: a Flask app that wraps ``skill.invoke``.

``create_app(config)`` is the app factory. POST / takes an Alexa request
envelope and answers with the skill's response envelope. Problems with the
request itself are answered with an HTTP error and a one-line reason, and
logged; problems inside the skill are answered by the skill's own exception
handler with a spoken apology.

Unless ``LEGCHECK_VERIFY`` is false, every POST is first proven to come from
Alexa by :class:`skill.verifier.RequestVerifier` (certificate URL and chain,
``Signature-256`` over the raw body, timestamp, skill id); a request that fails
any check gets HTTP 400 and never reaches the skill. GET /health answers
``{"status": "ok"}`` for load balancers and needs no verification.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from flask import Flask, Response, jsonify, request

from skill.errors import (
    BadRequestError,
    ConfigError,
    LegCheckError,
    PayloadTooLargeError,
    VerificationError,
)
from skill.verifier import RequestVerifier, request_id_of

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

_serializer = DefaultSerializer()


def parse_envelope(body: bytes) -> tuple[dict[str, Any], RequestEnvelope]:
    """Parse raw bytes into a request envelope, or raise BadRequestError saying why."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequestError(
            f"expected a JSON request envelope, got invalid JSON ({exc})") from exc
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
    try:
        envelope = _serializer.deserialize(json.dumps(data), RequestEnvelope)
    except Exception as exc:  # the SDK raises a bare SerializationException
        raise BadRequestError(f"the request envelope could not be read: {exc}") from exc
    return data, envelope


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app that serves the skill.

    Config keys: ``LEGCHECK_SKILL`` (a ``CustomSkill``; the default is
    ``skill.app.default_skill``, with the store ``LEGCHECK_DB`` names), ``LEGCHECK_MAX_BODY_BYTES``,
    ``LEGCHECK_VERIFY`` (default true), ``LEGCHECK_SKILL_ID`` (default: the
    ``LEGCHECK_SKILL_ID`` environment variable), ``LEGCHECK_ALLOW_ANY_SKILL_ID``,
    and for tests ``LEGCHECK_CERT_FETCHER``, ``LEGCHECK_TRUST_ROOTS`` and
    ``LEGCHECK_CLOCK`` (see :class:`skill.verifier.RequestVerifier`).

    With verification on and no skill id configured, it raises ``ConfigError``
    unless ``LEGCHECK_ALLOW_ANY_SKILL_ID`` is true: a verified endpoint that
    accepts any skill's requests would answer other people's skills. With
    verification on and the default skill, it also raises ``ConfigError`` when
    check-ins are stored and ``LEGCHECK_USER_KEY_SECRET`` is not set.
    """
    app = Flask("legcheck")
    app.config.update(DEFAULTS)
    if config:
        app.config.update(config)
    app.config["LEGCHECK_SKILL_ID"] = (app.config.get("LEGCHECK_SKILL_ID")
                                       or os.environ.get("LEGCHECK_SKILL_ID") or None)
    verifier = _build_verifier(app.config)
    app.extensions["legcheck_verifier"] = verifier
    if app.config.get("LEGCHECK_SKILL") is None:
        from skill.app import default_skill
        from skill.store import Deployment

        # Verified serving is production: the store refuses to start without a user key secret.
        deployment = Deployment.SERVER if verifier is not None else Deployment.LOCAL
        app.config["LEGCHECK_SKILL"] = default_skill(deployment)
    # One byte more than the limit: Werkzeug refuses a larger Content-Length itself, but reads a
    # chunked stream only up to MAX_CONTENT_LENGTH and silently stops there, so the route sees
    # limit + 1 bytes of an oversized chunked body and refuses it (see ``alexa``).
    app.config["MAX_CONTENT_LENGTH"] = app.config["LEGCHECK_MAX_BODY_BYTES"] + 1

    @app.errorhandler(LegCheckError)
    def _legcheck_error(exc: LegCheckError) -> tuple[Response, int]:
        status = exc.http_status
        reason = " ".join(str(exc).split())  # one line in the log, whatever the message
        if isinstance(exc, VerificationError):
            check = getattr(exc, "check", "verification")
            request_id = request_id_of(request.get_data(cache=True))
            log.warning("refused request: %s check failed: %s (request id %s) (HTTP %d)",
                        check, reason, request_id or "unknown", status)
        else:
            log.warning("refused request: %s (HTTP %d)", reason, status)
        return jsonify(error=reason), status

    @app.errorhandler(413)
    def _too_large(_exc: Exception) -> tuple[Response, int]:
        limit = app.config["LEGCHECK_MAX_BODY_BYTES"]
        log.warning("refused request: body over %d bytes (HTTP 413)", limit)
        return jsonify(error=f"expected a body of at most {limit} bytes"), 413

    @app.get("/health")
    def health() -> Response:
        return jsonify(status="ok")

    @app.post("/")
    def alexa() -> Response:
        # A declared Content-Length over the limit is refused by Werkzeug (413). A chunked
        # body (the server sets wsgi.input_terminated, as gunicorn and the dev server do) is
        # read up to MAX_CONTENT_LENGTH = limit + 1, so one byte too many shows here. A stream
        # with neither a length nor a terminator is read as empty.
        body = request.get_data(cache=True)
        limit = app.config["LEGCHECK_MAX_BODY_BYTES"]
        if len(body) > limit:
            raise PayloadTooLargeError(f"expected a body of at most {limit} bytes")
        if verifier is not None:
            verifier.verify(dict(request.headers.items()), body)
        _data, envelope = parse_envelope(body)
        response = app.config["LEGCHECK_SKILL"].invoke(request_envelope=envelope, context=None)
        return jsonify(_serializer.serialize(response))

    return app


def _build_verifier(config: Mapping[str, Any]) -> RequestVerifier | None:
    """The request verifier the config asks for, or None when verification is off."""
    if not config["LEGCHECK_VERIFY"]:
        log.warning("request verification is off (LEGCHECK_VERIFY is false): "
                    "for local development only")
        return None
    skill_id = config["LEGCHECK_SKILL_ID"]
    if skill_id is None:
        if not config["LEGCHECK_ALLOW_ANY_SKILL_ID"]:
            raise ConfigError(
                "expected the skill's application id in LEGCHECK_SKILL_ID (environment variable "
                "or config) to verify requests, got none; to accept requests for any skill "
                "instead, pass the config LEGCHECK_ALLOW_ANY_SKILL_ID=True")
        log.warning("LEGCHECK_ALLOW_ANY_SKILL_ID is set: requests for any skill are accepted")
    return RequestVerifier(skill_id, fetcher=config["LEGCHECK_CERT_FETCHER"],
                           trust_roots=config["LEGCHECK_TRUST_ROOTS"],
                           clock=config["LEGCHECK_CLOCK"])
