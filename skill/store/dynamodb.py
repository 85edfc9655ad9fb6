"""The DynamoDB backend: one item per runner, for AWS Lambda.

Writes are conditional on a version number and retried on conflict; each item
carries its expiry for the table's TTL. boto3 is imported when a DynamoDB store
is made, never by a cold start with SQLite or no store (Lambda's Python runtime
has it; the zip leaves it out).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from skill.errors import (
    ConfigError,
    CorruptRecordError,
    StoreConflictError,
    StoreUnavailableError,
)
from skill.store.base import CheckInStore
from skill.store.keys import UserKeys
from skill.store.records import (
    CheckIn,
    Consent,
    Record,
    Retention,
    appended,
    with_consent,
    with_reminder_declined,
)

log = logging.getLogger("legcheck.store")

KEY_ATTRIBUTE = "user_key"
"""The DynamoDB table's hash key (a string): the keyed hash of the Alexa user id."""
TTL_ATTRIBUTE = "expires_at"
"""The DynamoDB attribute holding each record's expiry (epoch seconds), for the table's TTL."""
DECLINED_ATTRIBUTE = "reminder_declined"
"""The day (ISO) the runner last said no to a check-in reminder; absent when they never did."""
WRITE_CHECK_KEY = "legcheck-write-check"
"""The key :meth:`DynamoDbStore.check_writable` names: never a runner's (theirs are 64 hex
digits), and never written (its condition cannot hold)."""
DYNAMODB_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem")
"""Every DynamoDB action the skill itself calls (``legcheck purge`` also scans): the Lambda
function's role allows these, on the one table, and nothing else."""


class DynamoDbStore(CheckInStore):
    """One DynamoDB item per runner: conditional writes on a version number, retried.

    The table has the string hash key ``user_key`` and a TTL on ``expires_at``.
    Needs GetItem, PutItem and DeleteItem on the table (:data:`DYNAMODB_ACTIONS`), and Scan
    for :meth:`purge`, which only an operator runs: the TTL does it in production.
    """

    kind = "dynamodb"

    def __init__(
        self,
        table: str,
        keys: UserKeys | None,
        retention: Retention,
        client: Any = None,
        max_attempts: int = 6,
        deadline: float = 2.5,
        region: str | None = None,
    ) -> None:
        super().__init__(keys, retention)
        if not table:
            raise ConfigError("expected a DynamoDB table name after dynamodb:, got none")
        self.table = table
        self.max_attempts = max_attempts
        self.deadline = deadline
        try:
            from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
            from botocore.exceptions import BotoCoreError, ClientError
        except ImportError as exc:
            raise ConfigError(
                "a DynamoDB store needs boto3 (AWS Lambda's Python runtime has "
                "it; elsewhere: pip install boto3)"
            ) from exc
        self._serializer = TypeSerializer()
        self._deserializer = TypeDeserializer()
        self._client_error: type[Exception] = ClientError
        self._boto_errors: tuple[type[Exception], ...] = (ClientError, BotoCoreError)
        self._client = client if client is not None else self._default_client(region)

    @staticmethod
    def _default_client(region: str | None) -> Any:
        import boto3
        from botocore.config import Config

        # A turn makes at most three calls (read; then read and conditional write), each
        # given up after 1.5 s and never retried by botocore (conflicts are retried here,
        # within the deadline): the whole turn stays well inside Alexa's 8 seconds.
        config = Config(
            connect_timeout=0.5,
            read_timeout=1.0,
            retries={"total_max_attempts": 1, "mode": "standard"},
        )
        return boto3.client("dynamodb", region_name=region, config=config)

    def describe(self) -> str:
        return f"DynamoDB table {self.table}"

    @staticmethod
    def create_table(client: Any, table: str) -> None:
        """Create the table as the CloudFormation stack does (for development and tests)."""
        client.create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": KEY_ATTRIBUTE, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": KEY_ATTRIBUTE, "KeyType": "HASH"}],
        )
        client.get_waiter("table_exists").wait(TableName=table)
        client.update_time_to_live(
            TableName=table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )

    # -- items

    def _code(self, exc: Exception) -> str:
        response = getattr(exc, "response", None) or {}
        return str(response.get("Error", {}).get("Code", ""))

    def _unavailable(self, exc: Exception, doing: str) -> StoreUnavailableError:
        return StoreUnavailableError(f"{doing}: DynamoDB table {self.table}: {exc}")

    def _get(self, user_key: str, doing: str) -> tuple[dict[str, Any] | None, int]:
        try:
            answer = self._client.get_item(
                TableName=self.table, Key={KEY_ATTRIBUTE: {"S": user_key}}, ConsistentRead=True
            )
        except self._boto_errors as exc:
            raise self._unavailable(exc, doing) from exc
        raw = answer.get("Item")
        if raw is None:
            return None, 0
        try:
            item = {k: self._deserializer.deserialize(v) for k, v in raw.items()}
        except (TypeError, ValueError) as exc:
            raise CorruptRecordError(
                f"a record in DynamoDB table {self.table}: expected a check-in record, "
                f"got attributes {sorted(raw)}"
            ) from exc
        version = item.get("version")
        if version is None:
            raise CorruptRecordError(
                f"a record in DynamoDB table {self.table}: expected a version number, "
                f"the record has attributes {sorted(item)}"
            )
        try:
            return item, int(version)
        except (TypeError, ValueError) as exc:
            raise CorruptRecordError(
                f"a record in DynamoDB table {self.table}: expected a version number, "
                f"got {version!r}"
            ) from exc

    def _record(self, item: Mapping[str, Any] | None) -> Record:
        if item is None:
            return Record()
        try:
            return Record.from_parts(
                item.get("consent"),
                item.get("checkins"),
                item.get("updated"),
                item.get(DECLINED_ATTRIBUTE),  # absent from an item written before reminders
            )
        except CorruptRecordError as exc:  # the log says where
            raise CorruptRecordError(f"a record in DynamoDB table {self.table}: {exc}") from exc

    def _put(self, user_key: str, record: Record, version: int) -> None:
        """Write the record if the item is still at ``version`` (0: if there is none)."""
        assert record.updated is not None
        item = {
            KEY_ATTRIBUTE: user_key,
            "consent": record.consent.value,
            "checkins": [c.to_dict() for c in record.checkins],
            "updated": record.updated.isoformat(),
            "version": version + 1,
            TTL_ATTRIBUTE: self.retention.expires_at(record.updated),
        }
        if record.reminder_declined is not None:
            item[DECLINED_ATTRIBUTE] = record.reminder_declined.isoformat()
        condition: dict[str, Any]
        if version == 0:
            condition = {"ConditionExpression": "attribute_not_exists(user_key)"}
        else:
            condition = {
                "ConditionExpression": "#v = :v",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":v": {"N": str(version)}},
            }
        self._client.put_item(
            TableName=self.table,
            Item={k: self._serializer.serialize(v) for k, v in item.items()},
            **condition,
        )

    def _update(self, user_key: str, change: Any, doing: str) -> None:
        """Read, change and conditionally write one record, retrying when another write won."""
        deadline = time.monotonic() + self.deadline
        for attempt in range(1, self.max_attempts + 1):
            item, version = self._get(user_key, doing)
            record = change(self._record(item))
            if record.empty:
                return  # nothing to keep (a declined reminder of someone with no record)
            try:
                self._put(user_key, record, version)
                return
            except self._client_error as exc:
                if self._code(exc) != "ConditionalCheckFailedException":
                    raise self._unavailable(exc, doing) from exc
            except self._boto_errors as exc:
                raise self._unavailable(exc, doing) from exc
            if attempt == self.max_attempts or time.monotonic() >= deadline:
                break
            log.debug("%s: another write came first; retrying (attempt %d)", doing, attempt)
            time.sleep(random.uniform(0, 0.01 * 2**attempt))
        raise StoreConflictError(
            f"{doing}: other writes to the same record kept coming first "
            f"({self.max_attempts} attempts)"
        )

    def _delete_if(self, user_key: str, version: int) -> bool:
        try:
            self._client.delete_item(
                TableName=self.table,
                Key={KEY_ATTRIBUTE: {"S": user_key}},
                ConditionExpression="#v = :v",
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues={":v": {"N": str(version)}},
            )
        except self._client_error as exc:
            if self._code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # -- the interface

    def load(self, user_key: str, today: date) -> Record:
        item, version = self._get(user_key, "reading check-ins")
        stored = self._record(item)
        unexpired = self.retention.unexpired(stored, today)
        if unexpired != stored:
            try:  # tidy what is past its time, unless another write came first
                if unexpired.empty:
                    self._delete_if(user_key, version)
                else:
                    self._put(user_key, unexpired._replace(updated=stored.updated), version)
            except self._boto_errors as exc:
                log.debug("left expired check-ins for the TTL: %s", exc)
        return unexpired

    def append(self, user_key: str, checkin: CheckIn, consent: Consent | None = None) -> None:
        self._update(
            user_key,
            lambda record: appended(record, checkin, consent, self.retention),
            "storing a check-in",
        )

    def set_consent(self, user_key: str, consent: Consent, today: date) -> None:
        self._update(
            user_key,
            lambda record: with_consent(record, consent, today, self.retention),
            "storing consent",
        )

    def decline_reminder(self, user_key: str, today: date) -> None:
        self._update(
            user_key,
            lambda record: with_reminder_declined(record, today, self.retention),
            "storing a declined reminder",
        )

    def check_writable(self) -> None:
        """A conditional PutItem whose condition can never hold: DynamoDB answers it as it
        would a write (throttled, refused, unreachable, not allowed) and writes nothing.
        It costs one write capacity unit."""
        doing = "checking the table can be written"
        try:
            self._client.put_item(
                TableName=self.table,
                Item={KEY_ATTRIBUTE: {"S": WRITE_CHECK_KEY}},
                ConditionExpression="attribute_exists(#k) AND attribute_not_exists(#k)",
                ExpressionAttributeNames={"#k": KEY_ATTRIBUTE},
            )
        except self._client_error as exc:
            if self._code(exc) == "ConditionalCheckFailedException":
                return
            raise self._unavailable(exc, doing) from exc
        except self._boto_errors as exc:
            raise self._unavailable(exc, doing) from exc
        log.warning("%s: DynamoDB wrote an item whose condition cannot hold", doing)

    def delete(self, user_key: str) -> bool:
        try:
            answer = self._client.delete_item(
                TableName=self.table, Key={KEY_ATTRIBUTE: {"S": user_key}}, ReturnValues="ALL_OLD"
            )
        except self._boto_errors as exc:
            raise self._unavailable(exc, "deleting check-ins") from exc
        return bool(answer.get("Attributes"))

    def purge(self, today: date) -> int:
        now = int(datetime(today.year, today.month, today.day, tzinfo=UTC).timestamp())
        changed = 0
        kwargs: dict[str, Any] = {"TableName": self.table}
        try:
            while True:
                page = self._client.scan(**kwargs)
                for raw in page.get("Items", []):
                    changed += self._purge_item(raw, today, now)
                if "LastEvaluatedKey" not in page:
                    return changed
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        except self._boto_errors as exc:
            raise self._unavailable(exc, "purging expired check-ins") from exc

    def _purge_item(self, raw: Mapping[str, Any], today: date, now: int) -> int:
        user_key = raw[KEY_ATTRIBUTE]["S"]
        expires = raw.get(TTL_ATTRIBUTE, {}).get("N")
        try:
            item = {k: self._deserializer.deserialize(v) for k, v in raw.items()}
            version = int(item.get("version", 0))
            stored = self._record(item)
        except (CorruptRecordError, TypeError, ValueError) as exc:
            if expires is not None and int(expires) <= now:
                self._client.delete_item(TableName=self.table, Key={KEY_ATTRIBUTE: {"S": user_key}})
                return 1
            log.warning("purge: left an unreadable record (it expires on its own): %s", exc)
            return 0
        unexpired = self.retention.unexpired(stored, today)
        if unexpired == stored:
            return 0
        if unexpired.empty:
            return int(self._delete_if(user_key, version))
        try:
            self._put(user_key, unexpired._replace(updated=stored.updated), version)
        except self._client_error as exc:
            if self._code(exc) == "ConditionalCheckFailedException":
                return 0  # written meanwhile: that write dropped what had expired
            raise
        return 1
