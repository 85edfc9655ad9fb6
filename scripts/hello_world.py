"""The baseline every benchmark compares Leg Check with: the ASK SDK's hello-world skill,
answering any request with one sentence. Used in-process by ``scripts/bench.py`` and behind
Flask by ``scripts/http_apps.py``."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_model import Response


class HelloHandler(AbstractRequestHandler):  # type: ignore[misc]
    """The SDK's hello-world: any request gets one sentence."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.speak("Hello world").ask("Hello?").response


def hello_skill() -> CustomSkill:
    builder = SkillBuilder()
    builder.add_request_handler(HelloHandler())
    skill: CustomSkill = builder.create()
    return skill
