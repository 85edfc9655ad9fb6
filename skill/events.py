"""Skill events: requests Alexa sends outside any conversation.

The manifest (:func:`skill.tools.package.skill_manifest`) subscribes to
``SKILL_DISABLED``: when a runner disables Leg Check, Alexa sends an
``AlexaSkillEvent.SkillDisabled`` request and everything kept for them is
deleted. Events carry no ``session``, so these handlers answer with an empty
response and never touch session attributes; :class:`SessionlessExceptionHandler`
does the same for any error in a request without a session.
"""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractExceptionHandler, AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response

from skill.memory import memory_of

log = logging.getLogger("legcheck.events")

SKILL_DISABLED = "AlexaSkillEvent.SkillDisabled"
EVENT_PREFIX = "AlexaSkillEvent."


def _empty(handler_input: HandlerInput) -> Response:
    response: Response = handler_input.response_builder.response
    return response


class SkillDisabledEventHandler(AbstractRequestHandler):  # type: ignore[misc]
    """A runner disabled the skill: delete what is kept for them."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type(SKILL_DISABLED)(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        memory = memory_of(handler_input)
        deleted = memory.forget()  # a failure raises: SessionlessExceptionHandler logs it
        log.info(
            "skill disabled: %s (request id %s)",
            "stored check-ins deleted" if deleted else "nothing was stored",
            memory.request_id,
        )
        return _empty(handler_input)


class OtherSkillEventHandler(AbstractRequestHandler):  # type: ignore[misc]
    """Any other skill event (none is subscribed to): acknowledged, nothing done."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        request_type = str(getattr(handler_input.request_envelope.request, "object_type", ""))
        return request_type.startswith(EVENT_PREFIX)

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        log.info("skill event %s ignored (request id %s)", request.object_type, request.request_id)
        return _empty(handler_input)


class SessionlessExceptionHandler(AbstractExceptionHandler):  # type: ignore[misc]
    """An error in a request without a session (a skill event): log it, answer empty."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return handler_input.request_envelope.session is None

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        request = handler_input.request_envelope.request
        log.error(
            "error handling %s (request id %s)",
            request.object_type,
            getattr(request, "request_id", "?"),
            exc_info=exception,
        )
        return _empty(handler_input)


EVENT_HANDLERS: tuple[type[AbstractRequestHandler], ...] = (
    SkillDisabledEventHandler,
    OtherSkillEventHandler,
)
