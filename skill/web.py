"""The local and production web endpoint: a Flask app that wraps ``skill.invoke``.

``create_app(config)`` is the app factory. POST / takes an Alexa request
envelope and answers with the skill's response envelope. Problems with the
request itself are answered with an HTTP error and a one-line reason, and
logged; problems inside the skill are answered by the skill's own exception
handler with a spoken apology.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from flask import Flask, Response, jsonify, request

from skill.errors import BadRequestError, LegCheckError

log = logging.getLogger("legcheck.web")

DEFAULTS: dict[str, Any] = {
    # Largest request body accepted, in bytes; Alexa's requests are far smaller.
    "LEGCHECK_MAX_BODY_BYTES": 128 * 1024,
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

    Config keys: ``LEGCHECK_SKILL`` (a ``CustomSkill``; the default is the
    one skill object in ``skill.app``), ``LEGCHECK_MAX_BODY_BYTES``.
    """
    app = Flask("legcheck")
    app.config.update(DEFAULTS)
    if config:
        app.config.update(config)
    if app.config.get("LEGCHECK_SKILL") is None:
        from skill.app import skill as default_skill

        app.config["LEGCHECK_SKILL"] = default_skill
    app.config["MAX_CONTENT_LENGTH"] = app.config["LEGCHECK_MAX_BODY_BYTES"]

    @app.errorhandler(LegCheckError)
    def _legcheck_error(exc: LegCheckError) -> tuple[Response, int]:
        status = exc.http_status
        log.warning("refused request: %s (HTTP %d)", exc, status)
        return jsonify(error=str(exc)), status

    @app.errorhandler(413)
    def _too_large(_exc: Exception) -> tuple[Response, int]:
        limit = app.config["LEGCHECK_MAX_BODY_BYTES"]
        log.warning("refused request: body over %d bytes (HTTP 413)", limit)
        return jsonify(error=f"expected a body of at most {limit} bytes"), 413

    @app.post("/")
    def alexa() -> Response:
        body = request.get_data(cache=True)
        _data, envelope = parse_envelope(body)
        response = app.config["LEGCHECK_SKILL"].invoke(request_envelope=envelope, context=None)
        return jsonify(_serializer.serialize(response))

    return app
