"""create_app with request verification on: genuine requests reach the skill, nothing else does."""

from __future__ import annotations

import http.client
import io
import json
import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_model import Response
from flask import Flask
from flask.testing import FlaskClient

from skill.errors import ConfigError
from skill.web import create_app
from skill.web.verifier import RequestVerifier
from tests.support.certs import (
    CERT_URL,
    SKILL_ID,
    CountingFetcher,
    TestPKI,
    body_of,
    headers_for,
    launch_envelope,
)

pytestmark = pytest.mark.usefixtures("no_network", "checked_responses")


class SaysVerified(AbstractRequestHandler):  # type: ignore[misc]
    """Answers every request with "verified", and counts them."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        self.seen.append(handler_input.request_envelope.request.request_id)
        return handler_input.response_builder.speak("verified").response


@pytest.fixture
def handler() -> SaysVerified:
    return SaysVerified()


@pytest.fixture
def tiny_skill(handler: SaysVerified) -> CustomSkill:
    builder = SkillBuilder()
    builder.add_request_handler(handler)
    return builder.create()


@pytest.fixture
def fetcher(pki: TestPKI) -> CountingFetcher:
    return CountingFetcher({CERT_URL: pki.chain()})


def verified_config(
    pki: TestPKI, fetcher: CountingFetcher, skill: CustomSkill | None, **extra: Any
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "TESTING": True,
        "LEGCHECK_SKILL_ID": SKILL_ID,
        "LEGCHECK_CERT_FETCHER": fetcher,
        "LEGCHECK_TRUST_ROOTS": pki.roots,
    }
    if skill is not None:
        config["LEGCHECK_SKILL"] = skill
    config.update(extra)
    return config


@pytest.fixture
def app(pki: TestPKI, fetcher: CountingFetcher, tiny_skill: CustomSkill) -> Flask:
    return create_app(verified_config(pki, fetcher, tiny_skill))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def now() -> datetime:
    return datetime.now().astimezone()


def post(client: FlaskClient, body: bytes, headers: dict[str, str]) -> Any:
    return client.post("/", data=body, headers=headers, content_type="application/json")


def test_a_genuine_launch_request_reaches_the_skill(
    client: FlaskClient, handler: SaysVerified, pki: TestPKI, fetcher: CountingFetcher
) -> None:
    envelope = launch_envelope(now())
    body = body_of(envelope)
    reply = post(client, body, headers_for(body, pki.leaf.key))
    assert reply.status_code == 200, reply.get_data(as_text=True)
    answer = reply.get_json()
    assert answer["version"] == "1.0"
    assert answer["response"]["outputSpeech"]["ssml"] == "<speak>verified</speak>"
    assert handler.seen == [envelope["request"]["requestId"]]
    assert fetcher.calls == [CERT_URL]


def test_verification_is_on_by_default(app: Flask) -> None:
    assert isinstance(app.extensions["legcheck_verifier"], RequestVerifier)
    assert app.config["LEGCHECK_VERIFY"] is True


def _forged(pki: TestPKI) -> dict[str, tuple[bytes, dict[str, str], str]]:
    """Requests that must each fail one check: name -> (body, headers, the check in the log)."""
    good = body_of(launch_envelope(now()))
    stale = body_of(launch_envelope(now() - timedelta(seconds=400)))
    other = body_of(launch_envelope(now(), skill_id="amzn1.ask.skill.someone-else"))
    bad_url = "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem"
    return {
        "no headers": (good, {}, "certificate URL"),
        "bad URL": (good, headers_for(good, pki.leaf.key, bad_url), "certificate URL"),
        "wrong key": (good, headers_for(good, pki.leaves["other_key"].key), "signature"),
        "tampered body": (good + b" ", headers_for(good, pki.leaf.key), "signature"),
        "stale": (stale, headers_for(stale, pki.leaf.key), "timestamp"),
        "other skill": (other, headers_for(other, pki.leaf.key), "skill id"),
    }


@pytest.mark.parametrize(
    "case", ["no headers", "bad URL", "wrong key", "tampered body", "stale", "other skill"]
)
def test_each_failed_check_is_a_400_the_skill_never_sees(
    client: FlaskClient,
    handler: SaysVerified,
    pki: TestPKI,
    case: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    body, headers, check = _forged(pki)[case]
    with caplog.at_level(logging.WARNING, logger="legcheck.web"):
        reply = post(client, body, headers)
    assert reply.status_code == 400
    assert reply.get_json()["error"].startswith("expected")
    assert handler.seen == []
    lines = [r.getMessage() for r in caplog.records if r.name == "legcheck.web"]
    assert len(lines) == 1 and "\n" not in lines[0]
    assert f"refused request: {check} check failed: expected" in lines[0]
    request_id = json.loads(body)["request"]["requestId"]
    assert f"(request id {request_id})" in lines[0]


def test_an_untrusted_chain_is_refused(
    pki: TestPKI, tiny_skill: CustomSkill, handler: SaysVerified, caplog: pytest.LogCaptureFixture
) -> None:
    fetcher = CountingFetcher({CERT_URL: pki.chain(pki.leaves["self_signed"], intermediate=False)})
    client = create_app(verified_config(pki, fetcher, tiny_skill)).test_client()
    body = body_of(launch_envelope(now()))
    reply = post(client, body, headers_for(body, pki.leaves["self_signed"].key))
    assert reply.status_code == 400
    assert "trusted root CA" in reply.get_json()["error"]
    assert "certificate chain check failed" in caplog.text
    assert handler.seen == []


def test_a_body_that_is_not_json_gets_a_400_with_a_reason(
    client: FlaskClient, pki: TestPKI, caplog: pytest.LogCaptureFixture
) -> None:
    body = b"{this is not json"
    reply = post(client, body, headers_for(body, pki.leaf.key))
    assert reply.status_code == 400
    assert "expected a JSON request envelope" in reply.get_json()["error"]
    assert "(request id unknown)" in caplog.text
    reply = post(client, body, {})  # unsigned garbage: refused before anything reads it
    assert reply.status_code == 400


def test_a_signed_body_that_is_not_an_envelope_gets_a_400(
    client: FlaskClient, pki: TestPKI, handler: SaysVerified
) -> None:
    envelope = launch_envelope(now())
    del envelope["version"]
    body = body_of(envelope)
    reply = post(client, body, headers_for(body, pki.leaf.key))
    assert reply.status_code == 400
    assert "'version', it is missing" in reply.get_json()["error"]
    assert handler.seen == []


def test_the_chain_is_fetched_once_across_requests(
    client: FlaskClient, pki: TestPKI, fetcher: CountingFetcher
) -> None:
    for _ in range(3):
        body = body_of(launch_envelope(now()))
        assert post(client, body, headers_for(body, pki.leaf.key)).status_code == 200
    assert fetcher.calls == [CERT_URL]


def test_the_injected_clock_is_used(
    pki: TestPKI, fetcher: CountingFetcher, tiny_skill: CustomSkill
) -> None:
    then = pki.now + timedelta(days=3)
    client = create_app(
        verified_config(pki, fetcher, tiny_skill, LEGCHECK_CLOCK=lambda: then)
    ).test_client()
    body = body_of(launch_envelope(then))
    assert post(client, body, headers_for(body, pki.leaf.key)).status_code == 200
    body = body_of(launch_envelope(now()))  # "now" is three days off for this app
    assert post(client, body, headers_for(body, pki.leaf.key)).status_code == 400


# -- configuration --------------------------------------------------------------------------------


def test_no_skill_id_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, pki: TestPKI, fetcher: CountingFetcher, tiny_skill: CustomSkill
) -> None:
    monkeypatch.delenv("LEGCHECK_SKILL_ID", raising=False)
    config = verified_config(pki, fetcher, tiny_skill)
    del config["LEGCHECK_SKILL_ID"]
    with pytest.raises(
        ConfigError, match="expected the skill's application id in LEGCHECK_SKILL_ID"
    ):
        create_app(config)


def test_allow_any_skill_id_accepts_other_skills(
    monkeypatch: pytest.MonkeyPatch, pki: TestPKI, fetcher: CountingFetcher, tiny_skill: CustomSkill
) -> None:
    monkeypatch.delenv("LEGCHECK_SKILL_ID", raising=False)
    config = verified_config(pki, fetcher, tiny_skill, LEGCHECK_ALLOW_ANY_SKILL_ID=True)
    del config["LEGCHECK_SKILL_ID"]
    client = create_app(config).test_client()
    body = body_of(launch_envelope(now(), skill_id="amzn1.ask.skill.anyone"))
    assert post(client, body, headers_for(body, pki.leaf.key)).status_code == 200


def test_the_skill_id_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, pki: TestPKI, fetcher: CountingFetcher, tiny_skill: CustomSkill
) -> None:
    monkeypatch.setenv("LEGCHECK_SKILL_ID", "amzn1.ask.skill.from-env")
    config = verified_config(pki, fetcher, tiny_skill)
    del config["LEGCHECK_SKILL_ID"]
    app = create_app(config)
    assert app.config["LEGCHECK_SKILL_ID"] == "amzn1.ask.skill.from-env"
    client = app.test_client()
    body = body_of(launch_envelope(now(), skill_id="amzn1.ask.skill.from-env"))
    assert post(client, body, headers_for(body, pki.leaf.key)).status_code == 200
    body = body_of(launch_envelope(now()))
    assert post(client, body, headers_for(body, pki.leaf.key)).status_code == 400


def test_verification_off_needs_no_skill_id_and_no_headers(
    monkeypatch: pytest.MonkeyPatch, tiny_skill: CustomSkill, handler: SaysVerified
) -> None:
    monkeypatch.delenv("LEGCHECK_SKILL_ID", raising=False)
    app = create_app({"TESTING": True, "LEGCHECK_SKILL": tiny_skill, "LEGCHECK_VERIFY": False})
    assert app.extensions["legcheck_verifier"] is None
    reply = post(app.test_client(), body_of(launch_envelope(now())), {})
    assert reply.status_code == 200
    assert len(handler.seen) == 1


def test_health_needs_no_verification(client: FlaskClient, fetcher: CountingFetcher) -> None:
    reply = client.get("/health")
    assert reply.status_code == 200
    assert reply.get_json() == {"status": "ok"}
    assert fetcher.calls == []


# -- body size ------------------------------------------------------------------------------------


@pytest.fixture
def small_app(pki: TestPKI, fetcher: CountingFetcher, tiny_skill: CustomSkill) -> Flask:
    return create_app(verified_config(pki, fetcher, tiny_skill, LEGCHECK_MAX_BODY_BYTES=2048))


def test_an_oversized_body_is_refused_before_verification(
    small_app: Flask, pki: TestPKI, fetcher: CountingFetcher
) -> None:
    envelope = launch_envelope(now())
    envelope["padding"] = "x" * 4096
    body = body_of(envelope)
    reply = post(small_app.test_client(), body, headers_for(body, pki.leaf.key))
    assert reply.status_code == 413
    assert "at most 2048 bytes" in reply.get_json()["error"]
    assert fetcher.calls == []


def test_an_oversized_chunked_body_is_refused(
    small_app: Flask, pki: TestPKI, fetcher: CountingFetcher
) -> None:
    # No Content-Length: the server terminates the stream (as gunicorn does for chunked bodies).
    body = b"{" + b" " * 4096 + b"}"
    reply = small_app.test_client().post(
        "/",
        input_stream=io.BytesIO(body),
        headers=headers_for(body, pki.leaf.key),
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert reply.status_code == 413
    assert fetcher.calls == []


def test_a_body_of_exactly_the_limit_is_read_whole(
    pki: TestPKI, fetcher: CountingFetcher, tiny_skill: CustomSkill
) -> None:
    envelope = launch_envelope(now())
    envelope["padding"] = ""
    envelope["padding"] = "x" * (2048 - len(body_of(envelope)))
    body = body_of(envelope)
    assert len(body) == 2048
    app = create_app(verified_config(pki, fetcher, tiny_skill, LEGCHECK_MAX_BODY_BYTES=2048))
    for terminated in (False, True):
        overrides = {"wsgi.input_terminated": True} if terminated else {}
        reply = app.test_client().post(
            "/",
            input_stream=io.BytesIO(body),
            headers=headers_for(body, pki.leaf.key),
            content_type="application/json",
            environ_overrides=overrides,
        )
        assert reply.status_code == 200, reply.get_data(as_text=True)


def test_a_stream_without_length_or_terminator_is_read_as_empty(
    small_app: Flask, pki: TestPKI
) -> None:
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    body = body_of(launch_envelope(now()))
    environ = EnvironBuilder(
        method="POST",
        path="/",
        input_stream=io.BytesIO(body),
        headers=list(headers_for(body, pki.leaf.key).items()),
        content_type="application/json",
    ).get_environ()
    del environ["CONTENT_LENGTH"]
    _iterable, status, _headers = run_wsgi_app(small_app.wsgi_app, environ, buffered=True)
    assert status.startswith("400")  # the empty body is not what was signed


@pytest.fixture
def live_server(small_app: Flask) -> Iterator[int]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, small_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _post_chunked(port: int, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        chunks = (body[i : i + 500] for i in range(0, len(body), 500))
        conn.request(
            "POST",
            "/",
            body=chunks,
            encode_chunked=True,
            headers={**headers, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        )
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


def test_chunked_bodies_over_real_http(
    live_server: int, pki: TestPKI, handler: SaysVerified
) -> None:
    body = body_of(launch_envelope(now()))
    assert len(body) < 2048
    status, answer = _post_chunked(live_server, body, headers_for(body, pki.leaf.key))
    assert status == 200, answer
    assert b"verified" in answer
    big = body[:-1] + b', "padding": "' + b"x" * 4096 + b'"}'
    status, answer = _post_chunked(live_server, big, headers_for(big, pki.leaf.key))
    assert status == 413
    assert len(handler.seen) == 1


# -- the default skill ----------------------------------------------------------------------------


def test_the_default_skill_answers_a_verified_launch(
    monkeypatch: pytest.MonkeyPatch, pki: TestPKI, fetcher: CountingFetcher
) -> None:
    app_module = pytest.importorskip("skill.app")
    from skill.store import Deployment

    # The module's own default skill for verified serving, with nothing stored on this machine.
    monkeypatch.setattr(app_module, "_default", {})
    monkeypatch.setenv("LEGCHECK_DB", "off")
    client = create_app(verified_config(pki, fetcher, None)).test_client()
    body = body_of(launch_envelope(now()))
    reply = post(client, body, headers_for(body, pki.leaf.key))
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert "How do your legs feel" in reply.get_json()["response"]["outputSpeech"]["ssml"]
    assert Deployment.SERVER in app_module._default


def test_verified_serving_refuses_to_start_without_a_user_key_secret(
    monkeypatch: pytest.MonkeyPatch, pki: TestPKI, fetcher: CountingFetcher, tmp_path: Path
) -> None:
    import skill.app as app_module

    monkeypatch.setattr(app_module, "_default", {})
    monkeypatch.setenv("LEGCHECK_DB", str(tmp_path / "prod.sqlite3"))
    monkeypatch.delenv("LEGCHECK_USER_KEY_SECRET", raising=False)
    with pytest.raises(ConfigError, match="LEGCHECK_USER_KEY_SECRET"):
        create_app(verified_config(pki, fetcher, None))
    assert not (tmp_path / "prod.sqlite3.key").exists()


# -- hostile but signed ---------------------------------------------------------------------------


def _signed_launch_with(pki: TestPKI, raw_field: str, value_json: str) -> bytes:
    envelope = launch_envelope(now())
    envelope[raw_field] = "@VALUE@"
    return json.dumps(envelope).replace('"@VALUE@"', value_json).encode()


@pytest.mark.parametrize(
    "stamp,reason",
    [
        ("9999-12-31T23:59:59-01:00", "between the years 2000 and 2999"),
        ("0001-01-01T00:00:00+01:00", "between the years 2000 and 2999"),
        (1714564800000, "got a number"),
        ("1714564800000", "ISO 8601 string"),
        ("2024-05-01", "ISO 8601 string"),
    ],
)
def test_an_insane_signed_timestamp_is_a_400(
    client: FlaskClient,
    pki: TestPKI,
    handler: SaysVerified,
    stamp: object,
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    envelope = launch_envelope(now())
    envelope["request"]["timestamp"] = stamp
    body = body_of(envelope)
    reply = post(client, body, headers_for(body, pki.leaf.key))
    assert reply.status_code == 400
    assert reason in reply.get_json()["error"]
    assert "refused request: timestamp check failed" in caplog.text
    assert handler.seen == []


@pytest.mark.parametrize("depth", [70, 990, 5000])
def test_a_deep_signed_body_is_a_400(
    client: FlaskClient,
    pki: TestPKI,
    handler: SaysVerified,
    depth: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = _signed_launch_with(pki, "padding", "[" * depth + "]" * depth)
    reply = post(client, body, headers_for(body, pki.leaf.key))
    assert reply.status_code == 400
    assert "nested at most 64 deep" in reply.get_json()["error"]
    assert "refused request: envelope check failed" in caplog.text
    assert not any(r.exc_info for r in caplog.records)
    assert handler.seen == []


def test_signed_attributes_nested_too_deep_are_a_400(
    client: FlaskClient, pki: TestPKI, handler: SaysVerified
) -> None:
    envelope = launch_envelope(now())
    attributes: Any = {}
    for _ in range(30):
        attributes = {"k": attributes}
    envelope["session"]["attributes"] = attributes
    body = body_of(envelope)
    reply = post(client, body, headers_for(body, pki.leaf.key))
    assert reply.status_code == 400
    assert "session.attributes nested at most 16 deep" in reply.get_json()["error"]
    assert handler.seen == []


def test_verified_serving_answers_any_address(client: FlaskClient, pki: TestPKI) -> None:
    body = body_of(launch_envelope(now()))
    reply = client.post(
        "/",
        data=body,
        headers=headers_for(body, pki.leaf.key),
        content_type="application/json",
        environ_overrides={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert reply.status_code == 200


def test_a_flood_of_bad_certificate_urls_never_holds_up_a_genuine_request(
    pki: TestPKI, tiny_skill: CustomSkill, handler: SaysVerified
) -> None:
    bad_urls = [f"https://s3.amazonaws.com/echo.api/flood-{i}.pem" for i in range(5)]
    started: list[str] = []
    finished: list[str] = []
    all_started = threading.Event()
    release = threading.Event()
    lock = threading.Lock()

    def fetcher(url: str) -> bytes:
        if url == CERT_URL:
            return pki.chain()
        with lock:
            started.append(url)
            if len(started) == len(bad_urls):
                all_started.set()
        release.wait(3)  # a slow server: three seconds, unless the test lets go sooner
        with lock:
            finished.append(url)
        return b"not a chain"

    app = create_app(verified_config(pki, CountingFetcher(fetcher), tiny_skill))
    genuine = body_of(launch_envelope(now()))
    assert post(app.test_client(), genuine, headers_for(genuine, pki.leaf.key)).status_code == 200

    statuses: list[int] = []

    def send_bad(url: str) -> None:
        body = body_of(launch_envelope(now()))
        reply = post(app.test_client(), body, headers_for(body, pki.leaf.key, url))
        with lock:
            statuses.append(reply.status_code)

    threads = [threading.Thread(target=send_bad, args=(url,), daemon=True) for url in bad_urls]
    for thread in threads:
        thread.start()
    try:
        assert all_started.wait(10), started
        body = body_of(launch_envelope(now()))
        reply = post(app.test_client(), body, headers_for(body, pki.leaf.key))
        assert reply.status_code == 200  # answered while all five downloads still hang
        assert finished == []
    finally:
        release.set()
        for thread in threads:
            thread.join(10)
    assert statuses == [400] * 5
    assert len(handler.seen) == 2
