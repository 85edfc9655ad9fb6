"""The one skill object, built in one place.

``build_skill`` registers every handler (the catch-all last) and the
exception handler. ``skill`` is the instance the web app and the Lambda
entry point share; it stores earlier check-ins where ``LEGCHECK_DB`` points
(an SQLite file), or nowhere when ``LEGCHECK_DB`` is ``off``.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.dispatch_components import AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model import RequestEnvelope

from skill.handlers import (
    REQUEST_HANDLERS,
    REQUEST_INTERCEPTORS,
    RESPONSE_INTERCEPTORS,
    CatchAllExceptionHandler,
)
from skill.history import SqlitePersistenceAdapter

log = logging.getLogger("legcheck")

DEFAULT_DB = Path.home() / ".local" / "share" / "legcheck" / "checkins.sqlite3"


class LogRequestInterceptor(AbstractRequestInterceptor):  # type: ignore[misc]
    def process(self, handler_input: HandlerInput) -> None:
        request = handler_input.request_envelope.request
        name = getattr(getattr(request, "intent", None), "name", "")
        log.debug("request %s %s %s", request.object_type, name, request.request_id)


def persistence_from_env(env: dict[str, str] | None = None) -> AbstractPersistenceAdapter | None:
    """The store for earlier check-ins named by ``LEGCHECK_DB`` ('off' for none)."""
    value = (env if env is not None else dict(os.environ)).get("LEGCHECK_DB", str(DEFAULT_DB))
    if value.lower() in ("off", "none", ""):
        return None
    return SqlitePersistenceAdapter(value)


def build_builder(persistence_adapter: AbstractPersistenceAdapter | None) -> CustomSkillBuilder:
    builder = CustomSkillBuilder(persistence_adapter=persistence_adapter)
    for handler in REQUEST_HANDLERS:
        builder.add_request_handler(handler())
    builder.add_exception_handler(CatchAllExceptionHandler())
    builder.add_global_request_interceptor(LogRequestInterceptor())
    for interceptor in REQUEST_INTERCEPTORS:
        builder.add_global_request_interceptor(interceptor())
    for response_interceptor in RESPONSE_INTERCEPTORS:
        builder.add_global_response_interceptor(response_interceptor())
    return builder


def build_skill(persistence_adapter: AbstractPersistenceAdapter | None = None) -> CustomSkill:
    skill: CustomSkill = build_builder(persistence_adapter).create()
    return skill


skill: CustomSkill = build_skill(persistence_from_env())


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The AWS Lambda entry point: the same skill object, with Lambda's event and context."""
    envelope = skill.serializer.deserialize(payload=json.dumps(event), obj_type=RequestEnvelope)
    response = skill.invoke(request_envelope=envelope, context=context)
    result: dict[str, Any] = skill.serializer.serialize(response)
    return result
