"""The skill's own API client (skill.alexa_api) against a fake Alexa API on loopback.

What the SDK's service clients rely on: every HTTP answer comes back as an
``ApiClientResponse`` (never raised), a call with no answer raises one of our narrow errors,
and the access token goes nowhere but https or loopback http.
"""

from __future__ import annotations

import json

import pytest
from ask_sdk_model.services import ApiClientRequest

from skill.alexa_api import MAX_ANSWER_BYTES, AlexaApiClient, may_carry_token
from skill.errors import (
    AlexaApiError,
    AlexaApiTimeoutError,
    AlexaApiUnreachableError,
    InsecureEndpointError,
)
from tests.support.fake_alexa_api import (
    REMINDERS_PATH,
    Answer,
    FakeAlexaApi,
    created,
    error,
    resolving_to_loopback,
)
from tests.support.serve import free_port

ACCESS_TOKEN = "a-secret-access-token"


def call(url: str, body: object = None, method: str = "POST") -> ApiClientRequest:
    """A request as the SDK's service clients build one."""
    return ApiClientRequest(
        headers=[
            ("Content-type", "application/json"),
            ("User-Agent", "ask-python-model/1.0"),
            ("Authorization", f"Bearer {ACCESS_TOKEN}"),
        ],
        body=body,
        url=url,
        method=method,
    )


@pytest.mark.parametrize(
    "url,allowed",
    [
        ("https://api.amazonalexa.com/v1/alerts/reminders", True),
        ("https://api.eu.amazonalexa.com", True),
        ("HTTPS://API.FE.AMAZONALEXA.COM/v1", True),
        ("http://127.0.0.1:8080/v1/alerts/reminders", True),
        ("http://localhost:8080", True),
        ("http://[::1]:8080/", True),
        ("http://api.amazonalexa.com/v1/alerts/reminders", False),
        ("http://127.0.0.1.example.org/", False),
        ("http://localhost.example.org/", False),
        ("http://127.0.0.1@example.org/", False),  # user info, then the real host
        ("http://192.168.1.20/", False),
        ("ftp://api.amazonalexa.com/", False),
        ("https:///no-host", False),
        ("https://api.amazonalexa.com:notaport/", False),
        ("", False),
        (None, False),
    ],
)
def test_the_token_may_go_only_to_https_or_loopback_http(url: str | None, allowed: bool) -> None:
    assert may_carry_token(url) is allowed


def test_a_call_sends_the_json_body_and_the_headers_and_returns_the_answer() -> None:
    with FakeAlexaApi() as fake:
        answer = AlexaApiClient().invoke(call(fake.url + REMINDERS_PATH, {"requestTime": "x"}))
    assert answer.status_code == 201
    assert json.loads(answer.body)["alertToken"] == json.loads(created().body)["alertToken"]
    (sent,) = fake.requests
    assert (sent.method, sent.path) == ("POST", REMINDERS_PATH)
    assert sent.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert sent.headers["content-type"] == "application/json"
    assert sent.json() == {"requestTime": "x"}


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 503, 504])
def test_an_error_status_is_returned_not_raised_with_its_json_body(status: int) -> None:
    with FakeAlexaApi(reminders=error(status, "CODE")) as fake:
        answer = AlexaApiClient().invoke(call(fake.url + REMINDERS_PATH, {}))
    assert answer.status_code == status
    assert json.loads(answer.body)["code"] == "CODE"


def test_an_error_answer_that_is_not_json_keeps_its_status_without_the_body() -> None:
    """The SDK would fail to parse it and raise with no status (see skill.alexa_api)."""
    with FakeAlexaApi(reminders=Answer(503, "<html>Service Unavailable</html>")) as fake:
        answer = AlexaApiClient().invoke(call(fake.url + REMINDERS_PATH, {}))
    assert (answer.status_code, answer.body) == (503, None)


def test_a_success_is_passed_on_as_it_came_even_when_not_json() -> None:
    with FakeAlexaApi(reminders=Answer(201, "{not json")) as fake:
        answer = AlexaApiClient().invoke(call(fake.url + REMINDERS_PATH, {}))
    assert (answer.status_code, answer.body) == (201, "{not json")


def test_an_answer_too_large_is_not_passed_on() -> None:
    huge = json.dumps({"alertToken": "x" * MAX_ANSWER_BYTES})
    with FakeAlexaApi(reminders=Answer(201, huge)) as fake:
        answer = AlexaApiClient().invoke(call(fake.url + REMINDERS_PATH, {}))
    assert (answer.status_code, answer.body) == (201, None)


def test_a_redirect_is_answered_as_it_is_never_followed_with_the_token() -> None:
    moved = Answer(302, "", headers=(("Location", "{url}/elsewhere"),))
    with FakeAlexaApi(reminders=moved) as fake:
        answer = AlexaApiClient().invoke(call(fake.url + REMINDERS_PATH, {}))
    assert answer.status_code == 302
    assert fake.paths() == [f"POST {REMINDERS_PATH}"]


def test_the_token_is_never_sent_to_plain_http_beyond_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The host resolves to the fake, so a client that sent anything would be seen there."""
    with FakeAlexaApi() as fake, resolving_to_loopback(monkeypatch, "alexa-api.example"):
        url = f"http://alexa-api.example:{fake.port}{REMINDERS_PATH}"
        with pytest.raises(InsecureEndpointError) as refused:
            AlexaApiClient().invoke(call(url, {}))
        assert fake.requests == []
        assert "http://alexa-api.example" in str(refused.value)
        assert ACCESS_TOKEN not in str(refused.value)
        # the same URL over https would have been tried: the refusal is the scheme's
        with pytest.raises(AlexaApiUnreachableError):
            AlexaApiClient().invoke(call(url.replace("http:", "https:"), {}))


def test_the_loopback_name_stands_for_the_fake_in_the_test_above(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The resolver the test above relies on does route to the fake."""
    import urllib.request

    with FakeAlexaApi() as fake, resolving_to_loopback(monkeypatch, "alexa-api.example"):
        url = f"http://alexa-api.example:{fake.port}/v2/devices/d/settings/System.timeZone"
        with urllib.request.urlopen(url, timeout=5) as answer:
            assert answer.status == 200
        assert len(fake.requests) == 1


def test_a_closed_port_is_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}{REMINDERS_PATH}"
    with pytest.raises(AlexaApiUnreachableError) as failed:
        AlexaApiClient().invoke(call(url, {}))
    assert isinstance(failed.value, AlexaApiError)
    assert ACCESS_TOKEN not in str(failed.value)


@pytest.mark.slow  # waits out the client's timeout
def test_an_answer_slower_than_the_timeout_raises_a_timeout() -> None:
    slow = Answer(201, created().body, delay=5)
    with FakeAlexaApi(reminders=slow) as fake, pytest.raises(AlexaApiTimeoutError) as late:
        AlexaApiClient(timeout=0.3).invoke(call(fake.url + REMINDERS_PATH, {}))
    assert "within 0.3 s" in str(late.value)
