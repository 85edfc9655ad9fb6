"""The SDK's serializer, with two costs of every request taken out.

ask-sdk-core's :class:`~ask_sdk_core.serialize.DefaultSerializer` turns each request
envelope into the SDK's model objects. Measured on a whole check-in, about half of that
time goes to two things it repeats on every request:

* resolving each of the twenty-odd model classes by name with ``__import__``
  (``ask_sdk_model.intent.Intent``, ...): the classes never change, so each is resolved
  once per process and kept;
* parsing the request's ISO 8601 timestamp with ``dateutil``'s general parser: Alexa sends
  ``2026-11-25T14:29:37Z``, which the standard library's :meth:`datetime.fromisoformat`
  reads about twenty times faster. Anything it cannot read goes to the SDK's own parser, so
  what the SDK accepts (and rejects) is unchanged.

Everything else (the models, discriminators, enums, unknown fields, the errors) is the
SDK's own code: the two hooks are the private methods the SDK calls for those two steps.
``tests/test_serializer.py`` checks that the objects are equal to the SDK's for every
envelope the tests use, and that the hooks are still called, so an SDK release that renames
them fails a test instead of quietly costing the time again.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer

_load_class = DefaultSerializer._DefaultSerializer__load_class_from_name
_parse_datetime = DefaultSerializer._DefaultSerializer__deserialize_datetime


class LegCheckSerializer(DefaultSerializer):  # type: ignore[misc]
    """:class:`DefaultSerializer` with model classes resolved once and ISO timestamps read
    by the standard library."""

    _classes: dict[str, Any] = {}
    """Class name to class: the same for every instance, as the installed SDK is."""

    def _DefaultSerializer__load_class_from_name(self, class_name: str) -> Any:
        try:
            return self._classes[class_name]
        except KeyError:
            resolved = _load_class(self, class_name)  # raises the SDK's error for a bad name
            self._classes[class_name] = resolved
            return resolved

    def _DefaultSerializer__deserialize_datetime(self, payload: Any, obj_type: Any) -> Any:
        if isinstance(payload, str):
            try:
                parsed = datetime.fromisoformat(payload)
            except ValueError:
                pass
            else:
                return parsed.date() if obj_type is date else parsed
        return _parse_datetime(self, payload, obj_type)
