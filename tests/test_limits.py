"""skill.limits: bounded JSON in, responses Alexa would take out, each limit proven at its edge."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skill import limits
from skill.limits import JsonLimitError, json_depth, load_json, too_deep, value_depth

# -- the depth scan -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,depth",
    [
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('{"a": "[[[[{{{{"}', 1),  # brackets in strings do not count
        ('["\\"[[[", "\\\\", [[]]]', 3),  # nor after escaped quotes and backslashes
        ('"[[[', 0),  # an unterminated string runs to the end
        ('"abc\\', 0),  # and so does one that ends in a lone backslash
        ("]]]][", 1),  # stray closers do not go below zero
        ('{"k": ' * 70 + "1" + "}" * 70, 65),  # counting stops past the limit
    ],
)
def test_json_depth_counts_brackets_outside_strings(text: str, depth: int) -> None:
    assert json_depth(text, 64) == depth


def test_json_depth_agrees_with_the_parser_on_valid_json() -> None:
    for value in ([], {"a": [{"b": [[["x]"]]]}]}, [[1], [[2]], [[[3]]]], {"s": '{["]}'}):
        text = json.dumps(value)
        assert json_depth(text) == value_depth(value, 64)


@pytest.mark.parametrize(
    "text",
    [
        '"' + '\\"' * 60000,  # escaped quotes that never close: linear, not quadratic
        '"\\' * 60000,
        '["' * 60000,
        "[" * 130000,
    ],
)
def test_the_depth_scan_is_linear_on_hostile_text(text: str) -> None:
    # A quadratic scan of these would take minutes; the test suite's run time is the witness.
    json_depth(text)


def test_too_deep_takes_the_short_way_when_few_brackets_open() -> None:
    assert not too_deep("[" * 64)
    assert too_deep("[" * 65)
    assert not too_deep('["' + "[" * 100 + '"]')  # many brackets, all inside a string


# -- load_json ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,reason",
    [
        (b"[" * 990 + b"]" * 990, "nested at most 64 deep"),
        (b'{"attributes": ' + b'{"k": ' * 500 + b"1" + b"}" * 501, "nested at most 64 deep"),
        (b"[" * 100000, "nested at most 64 deep"),
        (b"{not json", "invalid JSON"),
        (b"", "invalid JSON"),
        (b"\xff\xfe{}", "not UTF-8 at offset 0"),
        (b"\xef\xbb\xbf{}", "invalid JSON"),  # a byte-order mark is not JSON
        (b'{"x": NaN}', "got NaN"),
        (b'{"x": -Infinity}', "got -Infinity"),
        (b'{"x": 1e999}', "finite JSON numbers, got 1e999"),
        (b'{"x": -1e400}', "finite JSON numbers"),
        (b'{"x": ' + b"9" * 5000 + b"}", "at most 64 digits, got one of 5000"),
        (b'{"x": -' + b"9" * 65 + b"}", "at most 64 digits, got one of 65"),
        (b'"\\ud800"', "half of a surrogate pair"),
        (b'{"k": "a\\udfffb"}', "half of a surrogate pair"),
    ],
)
def test_load_json_refuses_with_a_one_line_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(JsonLimitError) as caught:
        load_json(raw)
    message = str(caught.value)
    assert reason in message
    assert message.startswith("expected") and "\n" not in message


@pytest.mark.parametrize(
    "raw,value",
    [
        (b'{"a": [1, 2.5, -3, true, null, "x"]}', {"a": [1, 2.5, -3, True, None, "x"]}),
        (b'"\\ud83d\\ude00"', "\U0001f600"),  # a surrogate pair is one character
        (b'"\\\\ud800"', "\\ud800"),  # an escaped backslash, not an escape
        (b"[" * 64 + b"]" * 64, [[]] and load_json(b"[" * 64 + b"]" * 64)),
        (b"1" * 64, int("1" * 64)),
        ('{"é": "ü"}', {"é": "ü"}),
    ],
)
def test_load_json_reads_standard_json(raw: bytes | str, value: Any) -> None:
    assert load_json(raw) == value


def test_load_json_never_raises_anything_else() -> None:
    for raw in (b"[" * 5000, b'{"a":' * 3000, b"-", b"1e", b'"\\u12', b"\x00", b"[1,]", b"{,}"):
        with pytest.raises(JsonLimitError):
            load_json(raw)


# -- session attributes ---------------------------------------------------------------------------


def nest(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"k": value}
    return value


def test_attributes_within_bounds_pass() -> None:
    assert limits.attributes_problem(None) is None
    assert limits.attributes_problem({}) is None
    assert limits.attributes_problem(nest(limits.MAX_ATTRIBUTES_DEPTH)) is None
    assert limits.attributes_problem({"x": "y" * 16000}) is None


@pytest.mark.parametrize(
    "attributes,reason",
    [
        ([], "a JSON object, got an array"),
        ("x", "a JSON object, got a string"),
        (nest(limits.MAX_ATTRIBUTES_DEPTH + 1), "nested at most 16 deep"),
        ({"x": "y" * 17000}, "at most 16384 bytes, got 17008"),
        ({"x": "é" * 9000}, "at most 16384 bytes, got 18008"),  # UTF-8 bytes, not characters
        ({"x": float("nan")}, "plain JSON"),
    ],
)
def test_attributes_out_of_bounds_are_named(attributes: Any, reason: str) -> None:
    problem = limits.attributes_problem(attributes)
    assert problem is not None and reason in problem


def test_value_depth_needs_no_recursion() -> None:
    deep: Any = 1
    for _ in range(100000):
        deep = [deep]
    assert value_depth(deep, 64) == 65
    assert value_depth([[], {"a": {}}], 64) == 3
    assert value_depth("x", 64) == 0


# -- responses ------------------------------------------------------------------------------------


def response(speech: str = "<speak>Hello.</speak>", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "version": "1.0",
        "response": {
            "outputSpeech": {"type": "SSML", "ssml": speech},
            "shouldEndSession": False,
            "reprompt": {"outputSpeech": {"type": "PlainText", "text": "Well?"}},
        },
    }
    body["response"].update(extra)
    return body


def test_a_plain_response_has_no_problems() -> None:
    assert limits.response_problems(response()) == []
    assert limits.response_problems({"version": "1.0", "response": {}}) == []
    assert limits.response_problems(limits.apology_response()) == []


@pytest.mark.parametrize(
    "body,reason",
    [
        (response("<speak>" + "a" * 7990 + "</speak>"), "at most 8000 characters, got 8005"),
        (response("<speak>a\x00b</speak>"), "without control characters, got U+0000 at 8"),
        (response("<speak>a\udc00</speak>"), "without control characters, got U+DC00"),
        (response("<speak>fish & chips</speak>"), "well-formed XML"),
        (response("<speak>a</speak><speak>b</speak>"), "well-formed XML"),
        (response("Hello."), "well-formed XML"),
        (response("<p>Hello.</p>"), "a <speak> element"),
        (
            response(card={"type": "Simple", "title": "t" * 4000, "content": "c" * 4001}),
            "title and text of at most 8000 characters together, got 8001",
        ),
        (response(card={"type": "Simple", "title": "\x07"}), "without control characters"),
        (response(card={"type": "Simple", "content": 5}), "card.content to be a string"),
        (
            {"version": "1.0", "response": {"outputSpeech": {"type": "Whisper", "text": "hi"}}},
            "type PlainText or SSML",
        ),
        (
            {"version": "1.0", "response": {"outputSpeech": {"type": "PlainText", "ssml": "hi"}}},
            "outputSpeech.text to be a string",
        ),
        ({"version": "1.0", "response": []}, "response to be an object"),
        (
            {"version": "1.0", "response": {}, "sessionAttributes": {"x": "y" * 17000}},
            "sessionAttributes of at most 16384 bytes",
        ),
        (
            {
                "version": "1.0",
                "response": {"card": {"type": "Simple", "content": "y" * 7950}},
                "sessionAttributes": {"x": "y" * 16300},
            },
            "a response of at most 24000 bytes, got 24",
        ),
        (
            {"version": "1.0", "response": {}, "sessionAttributes": {"x": float("inf")}},
            "plain JSON",
        ),
    ],
)
def test_what_alexa_would_refuse_is_named(body: dict[str, Any], reason: str) -> None:
    problems = limits.response_problems(body)
    assert any(reason in problem for problem in problems), problems
    assert all(problem.startswith("expected") and "\n" not in problem for problem in problems)


def test_the_reprompt_is_checked_too() -> None:
    body = response()
    body["response"]["reprompt"]["outputSpeech"]["text"] = "x" * 8001
    assert limits.response_problems(body) == [
        "expected response.reprompt.outputSpeech.text of at most 8000 characters, got 8001"
    ]


def test_the_apology_is_short_ends_the_session_and_keeps_nothing() -> None:
    apology = limits.apology_response()
    assert apology["response"]["shouldEndSession"] is True
    assert "sessionAttributes" not in apology
    assert limits.encoded_size(apology) < 300
    assert limits.ssml_problem(apology["response"]["outputSpeech"]["ssml"]) is None


def test_encode_json_is_compact_utf8_and_refuses_nan() -> None:
    assert limits.encode_json({"a": ["é", 1]}) == '{"a":["é",1]}'.encode()
    assert limits.encode_json({5: True, "x": False}) == b'{"5":true,"x":false}'  # mixed keys
    with pytest.raises(ValueError):
        limits.encode_json({"a": float("nan")})


def test_one_line_cuts_and_flattens() -> None:
    assert limits.one_line("a\nb\r\n  c") == "a b c"
    assert limits.one_line("x" * 200, 20) == "x" * 17 + "..."


@pytest.mark.slow
@given(st.text())
def test_escape_xml_is_saxutils_escape(text: str) -> None:
    from xml.sax.saxutils import escape

    assert limits.escape_xml(text) == escape(text)
