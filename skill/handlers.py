"""The ASK SDK's side of a turn: thin request handlers, one per intent, and the interceptors
that keep the check-in's state.

Each handler reads the request into a :class:`~skill.dialogue.Turn` (:func:`turn_of`),
calls the dialogue policy (:mod:`skill.dialogue`), which decides what happens next, and
builds the SDK's response from its :class:`~skill.dialogue.Reply` (:func:`respond`). An
intent that carries the runner's words has them read first (:func:`hear`, through the
phrase interpreter, :mod:`skill.interpret`). Handlers hold no user-facing text and make no
decisions; ``can_handle`` is the SDK's own predicate on the request type or intent name.

The check-in's state is read once per request, by :class:`StateRequestInterceptor`, into
one typed :class:`~skill.state.DialogState`; :class:`LastSpeechResponseInterceptor` records
into it what the response said (for Repeat), and :class:`StateResponseInterceptor` writes
it back as the session attributes. :func:`skill.app.build_builder` registers all three, in
that order.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import ClassVar

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
from ask_sdk_model.ui import AskForPermissionsConsentCard, SimpleCard

from skill import dialogue, screen
from skill.dialogue import Reply, Turn
from skill.interpret import Heard, interpret
from skill.knowledge import load_knowledge
from skill.lexicon import load_lexicon
from skill.memory import memory_of
from skill.reminder_access import read_consent_token, reminder_access_of
from skill.speech import parts_of
from skill.state import DialogState
from skill.strings import strings_for

log = logging.getLogger("legcheck.handlers")

STATE_KEY = "legcheck.state"
"""Where the request's :class:`~skill.state.DialogState` is kept among its attributes."""
REPLY_SLOT = "Reply"
"""The slot that holds a yes, no or "not sure" opening an answer; read first."""


# ---------------------------------------------------------------- reading the request


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


def _request_time(handler_input: HandlerInput) -> datetime:
    """The request's timestamp (timezone-aware), or now when it has none."""
    stamp = handler_input.request_envelope.request.timestamp
    if isinstance(stamp, datetime):
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return datetime.now(UTC)


def turn_of(handler_input: HandlerInput) -> Turn:
    """The request as the dialogue policy sees it."""
    return Turn(
        state_of(handler_input),
        strings_for(get_locale(handler_input)),
        memory_of(handler_input),
        _request_time(handler_input),
        _in_session(handler_input),
        reminder_access_of(handler_input),
    )


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


# ---------------------------------------------------------------- building the response


def has_screen(handler_input: HandlerInput) -> bool:
    """Whether the device can show APL (its supported interfaces say so)."""
    try:
        interfaces = get_supported_interfaces(handler_input)
    except (AttributeError, TypeError):
        return False
    return getattr(interfaces, "alexa_presentation_apl", None) is not None


def respond(handler_input: HandlerInput, reply: Reply) -> Response:
    """The response that says ``reply``: the speech (emergency numbers said the local way),
    the reprompt unless the session ends, the card when asked (or the card to grant the
    reminders permission) and, on a device with a screen, the APL document; the session kept
    open unless the reply ends it. A reply that asks for the reminders permission by voice is
    that request alone (:func:`_ask_permission`). It changes nothing else
    (:class:`LastSpeechResponseInterceptor` records what was said)."""
    if reply.ask_permission is not None:
        return _ask_permission(handler_input, reply.ask_permission)
    aliases = strings_for(get_locale(handler_input)).aliases
    spoken = reply.spoken
    builder = handler_input.response_builder.speak(spoken.ssml_for(aliases))
    if reply.reprompt is not None and not reply.end:
        builder.ask(reply.reprompt.ssml_for(aliases))
    if reply.permission_card:
        builder.set_card(_permission_card())
    elif reply.card:
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
    builder.set_should_end_session(reply.end)
    response: Response = builder.response
    return response


ASK_FOR = "AskFor"
"""The name of the ``Connections.SendRequest`` that asks for a permission by voice, and of the
``Connections.Response`` that answers it."""


def _ask_permission(handler_input: HandlerInput, token: str) -> Response:
    """Alexa asks the runner for the reminders permission (``AskForPermissionsConsentRequest``,
    version 1): the response holds only the ``Connections.SendRequest`` directive, whose
    answer comes back as a ``Connections.Response`` without a session, carrying ``token``."""
    from ask_sdk_model.interfaces.connections import SendRequestDirective

    from skill.reminders import REMINDERS_SCOPE

    handler_input.response_builder.add_directive(
        SendRequestDirective(
            name=ASK_FOR,
            payload={
                "@type": "AskForPermissionsConsentRequest",
                "@version": "1",
                "permissionScope": REMINDERS_SCOPE,
            },
            token=token,
        )
    )
    response: Response = handler_input.response_builder.response
    return response


def _permission_card() -> AskForPermissionsConsentCard:
    """The card that lets the runner grant the reminders permission in the Alexa app."""
    from skill.reminders import REMINDERS_SCOPE

    return AskForPermissionsConsentCard(permissions=[REMINDERS_SCOPE])


# ---------------------------------------------------------------- interceptors


class StateRequestInterceptor(AbstractRequestInterceptor):  # type: ignore[misc]
    """Read the session into one typed state object before any handler looks."""

    def process(self, handler_input: HandlerInput) -> None:
        state_of(handler_input)


class LastSpeechResponseInterceptor(AbstractResponseInterceptor):  # type: ignore[misc]
    """Record what a response that keeps the session open said, and its reprompt, into the
    state, for Repeat: read back from the response's SSML (:func:`skill.speech.parts_of`),
    so what is said again is what was said."""

    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        if response is None or response.should_end_session is not False:
            return
        if not _in_session(handler_input):
            return
        state = state_of(handler_input)
        state.last_speech = parts_of(getattr(response.output_speech, "ssml", None) or "")
        reprompt = getattr(response.reprompt, "output_speech", None)
        state.last_reprompt = parts_of(getattr(reprompt, "ssml", None) or "")


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


class WordsIntentHandler(IntentHandler):
    """Base of the intents that carry the runner's words: what they said is one turn."""

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        heard = hear(handler_input, turn.state.pending)
        return respond(handler_input, dialogue.take_turn(turn, heard))


class LaunchRequestHandler(AbstractRequestHandler):  # type: ignore[misc]
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("LaunchRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue.follow_up_or_launch(turn_of(handler_input)))


class ReportSymptomsIntentHandler(WordsIntentHandler):
    intent = "ReportSymptomsIntent"


class AnswerIntentHandler(WordsIntentHandler):
    intent = "AnswerIntent"


class DescribeIntentHandler(WordsIntentHandler):
    """Free words after a neutral opening ("my {Description}")."""

    intent = "DescribeIntent"


class YesDescribeIntentHandler(WordsIntentHandler):
    """ "yeah, right between the toes": a yes, and more words."""

    intent = "YesDescribeIntent"


class NoDescribeIntentHandler(WordsIntentHandler):
    """ "nah, it comes and goes" or "no pain at all": the words decide which."""

    intent = "NoDescribeIntent"


class NotDescribeIntentHandler(WordsIntentHandler):
    """ "it doesn't hurt", "there's no swelling": what follows is denied."""

    intent = "NotDescribeIntent"


class UnsureDescribeIntentHandler(WordsIntentHandler):
    """ "dunno, but I've lost control of my bladder": not sure, and more words."""

    intent = "UnsureDescribeIntent"


class ForgetYesIntentHandler(IntentHandler):
    """Yes to "delete all your stored check-ins?": only while that question waits."""

    intent = "AMAZON.YesIntent"
    confirmed: ClassVar[bool] = True

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return super().can_handle(handler_input) and state_of(handler_input).forget

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue.forget(turn_of(handler_input), self.confirmed))


class ForgetNoIntentHandler(ForgetYesIntentHandler):
    """No to "delete all your stored check-ins?": nothing is deleted."""

    intent = "AMAZON.NoIntent"
    confirmed = False


class ConsentYesIntentHandler(IntentHandler):
    """Yes to "may I remember your check-ins?": only while that question waits."""

    intent = "AMAZON.YesIntent"
    agreed: ClassVar[bool] = True

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return super().can_handle(handler_input) and state_of(handler_input).consent is not None

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue.consent_answer(turn_of(handler_input), self.agreed))


class ConsentNoIntentHandler(ConsentYesIntentHandler):
    """No to "may I remember your check-ins?": kept as a refusal."""

    intent = "AMAZON.NoIntent"
    agreed = False


class ConsentHelpIntentHandler(IntentHandler):
    """Help while "may I remember?" waits: what would be kept, then the question again."""

    intent = "AMAZON.HelpIntent"

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return super().can_handle(handler_input) and state_of(handler_input).consent is not None

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue.consent_help(turn_of(handler_input)))


class FollowUpYesIntentHandler(IntentHandler):
    """Yes to "is it still there?" (asked at the launch about an open complaint): only while
    that question waits."""

    intent = "AMAZON.YesIntent"
    still_there: ClassVar[bool] = True

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return super().can_handle(handler_input) and state_of(handler_input).follow_up is not None

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(
            handler_input, dialogue.follow_up_answer(turn_of(handler_input), self.still_there)
        )


class FollowUpNoIntentHandler(FollowUpYesIntentHandler):
    """No to "is it still there?": it has gone."""

    intent = "AMAZON.NoIntent"
    still_there = False


class FollowUpHelpIntentHandler(IntentHandler):
    """Help while "is it still there?" waits: what it is for, then the question again."""

    intent = "AMAZON.HelpIntent"

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return super().can_handle(handler_input) and state_of(handler_input).follow_up is not None

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue.follow_up_help(turn_of(handler_input)))


class ReminderYesIntentHandler(IntentHandler):
    """Yes to "Would you like a reminder tomorrow at 7 PM to check in on your legs?": only
    while that question waits."""

    intent = "AMAZON.YesIntent"
    agreed: ClassVar[bool] = True

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return super().can_handle(handler_input) and state_of(handler_input).reminder is not None

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue.reminder_answer(turn_of(handler_input), self.agreed))


class ReminderNoIntentHandler(ReminderYesIntentHandler):
    """No to the reminder: none is set, and it is not offered again for a week."""

    intent = "AMAZON.NoIntent"
    agreed = False


class ReminderHelpIntentHandler(IntentHandler):
    """Help while "would you like a reminder?" waits: what it would do, then the question."""

    intent = "AMAZON.HelpIntent"

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return super().can_handle(handler_input) and state_of(handler_input).reminder is not None

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue.reminder_help(turn_of(handler_input)))


class ConnectionsResponseHandler(AbstractRequestHandler):  # type: ignore[misc]
    """The runner's answer to Alexa's "may Leg Check set reminders?" (asked by
    :func:`_ask_permission`): a ``Connections.Response`` named ``AskFor``, without a session;
    the plan the offer named comes back in its token."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        request = handler_input.request_envelope.request
        return bool(
            is_request_type("Connections.Response")(handler_input)
            and getattr(request, "name", None) == ASK_FOR
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        payload = getattr(request, "payload", None)
        answer = payload.get("status") if isinstance(payload, dict) else None
        code = getattr(getattr(request, "status", None), "code", None)
        if str(code) != "200":  # Alexa could not ask: not an answer
            answer = None
        when, locale = read_consent_token(getattr(request, "token", None))
        turn = turn_of(handler_input)
        if locale and not get_locale(handler_input):
            turn = turn._replace(strings=strings_for(locale))
        log.info(
            "reminders permission: %s (request id %s)", answer or "not answered", request.request_id
        )
        return respond(
            handler_input, dialogue.permission_answer(turn, str(answer or "NOT_ANSWERED"), when)
        )


class YesIntentHandler(IntentHandler):
    """Yes to the pending question (with none pending, the guided path starts)."""

    intent = "AMAZON.YesIntent"
    said_yes: ClassVar[bool] = True

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue.reply(turn_of(handler_input), self.said_yes))


class NoIntentHandler(YesIntentHandler):
    """No to the pending question."""

    intent = "AMAZON.NoIntent"
    said_yes = False


class HelpIntentHandler(IntentHandler):
    intent = "AMAZON.HelpIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue.give_help(turn_of(handler_input)))


class FallbackIntentHandler(IntentHandler):
    intent = "AMAZON.FallbackIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue.fallback(turn_of(handler_input)))


class RepeatIntentHandler(IntentHandler):
    intent = "AMAZON.RepeatIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue.repeat(turn_of(handler_input)))


class StartOverIntentHandler(IntentHandler):
    intent = "AMAZON.StartOverIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue.start_over(turn_of(handler_input)))


class GoodbyeIntentHandler(IntentHandler):
    """Base of the intents that end the session politely (see :func:`skill.dialogue.stop`)."""

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue.stop(turn_of(handler_input)))


class StopIntentHandler(GoodbyeIntentHandler):
    intent = "AMAZON.StopIntent"


class CancelIntentHandler(GoodbyeIntentHandler):
    intent = "AMAZON.CancelIntent"


class NavigateHomeIntentHandler(GoodbyeIntentHandler):
    intent = "AMAZON.NavigateHomeIntent"


class OutOfScopeIntentHandler(IntentHandler):
    intent = "OutOfScopeIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue.out_of_scope(turn_of(handler_input)))


class PrivacyIntentHandler(IntentHandler):
    intent = "PrivacyIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue.privacy(turn_of(handler_input)))


class ForgetMeIntentHandler(IntentHandler):
    intent = "ForgetMeIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue.forget_me(turn_of(handler_input)))


class StopRememberingIntentHandler(IntentHandler):
    intent = "StopRememberingIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue.stop_remembering(turn_of(handler_input)))


class StartRememberingIntentHandler(IntentHandler):
    intent = "StartRememberingIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue.start_remembering(turn_of(handler_input)))


class HistorySummaryIntentHandler(IntentHandler):
    intent = "HistorySummaryIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue.history_summary(turn_of(handler_input)))


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
        return respond(handler_input, dialogue.unhandled(strings_for(get_locale(handler_input))))


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
        return respond(handler_input, dialogue.apology(strings_for(get_locale(handler_input))))


REQUEST_HANDLERS: tuple[type[AbstractRequestHandler], ...] = (
    # a yes, a no or help gated on the question it answers first, as the SDK asks each
    # handler in turn; then the answers of a check-in
    ForgetYesIntentHandler,
    ForgetNoIntentHandler,
    ConsentYesIntentHandler,
    ConsentNoIntentHandler,
    ConsentHelpIntentHandler,
    FollowUpYesIntentHandler,
    FollowUpNoIntentHandler,
    FollowUpHelpIntentHandler,
    ReminderYesIntentHandler,
    ReminderNoIntentHandler,
    ReminderHelpIntentHandler,
    ConnectionsResponseHandler,
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
"""Every request handler, in the order the SDK asks them; :func:`skill.app.build_builder`
registers them."""

HANDLED_INTENTS: frozenset[str] = frozenset(
    h.intent for h in REQUEST_HANDLERS if issubclass(h, IntentHandler) and h.intent
)
"""The intents a handler takes by name (``legcheck validate`` checks them against the
interaction models)."""
