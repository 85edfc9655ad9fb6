"""The settings in force: read once at start-up, every value checked before the first request.

Each place Leg Check starts builds one :class:`Settings` with :meth:`Settings.load`, from
the environment and, for a ``legcheck`` command, its flags:

- ``LEGCHECK_DB``: where check-ins are kept (``--db`` for ``legcheck purge``, ``simulate``
  and ``config``), and
- ``LEGCHECK_USER_KEY_SECRET``: the HMAC key for user ids, both checked by
  :class:`~skill.store.config.StoreConfig`, the store's settings' one home;
- ``LEGCHECK_SKILL_ID``: the skill's application id, which the web app verifies requests
  against (``--skill-id`` for ``legcheck serve``), checked by :func:`skill_id_of`;
- ``LEGCHECK_REMINDERS``: ``on`` to offer a next-day check-in reminder after the advice
  (the skill's manifest must then declare the reminders permission, as ``legcheck package``
  writes it, and its stack sets this on); ``off``, the default, offers none. Checked by
  :func:`reminders_of`.

A value that cannot work raises :class:`~skill.errors.ConfigError` with one line saying what
was expected and what came. Where it goes depends on who started: a ``legcheck`` command
prints it and exits 2; gunicorn's app factory (``skill.web:create_app()``) makes gunicorn
print it and stop; on AWS Lambda it is logged once at cold start and the skill answers
without memory (:func:`skill.app.default_skill`). ``legcheck config`` prints
:meth:`Settings.lines`: each value, where it came from, secrets masked. See
``docs/faults.md``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from skill.errors import ConfigError
from skill.store.config import (
    DB_ENV,
    SECRET_ENV,
    Deployment,
    StoreConfig,
    shown,
)
from skill.store.keys import UserKeys

SKILL_ID_ENV = "LEGCHECK_SKILL_ID"
SKILL_ID_PREFIXES = ("amzn1.ask.skill.", "amzn1.echo-sdk-ams.app.")
"""How an Alexa skill's application id begins (the second is the form of older skills)."""
SECRET_SHOWN = 2
"""How many characters of a secret ``legcheck config`` shows before ``***``."""
ENDPOINT_ENV = "AWS_ENDPOINT_URL_DYNAMODB"
"""A local DynamoDB endpoint (such as moto's), read by boto3 itself; shown when set."""
REMINDERS_ENV = "LEGCHECK_REMINDERS"
REMINDERS_VALUES = {"on": True, "off": False}
"""What ``LEGCHECK_REMINDERS`` may be (in any case), and what each means."""
ENVIRONMENT = "environment"
DEFAULT = "default"


class Flag(NamedTuple):
    """A value a command line gave in place of an environment variable."""

    flag: str
    """How it was given, for messages and ``legcheck config`` (``--db``)."""
    value: str


@dataclass(frozen=True)
class Setting:
    """One value in force and where it came from, as ``legcheck config`` shows it."""

    name: str
    value: str | None
    origin: str
    """``environment``, ``default``, or the flag or config key that gave it."""
    note: str = ""
    secret: bool = False

    def line(self) -> str:
        if self.value is None:
            value = "none"
        elif self.secret:
            value = mask(self.value)
        else:
            value = self.value
        note = f": {self.note}" if self.note else ""
        return f"{self.name}: {value} ({self.origin}){note}"


def mask(secret: str) -> str:
    """A secret as it may be shown: its first two characters, then ``***``, and its length."""
    return f"{secret[:SECRET_SHOWN]}*** ({len(secret)} characters)"


def _pick(
    name: str, env: Mapping[str, str], flags: Mapping[str, Flag]
) -> tuple[str | None, str, str]:
    """``(value, origin, label)`` of one setting: a flag wins over the environment."""
    if name in flags:
        given = flags[name]
        return given.value, f"flag {given.flag}", given.flag
    value = env.get(name) or None
    return value, ENVIRONMENT if value is not None else DEFAULT, name


def skill_id_of(
    env: Mapping[str, str] | None = None, flags: Mapping[str, Flag] | None = None
) -> tuple[str | None, str]:
    """The skill's application id (None when not given) and where it came from.

    Raises :class:`ConfigError` for a value that is not an Alexa application id."""
    value, origin, label = _pick(SKILL_ID_ENV, os.environ if env is None else env, flags or {})
    if value is None:
        return None, origin
    value = value.strip()
    rest = next((value[len(p) :] for p in SKILL_ID_PREFIXES if value.startswith(p)), "")
    if not rest or any(c.isspace() for c in rest):
        raise ConfigError(
            f"expected {label} to be the skill's application id ({SKILL_ID_PREFIXES[0]}ID, "
            f"from the Alexa developer console); got {value!r}"
        )
    return value, origin


def reminders_of(
    env: Mapping[str, str] | None = None, flags: Mapping[str, Flag] | None = None
) -> tuple[bool, str]:
    """Whether a next-day reminder is offered (``LEGCHECK_REMINDERS``), and where that came
    from. Raises :class:`ConfigError` for a value other than on or off."""
    value, origin, label = _pick(REMINDERS_ENV, os.environ if env is None else env, flags or {})
    if value is None:
        return False, origin
    said = value.strip().lower()
    if said not in REMINDERS_VALUES:
        raise ConfigError(f"expected {label} to be on or off; got {value!r}")
    return REMINDERS_VALUES[said], origin


@dataclass(frozen=True)
class Settings:
    """Every setting in force, checked: the store's, the skill id, and whether a reminder is
    offered."""

    deployment: Deployment
    store: StoreConfig
    skill_id: str | None
    given: tuple[Setting, ...]
    """Each value as given and where it came from, for ``legcheck config``."""
    reminders: bool = False
    """Offer a next-day check-in reminder after the advice (``LEGCHECK_REMINDERS=on``)."""

    @classmethod
    def load(
        cls,
        deployment: Deployment = Deployment.LOCAL,
        env: Mapping[str, str] | None = None,
        flags: Mapping[str, Flag] | None = None,
    ) -> Settings:
        """The settings for ``deployment`` from ``env`` (default: the process's environment)
        and ``flags`` (by the environment variable each stands for), every value checked.

        Raises :class:`ConfigError` (one line: what was expected, what came) for the first
        value that cannot work."""
        env = os.environ if env is None else env
        flags = flags or {}
        db, db_origin, db_label = _pick(DB_ENV, env, flags)
        secret, secret_origin, _ = _pick(SECRET_ENV, env, flags)
        store = StoreConfig.parse(db, secret, deployment, env=env, name=db_label)
        skill_id, skill_id_origin = skill_id_of(env, flags)
        reminders, reminders_origin = reminders_of(env, flags)
        given = (
            _store_line(store, db, db_origin),
            _secret_line(store, secret, secret_origin),
            *_region_lines(store, env),
            Setting(
                SKILL_ID_ENV,
                skill_id,
                skill_id_origin,
                "" if skill_id else "needed to verify requests (legcheck serve, gunicorn)",
            ),
            Setting(
                REMINDERS_ENV,
                "on" if reminders else "off",
                reminders_origin,
                "a next-day check-in reminder is offered after the advice"
                if reminders
                else "no reminder is offered",
            ),
        )
        return cls(deployment, store, skill_id, given, reminders)

    def lines(self) -> list[str]:
        """One line per setting: its value (secrets masked), where it came from, what it
        means."""
        return [setting.line() for setting in self.given]


def _store_line(store: StoreConfig, value: str | None, origin: str) -> Setting:
    if store.kind == "off":
        note = "nothing is stored"
    elif store.kind == "dynamodb":
        note = f"check-ins in the DynamoDB table {store.table}"
    else:
        assert store.path is not None
        value = value if value is not None else shown(store.path)
        note = f"check-ins in the SQLite file {store.path}"
        if not store.path.exists():
            note += ", made when first used"
    return Setting(DB_ENV, value, origin, note)


def _secret_line(store: StoreConfig, secret: str | None, origin: str) -> Setting:
    note = ""
    if secret is None and store.kind == "off":
        note = "not needed, since nothing is stored"
    elif secret is None and store.path is not None:
        note = f"local development: one is made and kept in {UserKeys.secret_path(store.path)}"
    return Setting(SECRET_ENV, secret, origin, note, secret=True)


def _region_lines(store: StoreConfig, env: Mapping[str, str]) -> tuple[Setting, ...]:
    if store.kind != "dynamodb":
        return ()
    origin = store.region_from or DEFAULT
    if origin in env:
        origin = f"{ENVIRONMENT} {origin}"
    lines = [Setting("AWS region", store.region, origin)]
    endpoint = env.get(ENDPOINT_ENV)
    if endpoint:
        lines.append(Setting(ENDPOINT_ENV, endpoint, ENVIRONMENT))
    return tuple(lines)
