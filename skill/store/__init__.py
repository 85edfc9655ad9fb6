"""Earlier check-ins and the runner's consent: one interface, two backends, chosen in one place.

One module per concern: :mod:`~skill.store.records` (what is kept and the
:class:`Retention`), :mod:`~skill.store.keys` (keyed hashes of user ids),
:mod:`~skill.store.base` (the :class:`CheckInStore` interface),
:mod:`~skill.store.sqlite` and :mod:`~skill.store.dynamodb` (the backends) and
:mod:`~skill.store.config` (``LEGCHECK_DB``, ``LEGCHECK_USER_KEY_SECRET`` and
:func:`store_from_env`). A store is given its retention by whoever builds it;
nothing here reads the knowledge base. The public names are re-exported here.
"""

from skill.store.base import CheckInStore
from skill.store.config import (
    DB_ENV,
    DEFAULT_DB,
    DYNAMODB_PREFIX,
    OFF_VALUES,
    SECRET_ENV,
    Deployment,
    StoreConfig,
    UnconfiguredStore,
    open_store,
    store_from_env,
)
from skill.store.dynamodb import DYNAMODB_ACTIONS, KEY_ATTRIBUTE, TTL_ATTRIBUTE, DynamoDbStore
from skill.store.keys import UserKeys
from skill.store.records import (
    MAX_CHECKINS,
    CheckIn,
    Consent,
    Record,
    Retention,
    appended,
    with_consent,
    with_reminder_declined,
)
from skill.store.sqlite import SqliteStore

__all__ = [
    "DB_ENV",
    "DEFAULT_DB",
    "DYNAMODB_ACTIONS",
    "DYNAMODB_PREFIX",
    "KEY_ATTRIBUTE",
    "MAX_CHECKINS",
    "OFF_VALUES",
    "SECRET_ENV",
    "TTL_ATTRIBUTE",
    "CheckIn",
    "CheckInStore",
    "Consent",
    "Deployment",
    "DynamoDbStore",
    "Record",
    "Retention",
    "SqliteStore",
    "StoreConfig",
    "UnconfiguredStore",
    "UserKeys",
    "appended",
    "open_store",
    "store_from_env",
    "with_consent",
    "with_reminder_declined",
]
