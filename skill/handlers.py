"""Request handlers, one class per intent, in the ASK SDK's own idiom.

Handlers hold no user-facing text: they ask :mod:`skill.strings` for it, the
phrase interpreter (:mod:`skill.interpret`) for what the words said, and the
pure engine (:mod:`skill.triage`) for decisions. The check-in's state is read
once per request, by :class:`StateRequestInterceptor`, into one typed
:class:`~skill.state.DialogState`, and written back by
:class:`StateResponseInterceptor`; ``can_handle`` methods that depend on it
(a Yes that confirms deleting check-ins) read that object, never raw keys.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, ClassVar

from ask_sdk_core.dispatch_components import (
    AbstractExceptionHandler,
    AbstractRequestHandler,
    AbstractRequestInterceptor,
    AbstractResponseInterceptor,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import (
    get_locale,
    get_supported_interfaces,
    is_intent_name,
    is_request_type,
)
from ask_sdk_model import Response
from ask_sdk_model.slu.entityresolution import StatusCode
from ask_sdk_model.ui import SimpleCard

from skill import history, screen, speech, triage
from skill.interpret import Heard, interpret
from skill.knowledge import load_knowledge
from skill.lexicon import load_lexicon
from skill.memory import memory_of
from skill.speech import Spoken
from skill.state import DialogState, Outcome
from skill.store import CheckIn, Consent
from skill.strings import LocaleStrings, strings_for

log = logging.getLogger("legcheck.handlers")

STATE_KEY = "legcheck.state"
REPLY_SLOT = "Reply"
"""The slot that holds a yes, no or "not sure" opening an answer; read first."""


# ---------------------------------------------------------------- helpers


def _strings(handler_input: HandlerInput) -> LocaleStrings:
    return strings_for(get_locale(handler_input))


def _in_session(handler_input: HandlerInput) -> bool:
    return handler_input.request_envelope.session is not None


def state_of(handler_input: HandlerInput) -> DialogState:
    """The request's one state object (read by the request interceptor)."""
    attrs = handler_input.attributes_manager.request_attributes
    state = attrs.get(STATE_KEY)
    if not isinstance(state, DialogState):
        raw = (
            handler_input.request_envelope.session.attributes
            if _in_session(handler_input)
            else None
        )
        state = DialogState.read(raw, load_knowledge())
        attrs[STATE_KEY] = state
    return state


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


def _say(
    handler_input: HandlerInput,
    spoken: Spoken,
    reprompt: Spoken | None = None,
    end: bool = False,
    card: bool = False,
) -> Response:
    """Speak (emergency numbers said the local way), show the card and, on a device with
    a screen, the APL document; remember it for Repeat; keep the session open unless told."""
    aliases = _strings(handler_input).aliases
    builder = handler_input.response_builder.speak(spoken.ssml_for(aliases))
    if reprompt is not None and not end:
        builder.ask(reprompt.ssml_for(aliases))
    if card:
        builder.set_card(SimpleCard(title=spoken.card_title, content=spoken.card_text))
    if spoken.screen is not None and has_screen(handler_input):
        # imported here: the APL package is a hundred modules (8 ms at a cold start), and only
        # an outcome on a device with a screen needs it
        from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective

        name, data = spoken.screen.content()
        builder.add_directive(
            RenderDocumentDirective(
                token=screen.TOKEN, document=screen.document(name), datasources=data
            )
        )
    builder.set_should_end_session(end)
    if not end and _in_session(handler_input):
        state = state_of(handler_input)
        state.last_speech = spoken.parts
        state.last_reprompt = reprompt.parts if reprompt else ()
    response: Response = builder.response
    return response


def has_screen(handler_input: HandlerInput) -> bool:
    """Whether the device can show APL (its supported interfaces say so)."""
    try:
        interfaces = get_supported_interfaces(handler_input)
    except (AttributeError, TypeError):
        return False
    return getattr(interfaces, "alexa_presentation_apl", None) is not None


def _prompt(
    handler_input: HandlerInput,
    key: str,
    reprompt_key: str | None = None,
    end: bool = False,
    **values: Any,
) -> Response:
    strings = _strings(handler_input)
    text = Spoken((strings.prompt(key, **values),))
    reprompt = Spoken((strings.prompt(reprompt_key, **values),)) if reprompt_key else text
    return _say(handler_input, text, None if end else reprompt, end=end)


def heard_words(handler_input: HandlerInput) -> tuple[list[str], list[str]]:
    """Every slot's words, the Reply slot first, and the feature ids Alexa resolved.

    A custom slot holds what the runner said even when it matched no value,
    and which slot a phrase lands in is not guaranteed: all of it is read.
    """
    knowledge = load_knowledge()
    intent = getattr(handler_input.request_envelope.request, "intent", None)
    slots = getattr(intent, "slots", None) or {}
    carrier = load_lexicon(get_locale(handler_input) or "en").restored.get(
        str(getattr(intent, "name", "")), ""
    )
    fragments: list[str] = []
    resolved: list[str] = []
    for name in sorted(slots, key=lambda n: (n != REPLY_SLOT, n)):
        slot = slots[name]
        value = getattr(slot, "value", None)
        if not isinstance(value, str) or not value.strip():
            continue
        fragments.append(f"{carrier} {value[:500]}" if carrier else value[:500])
        resolutions = getattr(slot, "resolutions", None)
        for authority in getattr(resolutions, "resolutions_per_authority", None) or []:
            status = getattr(authority, "status", None)
            values = getattr(authority, "values", None) or []
            if getattr(status, "code", None) == StatusCode.ER_SUCCESS_MATCH and values:
                rid = getattr(getattr(values[0], "value", None), "id", None)
                if isinstance(rid, str) and rid in knowledge.features:
                    resolved.append(rid)
                break
    if carrier and not fragments:
        fragments.append(carrier)  # "no" heard alone, the slot empty
    return fragments, resolved


def hear(handler_input: HandlerInput, pending: str | None) -> Heard:
    """What this turn's words said, through the phrase interpreter."""
    fragments, resolved = heard_words(handler_input)
    heard = interpret(
        fragments, pending, load_knowledge(), load_lexicon(get_locale(handler_input) or "en")
    )
    extra = [f for f in resolved if f not in heard.present and f not in heard.absent]
    if extra:
        heard = Heard(
            heard.present | frozenset(extra),
            heard.absent,
            heard.reply,
            heard.answer if heard.answer is not None else (True if pending in extra else None),
            heard.unsure,
            heard.word_count,
        )
    log.debug(
        "heard %d words in %d slots: %d present, %d absent, reply %s",
        heard.word_count,
        len(fragments),
        len(heard.present),
        len(heard.absent),
        heard.reply,
    )
    return heard


def _record(state: DialogState, heard: Heard) -> list[str]:
    """Add what was heard to the answers; the danger signs newly heard as denied."""
    knowledge = load_knowledge()
    denied: list[str] = []
    for feature in heard.present:
        state.answers[feature] = True
    order = list(knowledge.features)
    for feature in sorted(heard.absent, key=order.index):
        danger = knowledge.features[feature].category == "danger"
        if danger and state.answers.get(feature):
            continue  # a danger sign once heard stays heard
        state.answers[feature] = False
        if danger and feature not in state.noted:
            state.noted.append(feature)
            denied.append(feature)
    return denied


def take_turn(handler_input: HandlerInput, heard: Heard, answer: bool | None = None) -> Response:
    """One runner turn: record what it said, then say the next thing.

    A yes or no (from the words, or from AMAZON.YesIntent/NoIntent) answers the
    pending question; "not sure" leaves it unknown; a turn that yields nothing
    gets the pending question once more, then moves on; with no question
    pending, it starts the guided path of yes/no questions.
    """
    strings = _strings(handler_input)
    state = state_of(handler_input)
    state.forget = False
    if state.consent is not None:
        # the advice was given and "may I remember?" asked: a bare yes or no answers it,
        # nothing heard asks it again, anything else is a new check-in (nothing kept)
        reply = "yes" if answer is True else "no" if answer is False else heard.reply
        if heard.present or heard.absent:
            state.start_over()
        elif reply in ("yes", "no"):
            return _consent_answer(handler_input, reply == "yes")
        elif heard.request == "stop":
            return _consent_answer(handler_input, False)  # "never mind": not remembered
        else:
            return _prompt(
                handler_input, "consent_reprompt", "consent_reprompt", days=_window_days()
            )
    if heard.request is not None and answer is None:
        return _requested(handler_input, heard.request)
    pending = state.pending
    if answer is None:
        answer = heard.answer
    denied = _record(state, heard)
    understood = answer is not None or heard.unsure or not heard.empty
    prefix: list[str] = []
    if denied:
        prefix.append(speech.noted_no_danger(strings, load_knowledge(), denied))
    if pending is not None:
        if answer is not None:
            state.answers[pending] = answer
        elif not understood:
            if state.repeats < 1:
                state.repeats += 1
                return _reask(handler_input, pending)
            prefix.append(strings.prompt("moving_on"))
        elif not heard.unsure and state.repeats < 1 and _is_safety_check(pending):
            # words about something else while a safety check waits: it is not dropped but
            # asked once more, after the engine has seen the words (a danger in them wins)
            state.repeats += 1
            state.pending = None
            if pending in state.asked:  # (a session's state may hold it without)
                state.asked.remove(pending)
            state.questions = max(0, state.questions - 1)  # the same question, not another
            if state.described:
                state.turns += 1
            return advance(handler_input, [*prefix, strings.prompt("safety_check_again")])
        state.pending = None
        state.repeats = 0
    elif not understood or (not state.described and heard.reply is not None):
        # the open question yielded nothing: no dead end, the guided path starts
        state.tries += 1
        if not understood:
            prefix.append(strings.prompt("not_caught"))
    if state.described:
        state.turns += 1
    return advance(handler_input, prefix)


def _requested(handler_input: HandlerInput, request: str) -> Response:
    """A request instead of an answer: stop the check-in ("never mind"), say the question
    again ("pardon?"), or say what Leg Check does when asked for something it cannot serve
    ("how far did I run?"), without starting the questionnaire."""
    state = state_of(handler_input)
    if request == "stop":
        return _stop(handler_input)
    if request == "repeat":
        if state.pending is not None:
            ask, reprompt = speech.question(_strings(handler_input), state.pending)
            return _say(handler_input, ask, reprompt)
        if state.last_speech:
            return _say(
                handler_input,
                Spoken(state.last_speech),
                Spoken(state.last_reprompt or state.last_speech),
            )
        return _prompt(handler_input, "repeat_nothing", "launch_reprompt")
    if state.pending is not None:
        if state.repeats >= 1:
            return take_turn(handler_input, Heard())  # asked once more already: move on
        state.repeats += 1
    return _unless_pending(
        handler_input, "out_of_scope_during_question", "out_of_scope", "launch_reprompt"
    )


def _stop(handler_input: HandlerInput) -> Response:
    """End politely: a check-in under way is dropped (nothing kept) and the runner hears how
    to get help; with none under way, the plain goodbye."""
    state = state_of(handler_input)
    under_way = state.consent is None and (state.pending is not None or state.described)
    state.start_over()
    return _prompt(handler_input, "check_in_stopped" if under_way else "goodbye", end=True)


def _is_safety_check(feature: str) -> bool:
    """Whether the question about ``feature`` is a danger sign's safety check."""
    return any(d.screen_question == feature for d in load_knowledge().danger_signs)


def _reask(handler_input: HandlerInput, pending: str) -> Response:
    question = _strings(handler_input).question(pending)
    return _prompt(
        handler_input, "fallback_during_question", "question_reprompt", question=question
    )


def advance(handler_input: HandlerInput, prefix: list[str] | None = None) -> Response:
    """Ask the engine what it makes of the answers so far, and say the next thing."""
    strings = _strings(handler_input)
    knowledge = load_knowledge()
    state = state_of(handler_input)
    policy = knowledge.policy
    now = _now(handler_input)
    stored = _stored_checkins(handler_input)
    left = (
        min(policy.max_turns - state.turns, policy.max_questions - state.questions)
        if state.described
        else len(policy.guided_questions)
    )
    result = triage.assess(
        state.answers,
        state.asked,
        history.prior_checkins(stored, now.date()),
        knowledge,
        questions_left=left,
        guided=state.tries > 0,
    )
    lead = [p for p in (prefix or []) if p]

    if result.is_danger:
        # the advice ends the session at once: no question, not even about remembering
        state.pending = None
        log.info("danger signs %s", ",".join(result.danger_signs))
        spoken = speech.outcome(strings, knowledge, result)
        _save_checkin(handler_input, stored, now, result)
        return _say(handler_input, spoken, end=True, card=True)

    if result.needs_description:
        state.pending = None
        return _say(
            handler_input,
            Spoken((*lead, strings.prompt("describe"))),
            Spoken((strings.prompt("launch_reprompt"),)),
        )

    if result.next_question is not None:
        question = result.next_question
        if result.guided and not state.guided:
            state.guided = True
            lead.append(strings.prompt("guided_intro"))
        state.pending = question
        state.asked.append(question)
        if state.described:
            state.questions += 1
        ask, reprompt = speech.question(strings, question)
        return _say(handler_input, Spoken((*lead, *ask.parts)), reprompt)

    state.pending = None
    came_back = history.recurrence(
        stored, result.present, knowledge, now.date(), policy.history_window_days
    )
    recurred = speech.recurrence(strings, knowledge, came_back) if came_back else ""
    spoken = speech.outcome(strings, knowledge, result, recurred)
    if lead:
        spoken = spoken.led_by(lead)
    if _should_ask_consent(handler_input):
        return _advise_and_ask_consent(handler_input, spoken, result)
    _save_checkin(handler_input, stored, now, result)
    return _say(handler_input, spoken, end=True, card=True)


def _outcome_of(result: triage.TriageResult) -> Outcome:
    """What is kept of a check-in: its features, the cause the advice named (or the danger
    sign), and the triage level; nothing else."""
    cause = history.cause_to_keep(
        load_knowledge(), result.contenders, result.danger_signs, result.complaints
    )
    return Outcome(tuple(sorted(result.present)), cause, result.level)


def _save_checkin(
    handler_input: HandlerInput, stored: list[CheckIn], now: datetime, result: triage.TriageResult
) -> None:
    """Keep this check-in, if the runner agreed to be remembered, in one atomic write; a
    failure is logged (with the request id) and the advice is still said."""
    memory = memory_of(handler_input)
    if memory.known and memory.consent() is Consent.YES:
        kept = _outcome_of(result)
        memory.remember(kept.features, kept.cause, kept.level)


def _window_days() -> int:
    return load_knowledge().policy.history_window_days


def _should_ask_consent(handler_input: HandlerInput) -> bool:
    """Ask "may I remember?" only where check-ins can be kept, the runner's record was
    read, and they have not answered yet (or their answer has expired)."""
    memory = memory_of(handler_input)
    return _in_session(handler_input) and memory.known and memory.consent() is Consent.UNKNOWN


def _advise_and_ask_consent(
    handler_input: HandlerInput, advice: Spoken, result: triage.TriageResult
) -> Response:
    """The advice (on the card too), then once: may I remember your check-ins?"""
    strings = _strings(handler_input)
    days = _window_days()
    state = state_of(handler_input)
    state.consent = _outcome_of(result)
    ask = Spoken(
        (*advice.parts, strings.prompt("consent_ask", days=days)),
        advice.card_title,
        advice.card_lines,
        advice.screen,
    )
    reprompt = Spoken((strings.prompt("consent_reprompt", days=days),))
    return _say(handler_input, ask, reprompt, card=True)


def _consent_answer(handler_input: HandlerInput, agreed: bool) -> Response:
    """Yes keeps this check-in and the consent in one write; no keeps only the refusal."""
    memory = memory_of(handler_input)
    state = state_of(handler_input)
    kept, state.consent = state.consent, None
    days = _window_days()
    if agreed and kept is not None:
        if memory.remember(kept.features, kept.cause, kept.level, Consent.YES):
            return _prompt(handler_input, "consent_yes", end=True, days=days)
        return _prompt(handler_input, "consent_not_saved", end=True)
    memory.set_consent(Consent.NO)  # a failure is logged; the runner may be asked again
    return _prompt(handler_input, "consent_no", end=True)


def _settle_memory_question(handler_input: HandlerInput) -> None:
    """A privacy request while "may I remember?" waits: the question is dropped unanswered."""
    state_of(handler_input).consent = None


def _unless_pending(
    handler_input: HandlerInput, during_key: str, key: str, reprompt_key: str
) -> Response:
    """Say ``during_key`` with the pending question again, or ``key`` when none is pending."""
    pending = state_of(handler_input).pending
    if pending:
        question = _strings(handler_input).question(pending)
        return _prompt(handler_input, during_key, "question_reprompt", question=question)
    return _prompt(handler_input, key, reprompt_key)


def _forget(handler_input: HandlerInput, confirmed: bool) -> Response:
    state_of(handler_input).forget = False
    if not confirmed:
        return _prompt(handler_input, "forget_kept", end=True)
    memory_of(handler_input).forget()  # a failure raises: never say it is gone when it is not
    return _prompt(handler_input, "forget_done", end=True)


# ---------------------------------------------------------------- interceptors


class StateRequestInterceptor(AbstractRequestInterceptor):  # type: ignore[misc]
    """Read the session into one typed state object before any handler looks."""

    def process(self, handler_input: HandlerInput) -> None:
        state_of(handler_input)


class StateResponseInterceptor(AbstractResponseInterceptor):  # type: ignore[misc]
    """Write the state back as the session attributes, and nothing else."""

    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        if _in_session(handler_input):
            handler_input.attributes_manager.session_attributes = state_of(
                handler_input
            ).to_attributes()


# ---------------------------------------------------------------- handlers


class IntentHandler(AbstractRequestHandler):  # type: ignore[misc]
    """Base of the handlers that take one intent, named by ``intent``."""

    intent: ClassVar[str] = ""

    def __init__(self) -> None:
        self.is_mine = is_intent_name(self.intent)  # made once: every request asks each handler

    def can_handle(self, handler_input: HandlerInput) -> bool:
        request = handler_input.request_envelope.request
        if getattr(request, "intent", None) is None:
            return False  # an IntentRequest without its intent goes to the catch-all
        return bool(self.is_mine(handler_input))


class LaunchRequestHandler(AbstractRequestHandler):  # type: ignore[misc]
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("LaunchRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return _prompt(handler_input, "launch", "launch_reprompt")


class ReportSymptomsIntentHandler(IntentHandler):
    intent = "ReportSymptomsIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return take_turn(handler_input, hear(handler_input, state_of(handler_input).pending))


class AnswerIntentHandler(IntentHandler):
    intent = "AnswerIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return take_turn(handler_input, hear(handler_input, state_of(handler_input).pending))


class DescribeIntentHandler(IntentHandler):
    """Free words after a neutral opening ("my {Description}")."""

    intent = "DescribeIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return take_turn(handler_input, hear(handler_input, state_of(handler_input).pending))


class YesDescribeIntentHandler(DescribeIntentHandler):
    """ "yeah, right between the toes": a yes, and more words."""

    intent = "YesDescribeIntent"


class NoDescribeIntentHandler(DescribeIntentHandler):
    """ "nah, it comes and goes" or "no pain at all": the words decide which."""

    intent = "NoDescribeIntent"


class NotDescribeIntentHandler(DescribeIntentHandler):
    """ "it doesn't hurt", "there's no swelling": what follows is denied."""

    intent = "NotDescribeIntent"


class UnsureDescribeIntentHandler(DescribeIntentHandler):
    """ "dunno, but I've lost control of my bladder": not sure, and more words."""

    intent = "UnsureDescribeIntent"


class ForgetYesIntentHandler(IntentHandler):
    """Yes to "delete all your stored check-ins?"."""

    intent = "AMAZON.YesIntent"

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return super().can_handle(handler_input) and state_of(handler_input).forget

    def handle(self, handler_input: HandlerInput) -> Response:
        return _forget(handler_input, True)


class ForgetNoIntentHandler(ForgetYesIntentHandler):
    """No to "delete all your stored check-ins?"."""

    intent = "AMAZON.NoIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return _forget(handler_input, False)


class ConsentYesIntentHandler(IntentHandler):
    """Yes to "would you like me to remember your check-ins?"."""

    intent = "AMAZON.YesIntent"

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return super().can_handle(handler_input) and state_of(handler_input).consent is not None

    def handle(self, handler_input: HandlerInput) -> Response:
        return _consent_answer(handler_input, True)


class ConsentNoIntentHandler(ConsentYesIntentHandler):
    """No to "would you like me to remember your check-ins?": kept as a refusal."""

    intent = "AMAZON.NoIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return _consent_answer(handler_input, False)


class YesIntentHandler(IntentHandler):
    """Yes to the pending question; with none pending, the guided path starts."""

    intent = "AMAZON.YesIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return take_turn(handler_input, Heard(reply="yes"), answer=True)


class NoIntentHandler(IntentHandler):
    intent = "AMAZON.NoIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return take_turn(handler_input, Heard(reply="no"), answer=False)


class ConsentHelpIntentHandler(IntentHandler):
    """Help while "may I remember?" waits: what would be kept, and the question again."""

    intent = "AMAZON.HelpIntent"

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return super().can_handle(handler_input) and state_of(handler_input).consent is not None

    def handle(self, handler_input: HandlerInput) -> Response:
        days = _window_days()
        return _prompt(handler_input, "consent_help", "consent_reprompt", days=days)


class HelpIntentHandler(IntentHandler):
    intent = "AMAZON.HelpIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return _unless_pending(handler_input, "help_during_question", "help", "help_reprompt")


class FallbackIntentHandler(IntentHandler):
    """Words the model could not place: the question once more; at the open question, what
    Leg Check does, then the guided path."""

    intent = "AMAZON.FallbackIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        state = state_of(handler_input)
        if (
            state.pending is None
            and state.consent is None
            and not state.forget
            and not state.described
            and state.tries == 0
        ):
            # the open question met words the model could not place (often a request Leg
            # Check cannot serve): say what it does; a second time, the guided path starts
            state.tries += 1
            return _prompt(handler_input, "out_of_scope", "launch_reprompt")
        return take_turn(handler_input, Heard())


class RepeatIntentHandler(IntentHandler):
    """The waiting question again; with none waiting, what the skill itself last said."""

    intent = "AMAZON.RepeatIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return _requested(handler_input, "repeat")


class StartOverIntentHandler(IntentHandler):
    intent = "AMAZON.StartOverIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        state_of(handler_input).start_over()
        return _prompt(handler_input, "start_over", "launch_reprompt")


class _GoodbyeHandler(IntentHandler):
    def handle(self, handler_input: HandlerInput) -> Response:
        return _stop(handler_input)


class StopIntentHandler(_GoodbyeHandler):
    intent = "AMAZON.StopIntent"


class CancelIntentHandler(_GoodbyeHandler):
    intent = "AMAZON.CancelIntent"


class NavigateHomeIntentHandler(_GoodbyeHandler):
    intent = "AMAZON.NavigateHomeIntent"


class OutOfScopeIntentHandler(IntentHandler):
    """A request Leg Check cannot serve ("how far did I run?", "play some music"): what it
    does, and the question that was waiting, if any; the questionnaire is not started."""

    intent = "OutOfScopeIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return _requested(handler_input, "out_of_scope")


class PrivacyIntentHandler(IntentHandler):
    intent = "PrivacyIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        _settle_memory_question(handler_input)
        if not _has_store(handler_input):
            return _prompt(handler_input, "privacy_unavailable", "help_reprompt")
        strings = _strings(handler_input)
        count = len(_stored_checkins(handler_input))
        days = load_knowledge().policy.history_window_days
        if memory_of(handler_input).consent() is Consent.NO:
            return _prompt(handler_input, "privacy_refused", "help_reprompt", days=days)
        if count == 0:
            return _prompt(handler_input, "privacy_nothing", "help_reprompt", days=days)
        return _prompt(
            handler_input,
            "privacy",
            "help_reprompt",
            days=days,
            count=strings.count_checkins(count),
        )


class ForgetMeIntentHandler(IntentHandler):
    intent = "ForgetMeIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        _settle_memory_question(handler_input)
        count = len(_stored_checkins(handler_input))
        if memory_of(handler_input).unreadable:
            # a record that cannot be read is still deleted when asked
            state_of(handler_input).forget = True
            return _prompt(handler_input, "forget_confirm_reprompt", "forget_confirm_reprompt")
        if count == 0:
            return _prompt(handler_input, "forget_nothing", end=True)
        state_of(handler_input).forget = True
        return _prompt(handler_input, "forget_confirm", "forget_confirm_reprompt", count=count)


class StopRememberingIntentHandler(IntentHandler):
    """ "Stop remembering": delete the check-ins and keep the refusal, at any time."""

    intent = "StopRememberingIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        _settle_memory_question(handler_input)
        if not _has_store(handler_input):
            return _prompt(handler_input, "privacy_unavailable", end=True)
        had = memory_of(handler_input).stop_remembering()  # a failure raises: never "done"
        return _prompt(
            handler_input, "stop_remembering_done" if had else "stop_remembering_none", end=True
        )


class StartRememberingIntentHandler(IntentHandler):
    """ "Start remembering": the runner opts in, at any time (after a no, or before being
    asked). While "may I remember?" waits it is that question's yes; in the middle of a
    check-in the question that was waiting is asked again."""

    intent = "StartRememberingIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        state = state_of(handler_input)
        if state.consent is not None:
            return _consent_answer(handler_input, True)
        if not _has_store(handler_input):
            return _prompt(handler_input, "privacy_unavailable", end=True)
        memory = memory_of(handler_input)
        if memory.known and memory.consent() is Consent.YES:
            key = "start_remembering_already"
        elif memory.set_consent(Consent.YES):  # a failure is logged
            key = "start_remembering_done"
        else:
            return _prompt(handler_input, "consent_not_saved", end=True)
        days = _window_days()
        if state.pending is None:
            return _prompt(handler_input, key, end=True, days=days)
        strings = _strings(handler_input)
        ask, reprompt = speech.question(strings, state.pending)
        return _say(handler_input, ask.led_by([strings.prompt(key, days=days)]), reprompt)


class HistorySummaryIntentHandler(IntentHandler):
    """ "How have my legs been": a short summary of the recent check-ins."""

    intent = "HistorySummaryIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        _settle_memory_question(handler_input)
        if not _has_store(handler_input):
            return _prompt(handler_input, "privacy_unavailable", end=True)
        memory = memory_of(handler_input)
        days = _window_days()
        if memory.known and memory.consent() is Consent.NO:
            return _prompt(handler_input, "history_refused", end=True)
        knowledge = load_knowledge()
        summary = history.summarize(_stored_checkins(handler_input), knowledge, memory.today, days)
        spoken = speech.history_summary(
            _strings(handler_input), knowledge, summary, memory.today, days
        )
        return _say(handler_input, spoken, end=True, card=summary.last is not None)


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
        log.error(
            "error handling %s (request id %s)",
            request.object_type,
            getattr(request, "request_id", "?"),
            exc_info=exception,
        )
        return _prompt(handler_input, "error", "error_reprompt")


REQUEST_HANDLERS: tuple[type[AbstractRequestHandler], ...] = (
    # the answers of a check-in first, as the SDK asks each handler in turn; a handler gated
    # on the question it answers comes before the plain one for the same intent
    ForgetYesIntentHandler,
    ForgetNoIntentHandler,
    ConsentYesIntentHandler,
    ConsentNoIntentHandler,
    YesIntentHandler,
    NoIntentHandler,
    ReportSymptomsIntentHandler,
    AnswerIntentHandler,
    DescribeIntentHandler,
    YesDescribeIntentHandler,
    NoDescribeIntentHandler,
    NotDescribeIntentHandler,
    UnsureDescribeIntentHandler,
    LaunchRequestHandler,
    ConsentHelpIntentHandler,
    HelpIntentHandler,
    FallbackIntentHandler,
    RepeatIntentHandler,
    StartOverIntentHandler,
    StopIntentHandler,
    CancelIntentHandler,
    NavigateHomeIntentHandler,
    OutOfScopeIntentHandler,
    PrivacyIntentHandler,
    ForgetMeIntentHandler,
    StopRememberingIntentHandler,
    StartRememberingIntentHandler,
    HistorySummaryIntentHandler,
    SessionEndedRequestHandler,
    UnhandledRequestHandler,  # the catch-all, last
)

REQUEST_INTERCEPTORS: tuple[type[AbstractRequestInterceptor], ...] = (StateRequestInterceptor,)
RESPONSE_INTERCEPTORS: tuple[type[AbstractResponseInterceptor], ...] = (StateResponseInterceptor,)

HANDLED_INTENTS: frozenset[str] = frozenset(
    h.intent for h in REQUEST_HANDLERS if issubclass(h, IntentHandler) and h.intent
)
