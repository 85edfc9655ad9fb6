"""The check-in store's interface: what every backend keeps, and how.

Writes are atomic per runner and never replace what could not be read: SQLite
(:mod:`skill.store.sqlite`) runs each read-modify-write inside one ``BEGIN
IMMEDIATE`` transaction (WAL mode, one connection per thread and process, a
short busy timeout); DynamoDB (:mod:`skill.store.dynamodb`) writes are
conditional on a version number and retried on conflict.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date
from typing import ClassVar

from skill.errors import ConfigError
from skill.store.keys import UserKeys
from skill.store.records import CheckIn, Consent, Record, Retention


class CheckInStore(ABC):
    """Earlier check-ins and consent per runner, under keyed user hashes.

    Every method takes the *user key* (see :meth:`user_key`), never the raw
    Alexa user id. Reads apply :attr:`retention`, which whoever builds the store
    gives it; writes are atomic per runner and never replace a record that could
    not be read (:class:`CorruptRecordError`).
    Failures raise subclasses of :class:`skill.errors.StoreError`.
    """

    kind: ClassVar[str] = ""

    def __init__(self, keys: UserKeys | None, retention: Retention) -> None:
        self._keys = keys
        self.retention = retention

    @property
    def keys(self) -> UserKeys:
        if self._keys is None:
            self._keys = self._default_keys()
        return self._keys

    def _default_keys(self) -> UserKeys:
        from skill.store.config import SECRET_ENV  # config imports the backends, which import this

        raise ConfigError(f"expected a user key secret ({SECRET_ENV}) for the {self.describe()}")

    def user_key(self, alexa_user_id: str) -> str:
        """The key the runner's record is kept under: never the Alexa user id itself."""
        return self.keys(alexa_user_id)

    @abstractmethod
    def describe(self) -> str:
        """Where the store keeps its records, for logs."""

    @abstractmethod
    def load(self, user_key: str, today: date) -> Record:
        """The runner's record with the retention applied (an empty one when there is none)."""

    def read(self, user_key: str, today: date) -> list[CheckIn]:
        return list(self.load(user_key, today).checkins)

    def get_consent(self, user_key: str, today: date) -> Consent:
        return self.load(user_key, today).consent

    @abstractmethod
    def append(self, user_key: str, checkin: CheckIn, consent: Consent | None = None) -> None:
        """Add one check-in (and set the consent, when given) in one atomic write."""

    @abstractmethod
    def set_consent(self, user_key: str, consent: Consent, today: date) -> None:
        """Keep the runner's answer; a refusal also drops their check-ins."""

    def check_writable(self) -> None:  # noqa: B027 - a store that cannot tell writes nothing
        """Raise :class:`~skill.errors.StoreError` if a write could not be kept now, without
        storing anything of any runner's: asked before a question whose yes is a write."""

    @abstractmethod
    def decline_reminder(self, user_key: str, today: date) -> None:
        """Keep today as the day the runner said no to a check-in reminder, in one atomic
        write, if they agreed to be remembered (see
        :func:`~skill.store.records.with_reminder_declined`); for anyone else nothing is
        written."""

    @abstractmethod
    def delete(self, user_key: str) -> bool:
        """Delete everything kept for the runner, readable or not; whether there was anything."""

    @abstractmethod
    def purge(self, today: date) -> int:
        """Delete expired records and expired check-ins; the number of records changed."""

    def close(self) -> None:  # noqa: B027 - most stores hold nothing to release
        """Release connections (the store can still be used afterwards)."""
