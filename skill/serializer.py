"""The SDK's serializer, without the work it repeats on every request.

ask-sdk-core's :class:`~ask_sdk_core.serialize.DefaultSerializer` turns each request
envelope into the SDK's model objects, and the response back into JSON; for a hello-world
skill that is most of a turn. Measured on a whole check-in, nearly two thirds of it goes
to work that is the same on every request:

* resolving each of the twenty-odd model classes by name with ``__import__``
  (``ask_sdk_model.intent.Intent``, ...): the classes never change, so each is resolved
  once per process and kept;
* parsing the request's ISO 8601 timestamp with ``dateutil``'s general parser: Alexa sends
  ``2026-11-25T14:29:37Z``, which the standard library's :meth:`datetime.fromisoformat`
  reads about twenty times faster. Anything it cannot read goes to the SDK's own parser, so
  what the SDK accepts (and rejects) is unchanged;
* working out, for every model object, which JSON key fills which attribute (the SDK
  rebuilds that map and scans it for unknown keys each time): it is worked out once per
  class. A payload that is not a JSON object goes to the SDK's own code;
* the same map again when the response is turned back into JSON (:meth:`serialize`).

Everything else (discriminators, enums, lists, dicts, the errors) is the SDK's own code:
the hooks are the private methods the SDK calls for those steps, and ``serialize``
keeps the SDK's rules, in its order.
``tests/test_serializer.py`` checks that the objects are equal to the SDK's for every
envelope the tests use and for generated ones, and that the hooks are still called, so an
SDK release that renames them fails a test instead of quietly costing the time again.
"""

from __future__ import annotations

import decimal
from datetime import date, datetime
from enum import Enum
from typing import Any, NamedTuple

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer

_load_class = DefaultSerializer._DefaultSerializer__load_class_from_name
_parse_datetime = DefaultSerializer._DefaultSerializer__deserialize_datetime
_deserialize_model = DefaultSerializer._DefaultSerializer__deserialize_model


_PLAIN = frozenset({str, int, float, bool, type(None)})
"""Exact types :meth:`DefaultSerializer.serialize` returns as they are."""


class _Plan(NamedTuple):
    """How a model class is filled from a JSON object (see DefaultSerializer)."""

    fields: tuple[tuple[str, str, str], ...]
    """(attribute, JSON key, type) for each attribute, in the SDK's order."""
    keys: frozenset[str]
    """The JSON keys the fields take: any other key is set as an attribute as it is."""
    discriminated: bool
    """The class stands for subclasses chosen by the payload (``get_real_child_model``)."""


def _plan(cls: Any) -> _Plan | None:
    """The class's plan; None when it is not a model (its payload is kept as it is)."""
    types: dict[str, str] | None = getattr(cls, "deserialized_types", None)
    if types is None:
        return None
    names = dict(getattr(cls, "attribute_map", {}))
    for name in types:
        names.setdefault(name, name)
    return _Plan(
        tuple((name, key, types[name]) for name, key in names.items()),
        frozenset(names.values()),
        hasattr(cls, "get_real_child_model"),
    )


class LegCheckSerializer(DefaultSerializer):  # type: ignore[misc]
    """:class:`DefaultSerializer` with model classes resolved and mapped once, and ISO
    timestamps read by the standard library."""

    _classes: dict[str, Any] = {}
    """Class name to class: the same for every instance, as the installed SDK is."""
    _plans: dict[Any, _Plan | None] = {}
    """Model class to its plan, likewise."""
    _outputs: dict[Any, tuple[tuple[str, str], ...]] = {}
    """Model class to its (attribute, JSON key) pairs, for serializing."""

    def serialize(self, obj: Any) -> Any:
        """The SDK's :meth:`DefaultSerializer.serialize`, with each model class's keys
        worked out once."""
        if obj is None:
            return None
        if isinstance(obj, self.PRIMITIVE_TYPES):
            return obj
        if isinstance(obj, list):
            return [item if type(item) in _PLAIN else self.serialize(item) for item in obj]
        if isinstance(obj, tuple):
            return tuple(self.serialize(item) for item in obj)
        if isinstance(obj, (datetime, date)):
            return obj.isoformat()
        if isinstance(obj, Enum):
            return obj.value
        if isinstance(obj, decimal.Decimal):
            return int(obj) if obj % 1 == 0 else float(obj)
        if isinstance(obj, dict):
            # plain values (most of the session attributes) are what serialize returns them as
            return {
                key: value if type(value) in _PLAIN else self.serialize(value)
                for key, value in obj.items()
            }
        out = {}
        for attr, key in self._output_of(obj):
            value = getattr(obj, attr)
            if value is not None:
                out[key] = value if type(value) in _PLAIN else self.serialize(value)
        return out

    def _output_of(self, obj: Any) -> tuple[tuple[str, str], ...]:
        cls = type(obj)
        try:
            return self._outputs[cls]
        except KeyError:
            names = getattr(obj, "attribute_map", {})
            pairs = tuple((attr, names.get(attr, attr)) for attr in obj.deserialized_types)
            self._outputs[cls] = pairs
            return pairs

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

    def _DefaultSerializer__deserialize_model(self, payload: Any, obj_type: Any) -> Any:
        if not isinstance(payload, dict) or not isinstance(obj_type, type):
            return _deserialize_model(self, payload, obj_type)
        try:
            if issubclass(obj_type, Enum):
                return obj_type(payload)
            plan = self._plan_of(obj_type)
            if plan is None:
                return payload
            if plan.discriminated:
                obj_type = self._DefaultSerializer__get_obj_by_discriminator(payload, obj_type)
                plan = self._plan_of(obj_type)
                if plan is None:
                    return payload
            model = obj_type()
            deserialize = self._DefaultSerializer__deserialize
            for name, key, type_name in plan.fields:
                if key in payload:
                    setattr(model, name, deserialize(payload[key], type_name))
            for extra, value in payload.items():  # in the payload's order, as the SDK sets them
                if extra not in plan.keys:
                    setattr(model, extra, value)
            return model
        except Exception as exc:  # the SDK's own behaviour: one exception type, its message
            raise SerializationException(str(exc)) from exc

    def _plan_of(self, cls: Any) -> _Plan | None:
        try:
            return self._plans[cls]
        except KeyError:
            plan = self._plans[cls] = _plan(cls)
            return plan
