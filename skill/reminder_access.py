"""One request's way to Alexa's reminders, for the dialogue policy: a thin adapter.

The policy (:mod:`skill.dialogue`) decides whether to offer a next-day check-in reminder,
what to say about it and what to do with the answer; it never sees ``HandlerInput``. What
needs the request (the Settings API for the device's time zone, the Reminders API, the
permission the runner has granted) is reached through a :class:`ReminderAccess`, which
:class:`ReminderAccessInterceptor` puts in each request's attributes when the skill offers
reminders (``LEGCHECK_REMINDERS=on``: :func:`skill.app.build_builder`). Its answers are plain:
a :class:`~skill.reminders.ReminderTime`, a :class:`~skill.reminders.ReminderCreated` or a
:class:`~skill.reminders.ReminderFailed`, whether the permission is granted.

:mod:`skill.reminders` (``zoneinfo``, the SDK's reminder models) is imported only when a
reminder is offered or set, never by a turn that does neither.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput

from skill.alexa_api import may_carry_token

if TYPE_CHECKING:
    from skill.reminders import ReminderOutcome, ReminderTime

ACCESS_KEY = "legcheck.reminders"
"""Where the request's :class:`ReminderAccess` is kept among its attributes."""
TOKEN_VERSION = 1
"""The version of what the voice-consent token carries (:func:`consent_token`)."""
MAX_TOKEN_CHARS = 500
"""A token longer than this is not read: ours are under a hundred characters."""


class ReminderAccess:
    """Alexa's reminders as one request can reach them."""

    def __init__(self, handler_input: HandlerInput) -> None:
        self._input = handler_input

    @cached_property
    def usable(self) -> bool:
        """Whether a reminder could be set from this request: it carries an API access token,
        an API endpoint the token may go to (https, or loopback http) and a device id."""
        system = getattr(self._input.request_envelope.context, "system", None)
        if system is None:
            return False
        device = getattr(getattr(system, "device", None), "device_id", None)
        return bool(system.api_access_token and device and may_carry_token(system.api_endpoint))

    @cached_property
    def granted(self) -> bool:
        """Whether the runner has granted the reminders permission
        (``context.System.user.permissions.scopes``)."""
        from skill.reminders import REMINDERS_SCOPE

        system = getattr(self._input.request_envelope.context, "system", None)
        permissions = getattr(getattr(system, "user", None), "permissions", None)
        scope = (getattr(permissions, "scopes", None) or {}).get(REMINDERS_SCOPE)
        status = getattr(scope, "status", None)
        return getattr(status, "value", status) == "GRANTED"

    @property
    def locale(self) -> str:
        from skill.strings import DEFAULT_LOCALE

        return str(getattr(self._input.request_envelope.request, "locale", "") or DEFAULT_LOCALE)

    def plan(self) -> ReminderTime:
        """When a reminder offered now rings (one Settings API call for the time zone)."""
        from skill.reminders import plan_reminder

        return plan_reminder(self._input)

    def create(self, when: ReminderTime, text: str, ssml: str) -> ReminderOutcome:
        """Create the reminder planned as ``when``, saying ``text`` (``ssml``): created, or
        failed with its kind (logged with the request id), never raised."""
        from skill.reminders import create_reminder

        return create_reminder(self._input, text, ssml, when)


class ReminderAccessInterceptor(AbstractRequestInterceptor):  # type: ignore[misc]
    """Gives each request its :class:`ReminderAccess` (registered only when reminders are
    offered)."""

    def process(self, handler_input: HandlerInput) -> None:
        handler_input.attributes_manager.request_attributes[ACCESS_KEY] = ReminderAccess(
            handler_input
        )


def reminder_access_of(handler_input: HandlerInput) -> ReminderAccess | None:
    """The request's :class:`ReminderAccess`; None when the skill offers no reminders."""
    found = handler_input.attributes_manager.request_attributes.get(ACCESS_KEY)
    return found if isinstance(found, ReminderAccess) else None


def consent_token(when: ReminderTime, locale: str) -> str:
    """The token sent with the voice-consent request: what its answer needs, since the
    ``Connections.Response`` comes back without a session (the planned time and the locale)."""
    return json.dumps(
        {"v": TOKEN_VERSION, "when": when.as_json(), "locale": locale}, separators=(",", ":")
    )


def read_consent_token(token: Any) -> tuple[ReminderTime | None, str | None]:
    """The planned time and the locale :func:`consent_token` wrote; ``(None, None)`` for
    anything else (an older version's token, or none)."""
    from skill.reminders import ReminderTime

    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        return None, None
    try:
        data = json.loads(token)
    except ValueError:
        return None, None
    if not isinstance(data, dict) or data.get("v") != TOKEN_VERSION:
        return None, None
    locale = data.get("locale")
    return ReminderTime.from_json(data.get("when")), locale if isinstance(locale, str) else None
