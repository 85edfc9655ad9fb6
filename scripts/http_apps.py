"""WSGI apps for gunicorn: Leg Check with verification on, and a hello-world baseline.

Loaded by ``tests/test_web_load.py`` and ``scripts/bench_http.py``, which start gunicorn with
``--pythonpath scripts`` and one of these factories:

    gunicorn --pythonpath scripts 'http_apps:legcheck_app()'
    gunicorn --pythonpath scripts 'http_apps:hello_app()'

``legcheck_app`` is ``skill.web.create_app`` with request verification on. Since Amazon's real
certificate chain cannot be fetched here, the chain and the trusted roots come from PEM files:
``LEGCHECK_TEST_CHAIN`` (what the certificate URL serves; fetched once per worker, then cached
like any chain) and ``LEGCHECK_TEST_ROOTS``; the skill id comes from ``LEGCHECK_SKILL_ID`` and
the check-in store from ``LEGCHECK_DB``, as in production. ``hello_app`` serves the ASK SDK's
hello-world skill behind the same kind of Flask route (read the body, deserialize, invoke,
serialize), without verification: the baseline for requests per second.
"""

from __future__ import annotations

import os
from pathlib import Path

from ask_sdk_model import RequestEnvelope, Response
from cryptography import x509
from flask import Flask, jsonify, request
from hello_world import hello_skill

from skill.web import create_app


def legcheck_app() -> Flask:
    """Leg Check with verification on, trusting the roots and serving the chain from files."""
    chain = Path(os.environ["LEGCHECK_TEST_CHAIN"]).read_bytes()
    roots = x509.load_pem_x509_certificates(Path(os.environ["LEGCHECK_TEST_ROOTS"]).read_bytes())
    return create_app(
        {
            "LEGCHECK_VERIFY": True,
            "LEGCHECK_CERT_FETCHER": lambda url: chain,
            "LEGCHECK_TRUST_ROOTS": roots,
        }
    )


def hello_app() -> Flask:
    """A hello-world ASK SDK skill behind a plain Flask route: the baseline."""
    skill = hello_skill()
    app = Flask("hello")

    @app.post("/")
    def alexa() -> Response:
        envelope = skill.serializer.deserialize(request.get_data(as_text=True), RequestEnvelope)
        return jsonify(skill.serializer.serialize(skill.invoke(envelope, None)))

    @app.get("/health")
    def health() -> Response:
        return jsonify(status="ok")

    return app
