"""Bounds on what comes in and what goes out, as pure functions with no heavy imports.

Alexa's requests are small and shallow, and Alexa refuses responses over its limits, so both
directions are bounded here:

- **In**: :func:`load_json` reads a request body as UTF-8 JSON only after
  :func:`json_depth` has shown (by a linear scan of the text, outside strings) that it nests no
  deeper than :data:`MAX_JSON_DEPTH`, so the parser can never raise ``RecursionError``; numbers
  must be finite and of sane length (no ``NaN``, ``1e999`` or 5,000-digit integers), and every
  string valid Unicode. :func:`attributes_problem` bounds ``session.attributes`` (depth and
  size), since they are echoed back in every response.
- **Out**: :func:`response_problems` lists what would make Alexa refuse a response envelope:
  speech (or a reprompt) over :data:`MAX_SPEECH_CHARS` characters, SSML that is not one
  well-formed ``<speak>`` element, characters XML forbids (NUL, say), card text over
  :data:`MAX_CARD_CHARS`, session attributes the next request could not bring back, and a whole
  response over :data:`MAX_RESPONSE_BYTES`. :func:`apology_response` is the short, safe answer
  to send instead.

Each problem is a one-line reason that says what was expected and what came. The limits come
from Amazon's "Request and Response JSON Reference" (speech under 8,000 characters, a response
of at most 24 kilobytes) and "Include a Card in Your Skill's Response" (title and content
together at most 8,000 characters).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

# Deepest JSON nesting accepted in a request body. Alexa's envelopes nest about ten levels.
MAX_JSON_DEPTH = 64
# Longest integer accepted in a request body, in digits; Alexa sends none longer than a timestamp.
MAX_INT_DIGITS = 64
# session.attributes: the deepest nesting and largest size (compact UTF-8 JSON) accepted in a
# request, and allowed in a response, so that whatever the skill sends it can read back.
MAX_ATTRIBUTES_DEPTH = 16
MAX_ATTRIBUTES_BYTES = 16 * 1024
# Alexa's own limits on a response.
MAX_SPEECH_CHARS = 8000
MAX_CARD_CHARS = 8000
MAX_RESPONSE_BYTES = 24_000  # "24 kilobytes", read as 24,000 bytes to be safe

APOLOGY_SSML = (
    "<speak>Sorry, something went wrong on my side, so I can't finish this check-in. "
    "Please try again in a moment.</speak>"
)

_OPEN = frozenset("[{")


class _Patterns(NamedTuple):
    string: re.Pattern[str]
    bracket: re.Pattern[str]
    surrogate_escape: re.Pattern[str]
    not_xml: re.Pattern[str]
    """What XML 1.0 forbids in a document (and so in SSML): C0 controls but tab, newline and
    carriage return; lone surrogates; U+FFFE and U+FFFF."""


@functools.cache
def _patterns() -> _Patterns:
    """Compiled on first use (1 ms): the Lambda function never checks a body or a response."""
    return _Patterns(
        string=re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL),
        bracket=re.compile(r"[\[\]{}]"),
        surrogate_escape=re.compile(r"\\u[dD][89a-fA-F]", re.ASCII),
        not_xml=re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]"),
    )


class JsonLimitError(ValueError):
    """A request body is not JSON within the bounds; the message is a one-line reason."""


# -- in ------------------------------------------------------------------------------------------


def json_depth(text: str, limit: int = MAX_JSON_DEPTH) -> int:
    """How deep the brackets of ``text`` nest, outside strings; stops counting past ``limit``.

    A linear scan that never recurses: strings are skipped whole (an unterminated one runs to
    the end), then the brackets left are counted. On valid JSON the result is exact; on
    anything else it is never less than how deep a JSON parser would get before failing, so a
    result within ``limit`` means parsing ``text`` cannot go deeper than ``limit``.
    """
    depth = deepest = 0
    patterns = _patterns()
    for bracket in patterns.bracket.findall(patterns.string.sub("", text)):
        if bracket in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif depth:
            depth -= 1
    return deepest


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when ``text`` may nest deeper than ``limit`` (see :func:`json_depth`)."""
    if text.count("[") + text.count("{") <= limit:  # it cannot nest deeper than it opens
        return False
    return json_depth(text, limit) > limit


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonLimitError(f"expected finite JSON numbers, got {one_line(text)}")
    return value


def _bounded_int(text: str) -> int:
    digits = len(text) - (text[0] == "-")
    if digits > MAX_INT_DIGITS:
        raise JsonLimitError(
            f"expected JSON integers of at most {MAX_INT_DIGITS} digits, got one of {digits}"
        )
    return int(text)


def _no_constants(name: str) -> Any:
    raise JsonLimitError(f"expected standard JSON numbers, got {name}")


def load_json(raw: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse ``raw`` (UTF-8 bytes or text) as standard JSON within the bounds above.

    Raises :class:`JsonLimitError` with a one-line reason for anything else: bytes that are not
    UTF-8, nesting deeper than ``max_depth``, invalid JSON, ``NaN`` or ``Infinity``, a number
    that overflows a float, an integer longer than :data:`MAX_INT_DIGITS` digits, or a ``\\u``
    escape that leaves half a surrogate pair. Never raises anything else.
    """
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonLimitError(
                f"expected UTF-8 JSON, got a byte that is not UTF-8 at offset {exc.start}"
            ) from exc
    else:
        text = raw
    if too_deep(text, max_depth):
        raise JsonLimitError(f"expected JSON nested at most {max_depth} deep, got deeper")
    try:
        value = json.loads(
            text, parse_float=_finite_float, parse_int=_bounded_int, parse_constant=_no_constants
        )
    except JsonLimitError:
        raise
    except json.JSONDecodeError as exc:
        raise JsonLimitError(f"expected valid JSON, got invalid JSON ({exc})") from exc
    except (ValueError, RecursionError, OverflowError) as exc:  # belt and braces
        raise JsonLimitError(
            f"expected valid JSON, got {type(exc).__name__}: {one_line(str(exc))}"
        ) from exc
    if _patterns().surrogate_escape.search(text) and not _is_unicode(value):
        raise JsonLimitError(
            "expected valid Unicode text, got a \\u escape that is half of a surrogate pair"
        )
    return value


def _is_unicode(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def value_depth(value: Any, limit: int) -> int:
    """How deep a parsed JSON value nests (a scalar is 0, ``{}`` is 1); stops past ``limit``.

    Iterative, so a value of any depth is measured without recursion.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Mapping):
            children: Iterable[Any] = node.values()
        elif isinstance(node, list | tuple):
            children = node
        else:
            continue
        depth += 1
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                return deepest
        stack.extend((child, depth) for child in children)
    return deepest


def encoded_size(value: Any) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON (how a response is sent)."""
    return len(encode_json(value))


def encode_json(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON, refusing NaN and Infinity (``ValueError``)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
        "utf-8"
    )


def attributes_problem(
    attributes: Any,
    where: str = "session.attributes",
    *,
    holder: str | bytes | None = None,
    holder_is_compact: bool = False,
) -> str | None:
    """Why ``attributes`` cannot be a session's attributes, or None when they can.

    They must be a JSON object (or absent: None), nest at most :data:`MAX_ATTRIBUTES_DEPTH`
    deep and take at most :data:`MAX_ATTRIBUTES_BYTES` as compact JSON. ``holder``, the JSON
    text they were read from or written into, spares the work when it settles the question: it
    cannot open fewer brackets than they nest, and when it is their own :func:`encode_json`
    encoding (``holder_is_compact``) it cannot be shorter than they are.
    """
    if attributes is None:
        return None
    if not isinstance(attributes, Mapping):
        return f"expected {where} to be a JSON object, got {_json_type(attributes)}"
    if holder is None or _opened(holder) > MAX_ATTRIBUTES_DEPTH:
        depth = value_depth(attributes, MAX_ATTRIBUTES_DEPTH)
        if depth > MAX_ATTRIBUTES_DEPTH:
            return f"expected {where} nested at most {MAX_ATTRIBUTES_DEPTH} deep, got deeper"
    if holder is not None and holder_is_compact and len(holder) <= MAX_ATTRIBUTES_BYTES:
        return None
    try:
        size = encoded_size(attributes)
    except (TypeError, ValueError) as exc:
        return f"expected {where} to be plain JSON, got {one_line(str(exc))}"
    if size > MAX_ATTRIBUTES_BYTES:
        return f"expected {where} of at most {MAX_ATTRIBUTES_BYTES} bytes, got {size}"
    return None


def _opened(text: str | bytes) -> int:
    """How many brackets ``text`` opens, in strings or not: at least how deep it nests."""
    if isinstance(text, bytes):
        return text.count(b"[") + text.count(b"{")
    return text.count("[") + text.count("{")


# -- out -----------------------------------------------------------------------------------------


def speech_problem(speech: Any, where: str = "outputSpeech") -> str | None:
    """Why an ``outputSpeech`` object would be refused by Alexa, or None when it would not."""
    if speech is None:
        return None
    if not isinstance(speech, Mapping):
        return f"expected {where} to be an object, got {_json_type(speech)}"
    kind = speech.get("type")
    field = {"PlainText": "text", "SSML": "ssml"}.get(kind) if isinstance(kind, str) else None
    if field is None:
        return f"expected {where}.type PlainText or SSML, got {one_line(repr(kind))}"
    words = speech.get(field)
    if not isinstance(words, str):
        return f"expected {where}.{field} to be a string, got {_json_type(words)}"
    problem = _words_problem(field, words)
    return None if problem is None else f"expected {where}.{field} {problem}"


@functools.lru_cache(maxsize=1024)  # a skill says the same few prompts over and over
def _words_problem(field: str, words: str) -> str | None:
    """What is wrong with speech ``words`` (text or SSML), after "expected FIELD ", or None."""
    if len(words) > MAX_SPEECH_CHARS:
        return f"of at most {MAX_SPEECH_CHARS} characters, got {len(words)}"
    bad = _patterns().not_xml.search(words)
    if bad:
        return f"without control characters, got U+{ord(bad.group()):04X} at {bad.start()}"
    if field == "ssml":
        problem = ssml_problem(words, "")
        return problem[len("expected  ") :] if problem else None
    return None


def ssml_problem(ssml: str, where: str = "ssml") -> str | None:
    """Why ``ssml`` is not one well-formed ``<speak>`` element, or None when it is."""
    from xml.parsers import expat  # imported when first needed: the parse is C, the import small

    parser = expat.ParserCreate()
    root: list[str] = []
    parser.StartElementHandler = lambda name, _attrs: root.append(name) if not root else None
    try:
        parser.Parse(ssml, True)
    except expat.ExpatError as exc:
        return f"expected {where} to be well-formed XML, got: {exc}"
    if root != ["speak"]:
        return f"expected {where} to be a <speak> element, got {one_line(repr(root[:1]))}"
    return None


def card_problem(card: Any, where: str = "card") -> str | None:
    """Why a ``card`` would be refused by Alexa (its text too long or not text), or None."""
    if card is None:
        return None
    if not isinstance(card, Mapping):
        return f"expected {where} to be an object, got {_json_type(card)}"
    total = 0
    for field in ("title", "content", "text"):
        value = card.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            return f"expected {where}.{field} to be a string, got {_json_type(value)}"
        bad = _patterns().not_xml.search(value)
        if bad:
            return (
                f"expected {where}.{field} without control characters, got "
                f"U+{ord(bad.group()):04X} at {bad.start()}"
            )
        total += len(value)
    if total > MAX_CARD_CHARS:
        return (
            f"expected {where} title and text of at most {MAX_CARD_CHARS} characters "
            f"together, got {total}"
        )
    return None


def response_problems(envelope: Mapping[str, Any], encoded: bytes | None = None) -> list[str]:
    """Every reason Alexa would refuse this response envelope (empty when there is none).

    Checks the speech and reprompt, the card, the session attributes (within what the next
    request may bring back) and the whole size; ``encoded`` is the envelope's
    :func:`encode_json` encoding when the caller has it (it is what gets sent). The shape of the
    envelope is checked fully by the tests' JSON Schema.
    """
    problems: list[str] = []
    response = envelope.get("response")
    if not isinstance(response, Mapping):
        return [f"expected response to be an object, got {_json_type(response)}"]
    reprompt = response.get("reprompt")
    reprompt_speech = reprompt.get("outputSpeech") if isinstance(reprompt, Mapping) else None
    for problem in (
        speech_problem(response.get("outputSpeech"), "response.outputSpeech"),
        speech_problem(reprompt_speech, "response.reprompt.outputSpeech"),
        card_problem(response.get("card"), "response.card"),
        attributes_problem(
            envelope.get("sessionAttributes"),
            "sessionAttributes",
            holder=encoded,
            holder_is_compact=True,
        ),
    ):
        if problem is not None:
            problems.append(problem)
    if encoded is None:
        try:
            encoded = encode_json(envelope)
        except (TypeError, ValueError) as exc:
            return [*problems, f"expected a response that is plain JSON, got {one_line(str(exc))}"]
    size = len(encoded)
    if size > MAX_RESPONSE_BYTES:
        problems.append(f"expected a response of at most {MAX_RESPONSE_BYTES} bytes, got {size}")
    return problems


def apology_response(version: str = "1.0") -> dict[str, Any]:
    """The short spoken apology sent instead of a response Alexa would refuse.

    It ends the session and carries no session attributes: whatever went wrong stays behind.
    """
    return {
        "version": version,
        "response": {
            "outputSpeech": {"type": "SSML", "ssml": APOLOGY_SSML},
            "shouldEndSession": True,
        },
    }


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def escape_xml(text: str) -> str:
    """``text`` with ``&``, ``<`` and ``>`` as XML entities: ``xml.sax.saxutils.escape``
    without importing it (it brings in urllib.request, http, email and ssl: 15 ms at a cold
    start)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def one_line(text: str, limit: int = 120) -> str:
    """One line of at most ``limit`` characters, for reasons built from untrusted text."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
