"""Request handlers, one class per intent, in the ASK SDK's own idiom.

Handlers hold no user-facing text: they ask :mod:`skill.strings` for it and
the pure engine (:mod:`skill.triage`) for decisions. The conversation state
lives in session attributes::

    answers   {feature id: true/false} heard or answered so far
    asked     feature ids already asked about (at most the policy's limit)
    pending   the feature id of the question just asked, or null
    forget    true while waiting for "yes" to delete stored check-ins
    last      the last speech and reprompt, for AMAZON.RepeatIntent
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, ClassVar

from ask_sdk_core.dispatch_components import AbstractExceptionHandler, AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_locale, is_intent_name, is_request_type
from ask_sdk_model import IntentRequest, Response
from ask_sdk_model.slu.entityresolution import StatusCode
from ask_sdk_model.ui import SimpleCard

from skill import history, speech, triage
from skill.knowledge import load_knowledge
from skill.memory import memory_of
from skill.speech import Spoken
from skill.store import CheckIn
from skill.strings import LocaleStrings, strings_for

log = logging.getLogger("legcheck.handlers")


# ---------------------------------------------------------------- helpers

def _strings(handler_input: HandlerInput) -> LocaleStrings:
    return strings_for(get_locale(handler_input))


def _session(handler_input: HandlerInput) -> dict[str, Any]:
    attrs: dict[str, Any] = handler_input.attributes_manager.session_attributes
    return attrs


def _now(handler_input: HandlerInput) -> datetime:
    stamp = handler_input.request_envelope.request.timestamp
    if isinstance(stamp, datetime):
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _has_store(handler_input: HandlerInput) -> bool:
    return memory_of(handler_input).available


def _stored_checkins(handler_input: HandlerInput) -> list[CheckIn]:
    """Earlier check-ins within the retention window; none when the store fails (logged)."""
    return list(memory_of(handler_input).history())


def _say(handler_input: HandlerInput, spoken: Spoken, reprompt: Spoken | None = None,
         end: bool = False, card: bool = False) -> Response:
    """Speak, remember it for Repeat, and keep the session open unless told."""
    builder = handler_input.response_builder.speak(spoken.ssml)
    if reprompt is not None and not end:
        builder.ask(reprompt.ssml)
    if card:
        builder.set_card(SimpleCard(title=spoken.card_title, content=spoken.text))
    builder.set_should_end_session(end)
    session = _session(handler_input)
    if not end:
        session["last"] = {"speech": spoken.parts, "reprompt": reprompt.parts if reprompt else []}
    response: Response = builder.response
    return response


def _prompt(handler_input: HandlerInput, key: str, reprompt_key: str | None = None,
            end: bool = False, **values: Any) -> Response:
    strings = _strings(handler_input)
    text = Spoken((strings.prompt(key, **values),))
    reprompt = Spoken((strings.prompt(reprompt_key, **values),)) if reprompt_key else text
    return _say(handler_input, text, None if end else reprompt, end=end)


def slot_features(request: IntentRequest, strings: LocaleStrings) -> tuple[list[str], list[str]]:
    """Feature ids resolved from the intent's slots, and the words that matched nothing.

    Danger words in unmatched words still count: a danger sign must never be
    lost because the model did not know the runner's phrasing.
    """
    knowledge = load_knowledge()
    found: list[str] = []
    unmatched: list[str] = []
    slots = request.intent.slots or {}
    for name in sorted(slots):
        slot = slots[name]
        if not slot.value:
            continue
        resolved = None
        rpa = slot.resolutions.resolutions_per_authority if slot.resolutions else None
        for authority in rpa or []:
            if authority.status and authority.status.code == StatusCode.ER_SUCCESS_MATCH:
                resolved = authority.values[0].value.id
                break
        if resolved in knowledge.features:
            found.append(resolved)
        else:
            unmatched.append(str(slot.value).lower())
    for sign, words in strings.danger_words().items():
        if any(word in text for text in unmatched for word in words) and sign not in found:
            found.append(sign)
    return found, unmatched


def _advance(handler_input: HandlerInput, misheard: bool = False) -> Response:
    """Ask the engine what it makes of the answers so far, and say the next thing."""
    strings = _strings(handler_input)
    knowledge = load_knowledge()
    session = _session(handler_input)
    answers = {str(k): bool(v) for k, v in session.get("answers", {}).items()}
    asked = [str(a) for a in session.get("asked", [])]
    now = _now(handler_input)
    stored = _stored_checkins(handler_input)
    result = triage.assess(answers, asked, history.prior_checkins(stored, now.date()),
                           knowledge)

    if result.is_danger:
        session["pending"] = None
        log.info("danger signs %s", ",".join(result.danger_signs))
        spoken = speech.outcome(strings, knowledge, result)
        _save_checkin(handler_input, stored, now, result)
        return _say(handler_input, spoken, end=True, card=True)

    if not result.present:
        # nothing understood yet: an open question, not a yes/no one
        session["pending"] = None
        key = "describe_more" if misheard or answers or session.get("tries") else "describe"
        session["tries"] = int(session.get("tries", 0)) + 1
        return _prompt(handler_input, key, "launch_reprompt")

    if result.next_question is not None:
        session["pending"] = result.next_question
        session["asked"] = [*asked, result.next_question]
        ask, reprompt = speech.question(strings, result.next_question)
        return _say(handler_input, ask, reprompt)

    session["pending"] = None
    spoken = speech.outcome(strings, knowledge, result)
    _save_checkin(handler_input, stored, now, result)
    return _say(handler_input, spoken, end=True, card=True)


def _save_checkin(handler_input: HandlerInput, stored: list[CheckIn], now: datetime,
                  result: triage.TriageResult) -> None:
    """Add this check-in in one atomic write; a failure is logged and the advice still said."""
    memory_of(handler_input).remember(sorted(result.present), result.top.id, result.level)


def _take_slots(handler_input: HandlerInput) -> Response:
    strings = _strings(handler_input)
    session = _session(handler_input)
    request = handler_input.request_envelope.request
    found, unmatched = slot_features(request, strings)
    answers = dict(session.get("answers", {}))
    for feature in found:
        answers[feature] = True
    if found and session.get("pending") in found:
        session["pending"] = None
    session["answers"] = answers
    session["forget"] = False
    if not found and unmatched:
        log.info("unmatched slot words: %s", unmatched)
    if not found and session.get("pending"):
        return _unless_pending(handler_input, "fallback_during_question", "fallback",
                               "launch_reprompt")
    return _advance(handler_input, misheard=bool(unmatched) and not found)


def _unless_pending(handler_input: HandlerInput, during_key: str, key: str,
                    reprompt_key: str) -> Response:
    """Say ``during_key`` with the pending question again, or ``key`` when none is pending."""
    pending = _session(handler_input).get("pending")
    if pending:
        question = _strings(handler_input).question(pending)
        return _prompt(handler_input, during_key, "question_reprompt", question=question)
    return _prompt(handler_input, key, reprompt_key)


def _answer_pending(handler_input: HandlerInput, value: bool) -> Response:
    session = _session(handler_input)
    if session.get("forget"):
        return _forget(handler_input, value)
    pending = session.get("pending")
    if not pending:
        return _prompt(handler_input, "yes_no_without_question", "launch_reprompt")
    answers = dict(session.get("answers", {}))
    answers[pending] = value
    session["answers"] = answers
    session["pending"] = None
    return _advance(handler_input)


def _forget(handler_input: HandlerInput, confirmed: bool) -> Response:
    session = _session(handler_input)
    session["forget"] = False
    if not confirmed:
        return _prompt(handler_input, "forget_kept", end=True)
    memory_of(handler_input).forget()  # a failure raises: never say it is gone when it is not
    return _prompt(handler_input, "forget_done", end=True)


# ---------------------------------------------------------------- handlers

class IntentHandler(AbstractRequestHandler):  # type: ignore[misc]
    """Base of the handlers that take one intent, named by ``intent``."""

    intent: ClassVar[str] = ""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name(self.intent)(handler_input))


class LaunchRequestHandler(AbstractRequestHandler):  # type: ignore[misc]
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("LaunchRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return _prompt(handler_input, "launch", "launch_reprompt")


class ReportSymptomsIntentHandler(IntentHandler):
    intent = "ReportSymptomsIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return _take_slots(handler_input)


class AnswerIntentHandler(IntentHandler):
    intent = "AnswerIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return _take_slots(handler_input)


class YesIntentHandler(IntentHandler):
    intent = "AMAZON.YesIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return _answer_pending(handler_input, True)


class NoIntentHandler(IntentHandler):
    intent = "AMAZON.NoIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return _answer_pending(handler_input, False)


class HelpIntentHandler(IntentHandler):
    intent = "AMAZON.HelpIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return _unless_pending(handler_input, "help_during_question", "help", "help_reprompt")


class FallbackIntentHandler(IntentHandler):
    intent = "AMAZON.FallbackIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return _unless_pending(handler_input, "fallback_during_question", "fallback",
                               "launch_reprompt")


class RepeatIntentHandler(IntentHandler):
    intent = "AMAZON.RepeatIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        last = _session(handler_input).get("last")
        if not last:
            return _prompt(handler_input, "repeat_nothing", "launch_reprompt")
        reprompt = Spoken(tuple(last.get("reprompt") or last["speech"]))
        return _say(handler_input, Spoken(tuple(last["speech"])), reprompt)


class StartOverIntentHandler(IntentHandler):
    intent = "AMAZON.StartOverIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        session = _session(handler_input)
        for key in ("answers", "asked", "pending", "forget", "tries"):
            session.pop(key, None)
        return _prompt(handler_input, "start_over", "launch_reprompt")


class _GoodbyeHandler(IntentHandler):
    def handle(self, handler_input: HandlerInput) -> Response:
        return _prompt(handler_input, "goodbye", end=True)


class StopIntentHandler(_GoodbyeHandler):
    intent = "AMAZON.StopIntent"


class CancelIntentHandler(_GoodbyeHandler):
    intent = "AMAZON.CancelIntent"


class NavigateHomeIntentHandler(_GoodbyeHandler):
    intent = "AMAZON.NavigateHomeIntent"


class PrivacyIntentHandler(IntentHandler):
    intent = "PrivacyIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        if not _has_store(handler_input):
            return _prompt(handler_input, "privacy_unavailable", "help_reprompt")
        strings = _strings(handler_input)
        count = len(_stored_checkins(handler_input))
        days = load_knowledge().policy.history_window_days
        if count == 0:
            return _prompt(handler_input, "privacy_nothing", "help_reprompt", days=days)
        return _prompt(handler_input, "privacy", "help_reprompt", days=days,
                       count=strings.count_checkins(count))


class ForgetMeIntentHandler(IntentHandler):
    intent = "ForgetMeIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        count = len(_stored_checkins(handler_input))
        if memory_of(handler_input).unreadable:
            # a record that cannot be read is still deleted when asked
            _session(handler_input)["forget"] = True
            return _prompt(handler_input, "forget_confirm_reprompt", "forget_confirm_reprompt")
        if count == 0:
            return _prompt(handler_input, "forget_nothing", end=True)
        _session(handler_input)["forget"] = True
        return _prompt(handler_input, "forget_confirm", "forget_confirm_reprompt", count=count)


class SessionEndedRequestHandler(AbstractRequestHandler):  # type: ignore[misc]
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("SessionEndedRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        reason = getattr(request, "reason", None)
        error = getattr(request, "error", None)
        log.info("session ended: %s %s", reason.value if reason else "", error or "")
        response: Response = handler_input.response_builder.response
        return response


class UnhandledRequestHandler(AbstractRequestHandler):  # type: ignore[misc]
    """The catch-all: any request or intent no other handler takes."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        name = getattr(getattr(request, "intent", None), "name", None)
        log.warning("unhandled request %s %s", request.object_type, name or "")
        return _prompt(handler_input, "fallback", "launch_reprompt")


class CatchAllExceptionHandler(AbstractExceptionHandler):  # type: ignore[misc]
    """Any error inside the skill: apologise aloud, log it, keep the session open."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        request = handler_input.request_envelope.request
        log.error("error handling %s (request id %s)", request.object_type,
                  getattr(request, "request_id", "?"), exc_info=exception)
        return _prompt(handler_input, "error", "error_reprompt")


REQUEST_HANDLERS: tuple[type[AbstractRequestHandler], ...] = (
    LaunchRequestHandler,
    ReportSymptomsIntentHandler,
    AnswerIntentHandler,
    YesIntentHandler,
    NoIntentHandler,
    HelpIntentHandler,
    FallbackIntentHandler,
    RepeatIntentHandler,
    StartOverIntentHandler,
    StopIntentHandler,
    CancelIntentHandler,
    NavigateHomeIntentHandler,
    PrivacyIntentHandler,
    ForgetMeIntentHandler,
    SessionEndedRequestHandler,
    UnhandledRequestHandler,  # the catch-all, last
)

HANDLED_INTENTS: frozenset[str] = frozenset(
    h.intent for h in REQUEST_HANDLERS if issubclass(h, IntentHandler) and h.intent
)
