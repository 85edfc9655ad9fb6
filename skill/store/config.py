"""Configuration: the one place that turns the store's settings into a store.

:meth:`StoreConfig.parse` reads and checks, before the first request:

``LEGCHECK_DB``
    ``off`` (nothing stored); ``sqlite:PATH`` or a path to an SQLite file (the
    default for local serving and development, ``~/.local/share/legcheck/checkins.sqlite3``);
    or ``dynamodb:TABLE``. A path must name a file (not a folder or a device) that
    this user can read and write, or none yet, in a folder that exists and this user
    can write (SQLite keeps its journal beside the file); only the default's folder is
    made when it is missing. A bare word with no ``/`` and no ``.sqlite3``, ``.sqlite``
    or ``.db`` ending is taken for a typo, not a file name; ``sqlite://...`` URLs are
    refused, since their two readings (SQLAlchemy's and the obvious one) name different
    files. ``dynamodb:TABLE`` needs a valid table name and an AWS region
    (``AWS_REGION``, ``AWS_DEFAULT_REGION`` or the AWS config file). On AWS Lambda
    there is no default: the CloudFormation stack ``legcheck package`` writes sets
    ``dynamodb:TABLE``.
``LEGCHECK_USER_KEY_SECRET``
    The HMAC-SHA-256 key for user ids (at least 16 characters). Required in
    production (verified web serving and Lambda) and for DynamoDB; in local
    development an SQLite store makes a random one once and keeps it beside the
    database file (``<database>.key``, mode 0600).

Anything else raises :class:`~skill.errors.ConfigError` with what was expected and
what came, in one line. :mod:`skill.settings` reads these values once, with the rest
of the settings in force. The :class:`~skill.store.records.Retention` is the caller's
to give (the runtime's: :func:`skill.history.retention`).
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import NoReturn

from skill.errors import ConfigError, StoreUnavailableError
from skill.store.base import CheckInStore
from skill.store.dynamodb import DynamoDbStore
from skill.store.keys import MIN_SECRET_LENGTH, UserKeys
from skill.store.records import CheckIn, Consent, Record, Retention
from skill.store.sqlite import SqliteStore

log = logging.getLogger("legcheck.store")

DB_ENV = "LEGCHECK_DB"
SECRET_ENV = "LEGCHECK_USER_KEY_SECRET"
DEFAULT_DB_IN_HOME = Path(".local", "share", "legcheck", "checkins.sqlite3")
"""Where check-ins are kept by default, under the home folder (shown as ``~/...``)."""
DEFAULT_DB = Path.home() / DEFAULT_DB_IN_HOME
DYNAMODB_PREFIX = "dynamodb:"
SQLITE_PREFIX = "sqlite:"
SQLITE_SUFFIXES = (".sqlite3", ".sqlite", ".db")
"""The endings that make a bare name (no ``/``) an SQLite file rather than a typo."""
SQLITE_HEADER = b"SQLite format 3\x00"
OFF_VALUES = ("off", "none")
REGION_ENVS = ("AWS_REGION", "AWS_DEFAULT_REGION")
"""Where the AWS region is read first (Lambda sets both); then the AWS config file."""
TABLE_NAME_LENGTH = (3, 255)
TABLE_NAME_PUNCTUATION = "_-."
FORMS = (
    "off, dynamodb:TABLE, sqlite:PATH or a path to an SQLite file (one with a / in it, "
    "or a name ending in .sqlite3, .sqlite or .db)"
)


class Deployment(StrEnum):
    """Where the skill runs: it decides the defaults and what must be configured."""

    LOCAL = "local"
    """``legcheck serve --no-verify``, the simulator, tests: a per-database secret is made."""
    SERVER = "server"
    """A verified web service: the secret is required."""
    LAMBDA = "lambda"
    """AWS Lambda: ``LEGCHECK_DB`` and (unless it is off) the secret are required."""


@dataclass(frozen=True)
class StoreConfig:
    """What the configuration asks for, checked: a kind, where, and the user key secret."""

    kind: str  # "off", "sqlite" or "dynamodb"
    path: Path | None = None
    table: str | None = None
    secret: str | None = None
    deployment: Deployment = Deployment.LOCAL
    region: str | None = None
    """The AWS region of a DynamoDB table."""
    region_from: str | None = None
    """Where the region came from (``AWS_REGION``, ``AWS_DEFAULT_REGION``, the config file)."""
    default: bool = False
    """Whether ``LEGCHECK_DB`` was not given, so the default SQLite file is used."""

    @classmethod
    def from_env(cls, env: Mapping[str, str], deployment: Deployment) -> StoreConfig:
        return cls.parse(env.get(DB_ENV), env.get(SECRET_ENV), deployment, env=env)

    @classmethod
    def parse(
        cls,
        value: str | None,
        secret: str | None,
        deployment: Deployment,
        *,
        env: Mapping[str, str],
        name: str = DB_ENV,
    ) -> StoreConfig:
        """The checked configuration of ``value`` (``LEGCHECK_DB``, or the flag ``name``)
        and ``secret``, for ``deployment``; ``env`` is where the AWS region is looked up.

        Raises :class:`ConfigError`, one line saying what was expected and what came.
        """
        value = (value or "").strip()
        secret = secret or None
        if value.lower() in OFF_VALUES:
            return cls("off", deployment=deployment)
        if not value:
            if deployment is Deployment.LAMBDA:
                raise ConfigError(
                    f"expected {DB_ENV} on AWS Lambda: dynamodb:TABLE (the stack that "
                    f"legcheck package writes sets it) or off; got nothing (a /tmp file would "
                    f"last only as long as one function instance)"
                )
            kind, where, default = "sqlite", str(DEFAULT_DB), True
        else:
            kind, where = _form(value, name)
            default = False
        _check_secret(secret, kind, deployment)
        if kind == "dynamodb":
            _check_table(where, name)
            region, region_from = _region(
                env, f"{name}{' ' if name.startswith('-') else '='}{value}"
            )
            return cls(
                kind,
                table=where,
                secret=secret,
                deployment=deployment,
                region=region,
                region_from=region_from,
            )
        path = Path(where).expanduser().absolute()
        _check_sqlite_file(path, name, value, default)
        if secret is None:
            _check_local_secret(UserKeys.secret_path(path))
        return cls(kind, path=path, secret=secret, deployment=deployment, default=default)


def _form(value: str, name: str) -> tuple[str, str]:
    """``(kind, where)`` for a ``LEGCHECK_DB`` value that is not off or empty."""
    lowered = value.lower()
    if lowered.startswith(DYNAMODB_PREFIX) or lowered == DYNAMODB_PREFIX[:-1]:
        table = value[len(DYNAMODB_PREFIX) :].strip()
        if not table:
            raise ConfigError(
                f"expected {name} to be dynamodb:TABLE with a table name after the colon; "
                f"got {value!r}"
            )
        return "dynamodb", table
    if lowered.startswith(SQLITE_PREFIX) or lowered == SQLITE_PREFIX[:-1]:
        path = value[len(SQLITE_PREFIX) :].strip()
        if path.startswith("//"):
            plain = path[2:]
            hint = f" (for the file {plain}, write sqlite:{plain} or just {plain})" if plain else ""
            raise ConfigError(
                f"expected {name} to be sqlite:PATH with a plain path, not a URL; "
                f"got {value!r}{hint}"
            )
        if not path:
            raise ConfigError(
                f"expected {name} to be sqlite:PATH with a path after the colon; got {value!r}"
            )
        return "sqlite", path
    scheme, colon, _ = value.partition(":")
    if colon and _is_scheme(scheme):
        raise ConfigError(
            f"expected {name} to be {FORMS}; got {value!r}, a kind of store ({scheme}:) "
            f"Leg Check does not keep"
        )
    if "/" not in value and not value.startswith("~") and not lowered.endswith(SQLITE_SUFFIXES):
        raise ConfigError(f"expected {name} to be {FORMS}; got {value!r}")
    return "sqlite", value


def _is_scheme(word: str) -> bool:
    """Whether ``word`` (what comes before a colon) looks like a URL scheme or store kind."""
    return (
        bool(word)
        and word[0].isascii()
        and word[0].isalpha()
        and all(c.isascii() and (c.isalnum() or c in "+.-") for c in word)
    )


def _check_secret(secret: str | None, kind: str, deployment: Deployment) -> None:
    needs_secret = deployment is not Deployment.LOCAL or kind == "dynamodb"
    if secret is None and needs_secret:
        where = "a DynamoDB store" if kind == "dynamodb" else f"{deployment.value} serving"
        raise ConfigError(
            f"expected {SECRET_ENV} for {where}: the secret that turns Alexa user ids into "
            f"keyed hashes (at least {MIN_SECRET_LENGTH} characters, for example from "
            f"`python -c 'import secrets; print(secrets.token_hex(32))'`); got none"
        )
    if secret is not None and len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"expected {SECRET_ENV} of at least {MIN_SECRET_LENGTH} characters, got {len(secret)}"
        )


def _check_table(table: str, name: str) -> None:
    low, high = TABLE_NAME_LENGTH
    fine = low <= len(table) <= high and all(
        c.isascii() and (c.isalnum() or c in TABLE_NAME_PUNCTUATION) for c in table
    )
    if not fine:
        raise ConfigError(
            f"expected {name} to be dynamodb:TABLE with a DynamoDB table name ({low} to {high} "
            f"letters, digits, _, - or .); got the table name {table!r}"
        )


def _region(env: Mapping[str, str], given: str) -> tuple[str, str]:
    """The AWS region and where it came from: ``AWS_REGION``, ``AWS_DEFAULT_REGION``, else
    the AWS config file's profile (read by botocore, imported only then)."""
    for name in REGION_ENVS:
        if env.get(name, "").strip():
            return env[name].strip(), name
    region: str | None = None
    try:
        import botocore.session

        config = botocore.session.Session().get_scoped_config()
        region = str(config.get("region") or "").strip() or None
    except ImportError:
        pass  # no boto3 at all: the store says so itself when it is opened
    except Exception as exc:  # a broken config file or a missing profile: botocore says which
        raise ConfigError(
            f"expected an AWS region for {given}; the AWS config file could not be read: "
            f"{' '.join(str(exc).split())}"
        ) from exc
    if region is None:
        raise ConfigError(
            f"expected an AWS region for {given} ({' or '.join(REGION_ENVS)}, or region in "
            f"the AWS config file); got none"
        )
    return region, "the AWS config file"


def shown(path: Path) -> str:
    """``path`` as a message shows it: under the home folder as ``~/...``."""
    try:
        inside = path.relative_to(Path.home())
    except (ValueError, RuntimeError):  # elsewhere, or no home folder at all
        return str(path)
    return "~" if inside == Path() else f"~/{inside}"


def _check_sqlite_file(path: Path, name: str, value: str, default: bool) -> None:
    """Refuse a path SQLite could not keep check-ins at, saying why; never creates anything
    but a probe file, removed at once."""
    got = f"{name} is not set, so check-ins go to {shown(path)}" if default else f"got {value!r}"
    try:
        mode: int | None = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):  # the folder's own checks say which
        mode = None
    except OSError as exc:
        raise ConfigError(
            f"expected {name} to name an SQLite file this user can reach; {got}, "
            f"and it cannot be looked at ({exc.strerror})"
        ) from exc
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise ConfigError(f"expected {name} to name an SQLite file; {got}, which is a folder")
        if not stat.S_ISREG(mode):
            raise ConfigError(
                f"expected {name} to name an SQLite file; {got}, which is a device or other "
                f"special file"
            )
        _check_database(path, name, got)
    folder = path.parent
    if not folder.is_dir():
        if default:
            # only the default's folders are made (by the store, when it opens): the nearest
            # one that exists must let them be
            folder = next(p for p in path.parents if p.exists())
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            raise ConfigError(
                f"expected {name} to name a file in a folder that exists; {got}, and "
                f"{shown(folder)} {what} (create it, or choose another path)"
            )
    if not _can_write_in(folder):
        advice = "set LEGCHECK_DB=off to keep nothing, or a path in a writable folder"
        if default:
            advice = "set LEGCHECK_DB=off to keep nothing, or LEGCHECK_DB=PATH in a writable folder"
        raise ConfigError(
            f"expected {name} to name a file in a folder this user can write (SQLite keeps "
            f"its journal beside it); {got}, but {shown(folder)} is not writable: {advice}"
        )


def _check_database(path: Path, name: str, got: str) -> None:
    """An existing file must be an SQLite database (or empty) this user can read and write."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError as exc:
        raise ConfigError(
            f"expected {name} to name an SQLite file this user can read and write; {got} "
            f"({exc.strerror})"
        ) from exc
    try:
        head = os.read(fd, len(SQLITE_HEADER))
    finally:
        os.close(fd)
    if head and head != SQLITE_HEADER:
        raise ConfigError(
            f"expected {name} to name an SQLite database; {got}, a file that is not one"
        )


def _check_local_secret(path: Path) -> None:
    """The user key secret local development keeps beside the database, when there is one
    already, must be a file this user can read (else every turn would fail on it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return  # made when first needed, in the folder just checked
    except OSError as exc:
        raise ConfigError(
            f"expected the user key secret local development keeps at {shown(path)} to be a "
            f"file this user can read; it cannot be ({exc.strerror}): set {SECRET_ENV}, or "
            f"fix or remove the file"
        ) from exc
    try:
        readable = stat.S_ISREG(os.fstat(fd).st_mode)
    finally:
        os.close(fd)
    if not readable:
        raise ConfigError(
            f"expected the user key secret local development keeps at {shown(path)} to be a "
            f"file; it is not: set {SECRET_ENV}, or remove it"
        )


def _can_write_in(folder: Path) -> bool:
    """Whether a file can be made in ``folder``: tried, not inferred from the mode bits (root
    may write anywhere the mode forbids, but not on a read-only or immutable folder)."""
    probe = folder / f".legcheck-probe-{os.getpid()}-{os.urandom(4).hex()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return False
    os.close(fd)
    probe.unlink(missing_ok=True)
    return True


class UnconfiguredStore(CheckInStore):
    """Stands in for a store the configuration could not name, where the skill must answer
    anyway (AWS Lambda): every read and write fails with the reason, as an unreachable store
    would, so the runner is given the advice and told the check-ins cannot be reached;
    nothing is ever kept."""

    kind = "unconfigured"

    def __init__(self, reason: str, retention: Retention) -> None:
        super().__init__(None, retention)
        self.reason = reason

    def describe(self) -> str:
        return "check-in store, which is not configured"

    def user_key(self, alexa_user_id: str) -> str:
        return ""  # nothing is kept under it, and no secret is needed to make it

    def _refuse(self) -> NoReturn:
        raise StoreUnavailableError(f"the check-in store is not configured: {self.reason}")

    def load(self, user_key: str, today: date) -> Record:
        self._refuse()

    def append(self, user_key: str, checkin: CheckIn, consent: Consent | None = None) -> None:
        self._refuse()

    def set_consent(self, user_key: str, consent: Consent, today: date) -> None:
        self._refuse()

    def decline_reminder(self, user_key: str, today: date) -> None:
        self._refuse()

    def delete(self, user_key: str) -> bool:
        self._refuse()

    def purge(self, today: date) -> int:
        self._refuse()


def open_store(config: StoreConfig, retention: Retention) -> CheckInStore | None:
    """The store a :class:`StoreConfig` names, keeping ``retention``; None for ``off``.

    Raises :class:`ConfigError` when it cannot be opened (boto3 missing, the default folder
    not made)."""
    if config.kind == "off":
        return None
    store: CheckInStore
    if config.kind == "dynamodb":
        assert config.table is not None and config.secret is not None
        store = DynamoDbStore(
            config.table, UserKeys(config.secret), retention, region=config.region
        )
    else:
        assert config.path is not None
        # without a secret (local development) the store makes one beside the file when needed
        keys = UserKeys(config.secret) if config.secret else None
        try:
            store = SqliteStore(config.path, keys, retention)
        except OSError as exc:
            raise ConfigError(
                f"expected to make the folder of the check-in store {shown(config.path)}; "
                f"got {exc.strerror}: set LEGCHECK_DB=off to keep nothing, or a writable path"
            ) from exc
    log.info("check-ins are kept in the %s", store.describe())
    return store


def store_from_env(
    env: Mapping[str, str] | None = None,
    deployment: Deployment = Deployment.LOCAL,
    *,
    retention: Retention,
) -> CheckInStore | None:
    """The store the environment names (``None``: nothing is stored), checked first; it keeps
    check-ins as long as ``retention`` says."""
    config = StoreConfig.from_env(os.environ if env is None else env, deployment)
    return open_store(config, retention)
