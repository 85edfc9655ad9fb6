"""The web console's routes: the page, its static files, and its JSON API (a Flask Blueprint).

Every API answer is JSON. A request that cannot be done gets 400 (an unknown session or
conversation 404) with ``{"error": "what was expected; what came"}`` in one line, logged at
WARNING; a bug inside is logged with its traceback and answered 500
``{"error": "internal error, see the server log"}``. Only loopback clients that came straight
here are answered, as the unverified endpoint answers them (``skill.web``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, send_file
from werkzeug.exceptions import HTTPException
from werkzeug.security import safe_join

from skill import limits
from skill.errors import DataError, LegCheckError
from skill.tools.console.sessions import (
    CONSOLE_DEVICES,
    MAX_UTTERANCE_CHARS,
    ConsoleBackend,
    ConsoleRequestError,
    ConsoleSession,
    UnknownConversationError,
    read_script_text,
    step_label,
    turn_json,
)
from skill.tools.simulator.conversation import SimulatorError, Turn
from skill.tools.simulator.replay import Script, read_script

log = logging.getLogger("legcheck.console")

CONSOLE_DIR = Path(__file__).resolve().parent
STATIC_DIR = CONSOLE_DIR / "static"
"""The page's own files (``console.html``, ``console.js``, ``console.css``)."""
RENDERER_FILE = "apl-viewhost-web.js"
"""The name the page loads Amazon's APL renderer by."""
RENDERER_PATH = CONSOLE_DIR / "node_modules" / "apl-viewhost-web" / "index.js"
"""Where ``scripts/setup`` installs it (npm, ``skill/tools/console/package.json``)."""
RENDERER_NOTE = (
    "Amazon's APL renderer (npm apl-viewhost-web 1.4.0) is not installed, so screens are shown "
    "as plain text: run scripts/setup, which installs it into "
    "skill/tools/console/node_modules/ (npm ci --prefix skill/tools/console)."
)
REMINDERS_NOTE = (
    "This server's skill offers no reminders: stop it and start it with "
    "LEGCHECK_REMINDERS=on scripts/run to try the whole reminder loop (Alexa's Reminders and "
    "Settings APIs are answered on loopback; nothing reaches Amazon)."
)
BACKEND_KEY = "legcheck_console"
"""Where the app keeps its :class:`ConsoleBackend` (``app.extensions``)."""
INTERNAL_ERROR = "internal error, see the server log"
EVENTS = {"enabled": True, "disabled": False}

console = Blueprint("legcheck_console", __name__, url_prefix="/console")


def backend() -> ConsoleBackend:
    found: ConsoleBackend = current_app.extensions[BACKEND_KEY]
    return found


# ------------------------------------------------------------------ the boundary


@console.before_request
def _loopback_only() -> None:
    from skill.web import PROXY_HEADERS, is_loopback

    if not is_loopback(request.remote_addr):
        raise ConsoleForbiddenError(
            "expected a request from a loopback address (the console is for local "
            f"development); got one from {request.remote_addr!r}"
        )
    host = host_name(request.host or "")
    if host != "localhost" and not is_loopback(host):
        # a page elsewhere whose name was made to point here (DNS rebinding) names its own host
        raise ConsoleForbiddenError(
            f"expected a request for localhost or a loopback address; got one for {host!r}"
        )
    for header in PROXY_HEADERS:
        if header in request.headers:
            raise ConsoleForbiddenError(
                f"expected a request straight from a loopback client; got one through a "
                f"proxy ({header} header)"
            )


def host_name(host: str) -> str:
    """The name in a ``Host`` header, without its port (``[::1]:5000`` is ``::1``)."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class ConsoleForbiddenError(LegCheckError):
    """A console request from anywhere but this machine: HTTP 403."""

    http_status = 403


@console.errorhandler(LegCheckError)
def _refused(exc: LegCheckError) -> tuple[Response, int]:
    status = exc.http_status if 400 <= exc.http_status < 500 else 400
    if isinstance(exc, DataError | SimulatorError):
        status = 400
    elif exc.http_status >= 500:
        return _internal(exc)
    reason = limits.one_line(str(exc), 1000)
    log.warning(
        "console: refused %s %s: %s (HTTP %d)", request.method, request.path, reason, status
    )
    return jsonify(error=reason), status


@console.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[Response, int]:
    status = exc.code or 400
    reason = limits.one_line(f"{exc.name}: {exc.description or ''}")
    log.warning(
        "console: refused %s %s: %s (HTTP %d)", request.method, request.path, reason, status
    )
    return jsonify(error=reason), status


@console.errorhandler(Exception)
def _internal(exc: Exception) -> tuple[Response, int]:
    log.error(
        "console: internal error in %s %s: %s: %s (HTTP 500)",
        request.method,
        request.path,
        type(exc).__name__,
        limits.one_line(str(exc), 300),
        exc_info=exc,
    )
    return jsonify(error=INTERNAL_ERROR), 500


def body() -> dict[str, Any]:
    """The request's JSON object ({} for an empty body)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    if not request.is_json:
        raise ConsoleRequestError(
            "expected a JSON body with Content-Type: application/json; got "
            f"{request.content_type or 'no Content-Type'!r}"
        )
    try:
        data = limits.load_json(raw)
    except limits.JsonLimitError as exc:
        raise ConsoleRequestError(f"expected a JSON object; got malformed JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConsoleRequestError(f"expected a JSON object; got a JSON {type(data).__name__}")
    return data


def field(data: dict[str, Any], name: str, kind: type | tuple[type, ...], what: str) -> Any:
    """``data[name]``, which must be of ``kind`` (booleans are not numbers here)."""
    if name not in data:
        raise ConsoleRequestError(f"expected {name!r}: {what}; it is missing")
    value = data[name]
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        value_ok = False
    else:
        value_ok = isinstance(value, kind)
    if not value_ok:
        raise ConsoleRequestError(f"expected {name!r}: {what}; got {value!r}")
    return value


def turns_answer(session: ConsoleSession, turns: list[Turn]) -> Response:
    return jsonify(turns=[turn_json(t) for t in turns], state=session.state())


# ------------------------------------------------------------------ the page


@console.get("")
@console.get("/")
def page() -> Response:
    path = STATIC_DIR / "console.html"
    if not path.is_file():
        return _missing(
            f"The console's page ({path.relative_to(CONSOLE_DIR.parents[2])}) is missing "
            "from this copy of Leg Check."
        )
    return send_file(path, mimetype="text/html")


@console.get("/static/<path:filename>")
def static(filename: str) -> Response:
    if filename == RENDERER_FILE:
        if not RENDERER_PATH.is_file():
            return _missing(RENDERER_NOTE)
        return send_file(RENDERER_PATH, mimetype="text/javascript")
    joined = safe_join(str(STATIC_DIR), filename)
    if joined is None or not Path(joined).is_file():
        return _missing(f"No file {filename!r} among the console's static files.")
    path = Path(joined)
    mimetype = "text/javascript" if path.suffix in (".js", ".mjs") else None
    return send_file(path, mimetype=mimetype)


def _missing(note: str) -> Response:
    log.warning("console: %s %s: 404: %s", request.method, request.path, note)
    return Response(note + "\n", status=404, mimetype="text/plain")


# ------------------------------------------------------------------ the API


@console.get("/api/options")
def options() -> Response:
    found = backend()
    return jsonify(
        locales=list(found.locales),
        devices=[d.to_json() for d in CONSOLE_DEVICES],
        renderer=RENDERER_PATH.is_file(),
        rendererNote=RENDERER_NOTE,
        reminders=found.reminders,
        remindersNote="" if found.reminders else REMINDERS_NOTE,
        conversations=found.conversation_names(),
        store=found.store.describe() if found.store is not None else None,
    )


@console.post("/api/sessions")
def create_session() -> Response:
    data = body()
    locale = data.get("locale", "en-US")
    device = data.get("device", "speaker")
    session = backend().create(locale, device)
    log.info("console: session %s… opened (%s, %s)", session.id[:6], locale, device)
    return jsonify(id=session.id, state=session.state())


@console.get("/api/sessions/<session_id>")
def show_session(session_id: str) -> Response:
    return jsonify(state=backend().get(session_id).state())


@console.post("/api/sessions/<session_id>/say")
def say(session_id: str) -> Response:
    session = backend().get(session_id)
    utterance = field(body(), "utterance", str, "the words the runner says, as text").strip()
    if not utterance:
        raise ConsoleRequestError("expected 'utterance': the words the runner says; got none")
    if len(utterance) > MAX_UTTERANCE_CHARS:
        raise ConsoleRequestError(
            f"expected an utterance of at most {MAX_UTTERANCE_CHARS} characters; got "
            f"{len(utterance)}"
        )
    return turns_answer(session, session.say(utterance))


@console.post("/api/sessions/<session_id>/settings")
def settings(session_id: str) -> Response:
    session = backend().get(session_id)
    data = body()
    if "locale" not in data and "device" not in data:
        raise ConsoleRequestError("expected 'locale' or 'device' (or both); got neither")
    return turns_answer(session, session.settings(data.get("locale"), data.get("device")))


@console.post("/api/sessions/<session_id>/new-session")
def new_session(session_id: str) -> Response:
    session = backend().get(session_id)
    body()
    return turns_answer(session, session.new_session())


@console.post("/api/sessions/<session_id>/forget")
def forget(session_id: str) -> Response:
    session = backend().get(session_id)
    body()
    message = session.forget()
    return jsonify(state=session.state(), message=message)


@console.post("/api/sessions/<session_id>/advance")
def advance(session_id: str) -> Response:
    from skill.tools.simulator.console import MAX_DAYS

    session = backend().get(session_id)
    data = body()
    days = field(data, "days", (int, float), f"the days the clock moves, from 0 to {MAX_DAYS}")
    if not 0 < days <= MAX_DAYS:
        raise ConsoleRequestError(
            f"expected 'days': more than 0 and at most {MAX_DAYS} (the clock only moves "
            f"forward); got {days!r}"
        )
    return turns_answer(session, session.advance(float(days)))


@console.post("/api/sessions/<session_id>/event")
def event(session_id: str) -> Response:
    session = backend().get(session_id)
    name = body().get("event")
    if name not in EVENTS:
        raise ConsoleRequestError(f"expected 'event': one of {', '.join(EVENTS)}; got {name!r}")
    return turns_answer(session, session.event(EVENTS[name]))


@console.post("/api/sessions/<session_id>/permission")
def permission(session_id: str) -> Response:
    session = backend().get(session_id)
    granted = field(body(), "granted", bool, "true or false")
    session.grant(granted)
    return jsonify(state=session.state())


@console.post("/api/sessions/<session_id>/consent")
def consent(session_id: str) -> Response:
    session = backend().get(session_id)
    answer = field(body(), "answer", str, "ACCEPTED, DENIED or NOT_ANSWERED")
    return turns_answer(session, session.consent(answer))


@console.get("/api/sessions/<session_id>/replay")
def replay(session_id: str) -> Response:
    session = backend().get(session_id)
    replay_file = session.replay()
    name = f"legcheck-{replay_file.locale}-{session_id[:6]}.json"
    return Response(
        replay_file.to_json(),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@console.post("/api/sessions/<session_id>/script")
def script(session_id: str) -> Response:
    found = backend()
    session = found.get(session_id)
    data = body()
    if "name" in data:
        name = field(data, "name", str, "a conversation's file name in tests/conversations")
        if name not in found.conversation_names() or found.conversations is None:
            raise UnknownConversationError(
                f"expected the name of a file in tests/conversations; got {name!r}"
            )
        loaded: Script = read_script(found.conversations / name)
    elif "text" in data:
        text = field(data, "text", str, "the file's text")
        filename = field(data, "filename", str, "its name, ending in .yaml or .json")
        name = filename
        loaded = read_script_text(text, filename)
    else:
        raise ConsoleRequestError(
            "expected 'name' (a file in tests/conversations) or 'text' and 'filename' "
            "(a conversation test or ASK CLI replay file); got neither"
        )
    script_state = session.load_script(name, loaded)
    log.info(
        "console: session %s… loaded %s (%d steps)",
        session.id[:6],
        name,
        len(script_state.script.turns),
    )
    return jsonify(script=script_json(name, loaded), state=session.state())


def script_json(name: str, loaded: Script) -> dict[str, Any]:
    from skill.tools.console.sessions import expectations_of

    return {
        "name": name,
        "description": loaded.description,
        "locale": loaded.locale,
        "steps": [
            {
                "utterance": step_label(st),
                "said": st.user is not None,
                "expect": [text for text, _ in expectations_of(st.expect)],
            }
            for st in loaded.turns
        ],
    }


@console.post("/api/sessions/<session_id>/script/step")
def script_step(session_id: str) -> Response:
    session = backend().get(session_id)
    body()
    st, index, turns, checks, failures = session.step()
    loaded = session.script
    return jsonify(
        turns=[turn_json(t) for t in turns],
        step={
            "index": index,
            "utterance": step_label(st),
            "place": st.place,
            "expectations": checks,
            "met": not failures,
            "failures": failures,
        },
        done=loaded is None or loaded.done,
        state=session.state(),
    )
