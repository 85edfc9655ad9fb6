"""Check responses as Alexa would: the JSON Schema of the response format plus Alexa's limits.

``response_problems(body)`` lists every reason Alexa would refuse a response envelope: what
``tests/schemas/alexa-response.schema.json`` (written from Amazon's "Request and Response JSON
Reference") finds, then :func:`skill.limits.response_problems` (speech and card lengths,
well-formed SSML, the 24,000-byte total). ``CheckingClient`` is a Flask test client that holds
every answer to that standard: a 200 from the skill's route must be a valid response, any other
answer a 4xx with a one-line reason, never a 5xx. The web tests use it for every request they
make (the ``checked_responses`` fixture in ``conftest.py``).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from werkzeug.test import TestResponse

from skill import limits

RESPONSE_SCHEMA_PATH = Path(__file__).parents[1] / "schemas" / "alexa-response.schema.json"


@functools.cache
def validator() -> Draft202012Validator:
    schema = json.loads(RESPONSE_SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def response_problems(body: Any) -> list[str]:
    """Every reason Alexa would refuse ``body`` as a response envelope (empty when none)."""
    problems = [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in validator().iter_errors(body)
    ]
    if isinstance(body, dict):
        problems += limits.response_problems(body)
    return problems


def assert_valid_response(body: Any) -> dict[str, Any]:
    problems = response_problems(body)
    assert not problems, f"Alexa would refuse this response: {problems}\n{body!r:.2000}"
    assert isinstance(body, dict)
    return body


def reply_problems(
    status: int, body: bytes, content_type: str | None, *, skill_route: bool
) -> list[str]:
    """What is wrong with an HTTP answer: a 5xx, a 4xx without a reason, an invalid response."""
    if status >= 500:
        return [f"HTTP {status}: a server error, which no client input may cause: {body[:300]!r}"]
    if status >= 400:
        try:
            reason = json.loads(body)["error"]
        except (ValueError, KeyError, TypeError):
            return [f"HTTP {status} without a JSON reason: {body[:300]!r}"]
        if not isinstance(reason, str) or not reason or "\n" in reason:
            return [f"HTTP {status} with a reason that is not one line of text: {reason!r}"]
        return []
    if not skill_route or status != 200:
        return []
    if not (content_type or "").startswith("application/json"):
        return [f"HTTP 200 with content type {content_type!r}, expected application/json"]
    try:
        data = json.loads(body)
    except ValueError as exc:
        return [f"HTTP 200 whose body is not JSON ({exc}): {body[:300]!r}"]
    return response_problems(data)


class CheckingClient(FlaskClient):
    """A Flask test client that fails the test on any answer Alexa (or a client) should not get."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        reply = super().open(*args, **kwargs)
        request = reply.request
        skill_route = request.method == "POST" and request.path == "/"
        problems = reply_problems(
            reply.status_code, reply.get_data(), reply.content_type, skill_route=skill_route
        )
        assert not problems, f"{request.method} {request.path}: {problems}"
        return reply
