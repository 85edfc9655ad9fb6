"""The one skill object, built in one place.

``build_skill(store)`` registers the skill-event handlers, every request
handler (the catch-all last), the exception handlers, the API client for Alexa's
service APIs (:mod:`skill.alexa_api`) and the interceptors
that log each request, give it a :class:`~skill.memory.Memory` over
``store``, read its state, (when reminders are offered) give it its
:class:`~skill.reminder_access.ReminderAccess`, record what its response said (for Repeat)
and write the state back. :func:`default_skill` is the instance the web app and the Lambda
entry point share, with the store the settings name (:class:`skill.settings.Settings`:
``LEGCHECK_DB`` and ``LEGCHECK_USER_KEY_SECRET``) and reminders offered when
``LEGCHECK_REMINDERS`` is on, built on first use.

:func:`handle_event` turns an event (a request envelope as a dict, or its JSON
text) into a response envelope dict with the skill's own serializer: the one
path Lambda (:func:`lambda_handler`), the web endpoint, the simulator, the
benchmark and the tests all take.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model import RequestEnvelope
from ask_sdk_model.services import ApiClient

from skill.alexa_api import AlexaApiClient
from skill.errors import ConfigError, EnvelopeError
from skill.events import EVENT_HANDLERS, SessionlessExceptionHandler
from skill.handlers import (
    REQUEST_HANDLERS,
    CatchAllExceptionHandler,
    LastSpeechResponseInterceptor,
    StateRequestInterceptor,
    StateResponseInterceptor,
)
from skill.history import retention
from skill.knowledge import load_knowledge
from skill.limits import one_line
from skill.memory import MemoryInterceptor
from skill.reminder_access import ReminderAccessInterceptor
from skill.serializer import LegCheckSerializer
from skill.settings import Settings
from skill.store import CheckInStore, Deployment, Retention, UnconfiguredStore, open_store

log = logging.getLogger("legcheck")


class LogRequestInterceptor(AbstractRequestInterceptor):  # type: ignore[misc]
    def process(self, handler_input: HandlerInput) -> None:
        request = handler_input.request_envelope.request
        name = getattr(getattr(request, "intent", None), "name", "")
        log.debug("request %s %s %s", request.object_type, name, request.request_id)


def build_builder(
    store: CheckInStore | None, api_client: ApiClient | None = None, reminders: bool = False
) -> CustomSkillBuilder:
    """The skill builder with every handler and interceptor. ``api_client`` (default: an
    :class:`~skill.alexa_api.AlexaApiClient`) makes the SDK build
    ``handler_input.service_client_factory`` on every request, for Alexa's service APIs
    (reminders, the device's time zone); the simulator and the tests pass their own.
    ``reminders`` offers a next-day check-in reminder after the advice
    (:class:`~skill.reminder_access.ReminderAccessInterceptor`; ``LEGCHECK_REMINDERS``)."""
    builder = CustomSkillBuilder(api_client=api_client or AlexaApiClient())
    for event_handler in EVENT_HANDLERS:
        builder.add_request_handler(event_handler())
    for handler in REQUEST_HANDLERS:
        builder.add_request_handler(handler())
    builder.add_exception_handler(SessionlessExceptionHandler())
    builder.add_exception_handler(CatchAllExceptionHandler())
    builder.add_global_request_interceptor(LogRequestInterceptor())
    builder.add_global_request_interceptor(MemoryInterceptor(store))
    builder.add_global_request_interceptor(StateRequestInterceptor())
    if reminders:
        builder.add_global_request_interceptor(ReminderAccessInterceptor())
    # what the response said is recorded into the state before the state is written back
    builder.add_global_response_interceptor(LastSpeechResponseInterceptor())
    builder.add_global_response_interceptor(StateResponseInterceptor())
    return builder


def build_skill(
    store: CheckInStore | None = None, api_client: ApiClient | None = None, reminders: bool = False
) -> CustomSkill:
    """The skill, keeping check-ins in ``store`` (None: keeping nothing), calling Alexa's
    service APIs with ``api_client``, offering a reminder when ``reminders`` is true (see
    :func:`build_builder`)."""
    skill: CustomSkill = build_builder(store, api_client, reminders).create()
    skill.serializer = LegCheckSerializer()  # CustomSkill has no parameter for it
    return skill


_default: dict[Deployment, CustomSkill] = {}
_default_lock = threading.Lock()


def default_skill(deployment: Deployment, settings: Settings | None = None) -> CustomSkill:
    """The process's skill object for ``deployment``, built once, with the store ``settings``
    name (default: :meth:`Settings.load` from the environment).

    Raises :class:`skill.errors.ConfigError` when the settings cannot work safely there (no
    ``LEGCHECK_USER_KEY_SECRET`` in production, a ``LEGCHECK_DB`` that names no usable
    store), except on AWS Lambda: there a function that raised at cold start would leave
    the runner with no answer at all, so the reason is logged on one line and the skill
    answers without memory (:class:`~skill.store.config.UnconfiguredStore`: the advice is
    given, and whatever needs the check-ins says they cannot be reached).
    """
    with _default_lock:
        if deployment not in _default:
            kept = retention(load_knowledge())
            store, reminders = _configured(deployment, settings, kept)
            _default[deployment] = build_skill(store, reminders=reminders)
        return _default[deployment]


def _configured(
    deployment: Deployment, settings: Settings | None, kept: Retention
) -> tuple[CheckInStore | None, bool]:
    """The store the settings name, and whether a reminder is offered (not where the
    settings could not be read)."""
    try:
        if settings is None:
            settings = Settings.load(deployment)
        return open_store(settings.store, kept), settings.reminders
    except ConfigError as exc:
        if deployment is not Deployment.LAMBDA:
            raise
        reason = one_line(str(exc), 1000)
        log.error(
            "configuration refused at cold start: %s; answering without memory until it is "
            "fixed (the advice is given; check-ins are neither read nor kept)",
            reason,
        )
        return UnconfiguredStore(reason, kept), False


def read_event(event: Mapping[str, Any] | str | bytes, skill: CustomSkill) -> RequestEnvelope:
    """The SDK's request envelope for ``event``, read by ``skill``'s serializer.

    ``event`` is the envelope as a dict (as Lambda passes it) or its JSON text (as the web
    endpoint received it, which saves encoding it again). Raises :class:`EnvelopeError`, with
    the SDK's reason, when the SDK cannot read it.
    """
    if isinstance(event, bytes):
        event = event.decode("utf-8")
    payload = event if isinstance(event, str) else json.dumps(event)
    try:
        envelope: RequestEnvelope = skill.serializer.deserialize(
            payload=payload, obj_type=RequestEnvelope
        )
    except Exception as exc:  # the SDK raises a bare SerializationException, or worse
        raise EnvelopeError(
            f"the request envelope could not be read: {one_line(str(exc))}"
        ) from exc
    return envelope


def handle_event(
    event: Mapping[str, Any] | str | bytes, context: Any = None, skill: CustomSkill | None = None
) -> dict[str, Any]:
    """Answer one event: deserialize it, invoke the skill, serialize its response.

    ``skill`` defaults to the process's Lambda skill (:func:`default_skill` with
    ``Deployment.LAMBDA``); ``context`` is passed to ``skill.invoke`` as it is (Lambda's
    context object, or None). Raises :class:`EnvelopeError` for an event the SDK cannot read;
    whatever the skill's handlers raise is answered by its exception handlers.
    """
    if skill is None:
        skill = default_skill(Deployment.LAMBDA)
    envelope = read_event(event, skill)
    response = skill.invoke(request_envelope=envelope, context=context)
    result: dict[str, Any] = skill.serializer.serialize(response)
    return result


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The AWS Lambda entry point: the same skill object, with Lambda's event and context."""
    return handle_event(event, context)
