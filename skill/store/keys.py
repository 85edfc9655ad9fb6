"""User keys: the keyed hash a runner's record is kept under, never the Alexa user id.

:class:`UserKeys` is HMAC-SHA-256 with a secret (``LEGCHECK_USER_KEY_SECRET`` in
production, see :mod:`skill.store.config`); in local development an SQLite store
makes a random one once and keeps it beside the database file (``<database>.key``,
mode 0600: :meth:`UserKeys.beside`).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from skill.errors import ConfigError, StoreUnavailableError

log = logging.getLogger("legcheck.store")

MIN_SECRET_LENGTH = 16
"""The shortest user key secret accepted, in characters."""
RECENT_USERS = 4096
"""Runners whose keys :class:`UserKeys` keeps at hand (the whole set is dropped when full)."""


class UserKeys:
    """Keyed hashes of Alexa user ids: HMAC-SHA-256 with a secret, as hex."""

    def __init__(self, secret: str | bytes) -> None:
        import hashlib  # imported when a store is first configured, not at every cold start
        import hmac

        raw = secret.encode() if isinstance(secret, str) else bytes(secret)
        if len(raw) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"expected a user key secret of at least {MIN_SECRET_LENGTH} "
                f"characters, got {len(raw)}"
            )
        self._keyed = hmac.new(raw, digestmod=hashlib.sha256)  # keyed once, copied per id
        self._recent: dict[str, str] = {}
        """Keys of the runners heard lately: a check-in asks for the same one every turn."""

    def __call__(self, alexa_user_id: str) -> str:
        known = self._recent.get(alexa_user_id)
        if known is not None:
            return known
        if not alexa_user_id:
            raise ValueError("expected an Alexa user id, got an empty one")
        mac = self._keyed.copy()
        mac.update(alexa_user_id.encode())
        key = mac.hexdigest()
        if len(self._recent) >= RECENT_USERS:
            self._recent.clear()
        self._recent[alexa_user_id] = key
        return key

    def __repr__(self) -> str:  # never the secret
        return "UserKeys(<secret>)"

    @staticmethod
    def secret_path(db_path: Path) -> Path:
        return db_path.with_name(db_path.name + ".key")

    @classmethod
    def beside(cls, db_path: Path) -> UserKeys:
        """The local-development secret kept beside the database, made once (mode 0600).

        Raises :class:`StoreUnavailableError` when it can be neither read nor made (a
        folder that cannot be written): the store is then unusable, and says so.
        """
        path = cls.secret_path(db_path)
        try:
            return cls._beside(path)
        except OSError as exc:
            raise StoreUnavailableError(
                f"expected to read or make the user key secret {path}, got: {exc}"
            ) from exc

    @classmethod
    def _beside(cls, path: Path) -> UserKeys:
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # write it whole under a temporary name, then link it in place: a process
            # racing this one either wins the link or reads the winner's whole secret
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "w", encoding="ascii") as fh:
                    fh.write(secrets.token_hex(32) + "\n")
                try:
                    os.link(tmp, path)
                    log.info("made a user key secret for local development at %s", path)
                except FileExistsError:
                    pass
            finally:
                tmp.unlink(missing_ok=True)
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            log.warning("%s was readable by others (mode %o); set it to 0600", path, mode)
            path.chmod(0o600)
        return cls(path.read_text(encoding="ascii").strip())
