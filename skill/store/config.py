"""Configuration: the one place that turns the environment into a store.

:func:`store_from_env` reads:

``LEGCHECK_DB``
    ``off`` (nothing stored), a path to an SQLite file (the default for local
    serving and development), or ``dynamodb:TABLE``. On AWS Lambda there is no
    default: the CloudFormation stack ``legcheck package`` writes sets
    ``dynamodb:TABLE``.
``LEGCHECK_USER_KEY_SECRET``
    The HMAC-SHA-256 key for user ids (at least 16 characters). Required in
    production (verified web serving and Lambda); in local development an
    SQLite store makes a random one once and keeps it beside the database file
    (``<database>.key``, mode 0600).

The :class:`~skill.store.records.Retention` is the caller's to give (the runtime's:
:func:`skill.history.retention`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from skill.errors import ConfigError
from skill.store.base import CheckInStore
from skill.store.dynamodb import DynamoDbStore
from skill.store.keys import MIN_SECRET_LENGTH, UserKeys
from skill.store.records import Retention
from skill.store.sqlite import SqliteStore

log = logging.getLogger("legcheck.store")

DB_ENV = "LEGCHECK_DB"
SECRET_ENV = "LEGCHECK_USER_KEY_SECRET"
DEFAULT_DB = Path.home() / ".local" / "share" / "legcheck" / "checkins.sqlite3"
DYNAMODB_PREFIX = "dynamodb:"
OFF_VALUES = ("off", "none")


class Deployment(StrEnum):
    """Where the skill runs: it decides the defaults and what must be configured."""

    LOCAL = "local"
    """``legcheck serve --no-verify``, the simulator, tests: a per-database secret is made."""
    SERVER = "server"
    """A verified web service: the secret is required."""
    LAMBDA = "lambda"
    """AWS Lambda: ``LEGCHECK_DB`` and (unless it is off) the secret are required."""


class StoreConfig(NamedTuple):
    """What the configuration asks for: a kind, where, and the user key secret."""

    kind: str  # "off", "sqlite" or "dynamodb"
    path: Path | None = None
    table: str | None = None
    secret: str | None = None
    deployment: Deployment = Deployment.LOCAL

    @classmethod
    def from_env(cls, env: Mapping[str, str], deployment: Deployment) -> StoreConfig:
        value = (env.get(DB_ENV) or "").strip()
        secret = env.get(SECRET_ENV) or None
        if not value:
            if deployment is Deployment.LAMBDA:
                raise ConfigError(
                    f"expected {DB_ENV} on AWS Lambda: dynamodb:TABLE (the stack that "
                    f"legcheck package writes sets it) or off; got nothing (a /tmp file would "
                    f"last only as long as one function instance)"
                )
            value = str(DEFAULT_DB)
        if value.lower() in OFF_VALUES:
            return cls("off", deployment=deployment)
        if value.startswith(DYNAMODB_PREFIX):
            table = value[len(DYNAMODB_PREFIX) :].strip()
            if not table:
                raise ConfigError(
                    f"expected {DB_ENV}=dynamodb:TABLE with a table name, got {value!r}"
                )
            config = cls("dynamodb", table=table, secret=secret, deployment=deployment)
        else:
            config = cls(
                "sqlite", path=Path(value).expanduser(), secret=secret, deployment=deployment
            )
        needs_secret = deployment is not Deployment.LOCAL or config.kind == "dynamodb"
        if secret is None and needs_secret:
            where = (
                "a DynamoDB store" if config.kind == "dynamodb" else f"{deployment.value} serving"
            )
            raise ConfigError(
                f"expected {SECRET_ENV} for {where}: the secret that turns Alexa user ids into "
                f"keyed hashes (at least {MIN_SECRET_LENGTH} characters, for example from "
                f"`python -c 'import secrets; print(secrets.token_hex(32))'`); got none"
            )
        if secret is not None and len(secret) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"expected {SECRET_ENV} of at least {MIN_SECRET_LENGTH} "
                f"characters, got {len(secret)}"
            )
        return config


def open_store(config: StoreConfig, retention: Retention) -> CheckInStore | None:
    """The store a :class:`StoreConfig` names, keeping ``retention``; None for ``off``."""
    if config.kind == "off":
        return None
    if config.kind == "dynamodb":
        assert config.table is not None and config.secret is not None
        return DynamoDbStore(config.table, UserKeys(config.secret), retention)
    assert config.path is not None
    # without a secret (local development) the store makes one beside the file when first needed
    return SqliteStore(config.path, UserKeys(config.secret) if config.secret else None, retention)


def store_from_env(
    env: Mapping[str, str] | None = None,
    deployment: Deployment = Deployment.LOCAL,
    *,
    retention: Retention,
) -> CheckInStore | None:
    """The one place configuration picks the store (``None``: nothing is stored); it keeps
    check-ins as long as ``retention`` says."""
    config = StoreConfig.from_env(os.environ if env is None else env, deployment)
    store = open_store(config, retention)
    if store is not None:
        log.info("check-ins are kept in the %s", store.describe())
    return store
