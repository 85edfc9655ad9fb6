"""Store faults: what the runner hears when the store fails, for each fault and each answer.

Every row of the table under "## Store faults" in ``docs/faults.md`` is a test here: the
fault is made for real (a file's permissions, garbage bytes, a deleted file, another
connection's lock, DynamoDB on moto's server answering throttled, an endpoint that refuses
connections), the runner says the answer's words through the skill object, and the test
checks what the runner hears against the row, the ERROR lines against the row, and what was
said against what the store holds afterwards: nothing said may be false.

As root, permissions mean nothing, so the SQLite rows then run as ``nobody`` (the effective
user, as a server run by an unprivileged user would), in a folder ``nobody`` owns: the file's
mode really refuses the read or the write, on the same code path as anywhere else.
"""

from __future__ import annotations

import importlib
import logging
import os
import random
import re
import shutil
import socket
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from skill.app import build_skill
from skill.errors import CorruptRecordError
from skill.history import retention
from skill.knowledge import load_knowledge
from skill.store import CheckIn, CheckInStore, Consent, DynamoDbStore, Record, SqliteStore, UserKeys
from skill.strings import strings_for
from skill.tools.envelopes import Session
from skill.tools.paths import REPO_ROOT
from tests.support.fixtures import NOW, TODAY
from tests.support.runner import Runner, said, slot
from tests.support.stores import TEST_SECRET, corrupt

EN = strings_for("en-US")
DAYS = load_knowledge().policy.history_window_days
FAULTS_DOC = REPO_ROOT / "docs" / "faults.md"
SECTION = "## Store faults"
RUNNER_ID = "amzn1.ask.account.FAULTS"
OTHER_ID = "amzn1.ask.account.SOMEONE-ELSE"
LOCK_WAIT_S = 0.25
"""The SQLite busy timeout here: a lock is held past it (the default, 1.5 s, is tested in
test_store.py and test_memory.py); the code path is the same."""
NOBODY = 65534
LAZY_IMPORTS = ("hashlib", "hmac", "secrets", "sqlite3")
"""What the store imports where it is used."""
ADVICE = "*the advice*"
ASK = EN.prompt("consent_ask", days=DAYS)
CAUSE = EN.cause("low_electrolytes")["name"]
RECURRENCE = "That's the third time this month you've mentioned twitching in your shins or calves."
ADVICE_EXTRAS = (ASK, RECURRENCE)
"""What a check-in's advice may carry besides the advice: said exactly when the row says so."""
UNREADABLE = "unreadable"
"""What a record that cannot be read reads as, for the checks on what was said."""


# ------------------------------------------------------------------ the table


class Row(NamedTuple):
    store: str
    fault: str
    answer: str
    hears: str
    logged: tuple[str, ...]

    @property
    def id(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", f"{self.store} {self.fault} {self.answer}".lower())


def table_rows(text: str) -> list[Row]:
    """The rows of the first table under :data:`SECTION`; an empty store or fault cell is
    the one above it."""
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    rows: list[Row] = []
    store = fault = ""
    for line in lines[2:]:  # the header and its rule
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == 5, line
        store, fault = cells[0] or store, cells[1] or fault
        logged = () if cells[4] == "—" else tuple(re.findall(r"`([^`]+)`", cells[4]))
        rows.append(Row(store, fault, cells[2], cells[3], logged))
    return rows


ROWS = table_rows(FAULTS_DOC.read_text(encoding="utf-8"))


# ------------------------------------------------------------------ running as the owner


@contextmanager
def unprivileged() -> Iterator[None]:
    """As root, become ``nobody`` (who owns the store's folder) until the end; otherwise
    nothing: a file's mode then refuses root's reads and writes as it would anyone's."""
    if os.geteuid() != 0:
        yield
        return
    for module in LAZY_IMPORTS:  # while they can be read: the interpreter may be root's alone
        importlib.import_module(module)
    os.setegid(NOBODY)
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def store_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder for one SQLite store, owned by whoever the store runs as."""
    if os.geteuid() != 0:
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="legcheck-faults-"))  # tmp_path's parents are 0700
    os.chown(folder, NOBODY, NOBODY)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------ the stores


@dataclass
class Bench:
    """One store, as Leg Check runs with it, and the means to make it fail."""

    healthy: CheckInStore
    """The store Leg Check started with (it has been used before the fault)."""
    where: str
    """What the store's ERROR lines name: its file or its table."""
    fresh: Callable[[], CheckInStore]
    """Leg Check started again on the same file or table."""
    opened: list[CheckInStore] = field(default_factory=list)

    def reader(self) -> CheckInStore:
        """A store to read what the turn left: a fresh one (a file may have been put back)."""
        return self.new()

    def new(self) -> CheckInStore:
        store = self.fresh()
        self.opened.append(store)
        return store

    def close(self) -> None:
        for store in (self.healthy, *self.opened):
            store.close()


@dataclass
class SqliteBench(Bench):
    path: Path = Path()


def sqlite_bench(folder: Path) -> SqliteBench:
    path = folder / "checkins.sqlite3"
    keys = UserKeys(TEST_SECRET)

    def fresh() -> CheckInStore:
        return SqliteStore(path, keys, retention(load_knowledge()), busy_timeout=LOCK_WAIT_S)

    return SqliteBench(fresh(), str(path), fresh, path=path)


class DynamoBench(Bench):
    def reader(self) -> CheckInStore:
        return self.healthy  # the patient client; nothing of it was changed


def dynamo_bench(table: str, endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Bench:
    """A DynamoDB store on moto's server whose client, like Leg Check's, never retries (so a
    throttled call fails the turn's call), but waits longer than Leg Check's 1.5 s: moto on a
    loaded test machine is not DynamoDB. A store started afresh makes Leg Check's own client,
    pointed at the server by the endpoint variable, as a developer would."""
    import boto3
    from botocore.config import Config

    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
    keys = UserKeys(TEST_SECRET)
    config = Config(
        connect_timeout=10, read_timeout=10, retries={"total_max_attempts": 1, "mode": "standard"}
    )
    client = boto3.client("dynamodb", endpoint_url=endpoint, config=config)

    def fresh() -> CheckInStore:
        return DynamoDbStore(table, keys, retention(load_knowledge()))

    healthy = DynamoDbStore(table, keys, retention(load_knowledge()), client=client)
    return DynamoBench(healthy, f"DynamoDB table {table}", fresh)


# ------------------------------------------------------------------ the faults

Fault = Callable[[Any], AbstractContextManager[CheckInStore]]


def backed_up(path: Path) -> Path:
    """A consistent copy of the database (the WAL included), to put back afterwards."""
    copy = path.with_name(path.name + ".backup")
    with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)
    return copy


def put_back(bench: SqliteBench, copy: Path) -> None:
    bench.healthy.close()
    for extra in ("-wal", "-shm"):
        bench.path.with_name(bench.path.name + extra).unlink(missing_ok=True)
    os.replace(copy, bench.path)


@contextmanager
def unreadable_file(bench: SqliteBench) -> Iterator[CheckInStore]:
    bench.healthy.close()
    bench.path.chmod(0)
    try:
        yield bench.new()  # Leg Check (or a new worker) opens a file it cannot read
    finally:
        bench.path.chmod(0o600)


@contextmanager
def read_only_file(bench: SqliteBench) -> Iterator[CheckInStore]:
    bench.healthy.close()
    with closing(sqlite3.connect(bench.path)) as other:  # keeps the WAL index: reads work
        other.execute("SELECT count(*) FROM checkins").fetchall()
        bench.path.chmod(0o400)
        try:
            yield bench.new()
        finally:
            bench.path.chmod(0o600)


@contextmanager
def read_only_folder(bench: SqliteBench) -> Iterator[CheckInStore]:
    bench.healthy.close()
    folder = bench.path.parent
    folder.chmod(0o500)
    try:
        yield bench.new()
    finally:
        folder.chmod(0o700)


@contextmanager
def garbage_file(bench: SqliteBench) -> Iterator[CheckInStore]:
    copy = backed_up(bench.path)
    bench.healthy.close()
    bench.path.write_bytes(random.Random(16).randbytes(8192))
    try:
        yield bench.new()
    finally:
        put_back(bench, copy)


@contextmanager
def deleted_file(bench: SqliteBench) -> Iterator[CheckInStore]:
    copy = backed_up(bench.path)
    for extra in ("", "-wal", "-shm"):
        bench.path.with_name(bench.path.name + extra).unlink(missing_ok=True)
    try:
        yield bench.healthy  # the store Leg Check has been using
        assert not bench.path.exists()  # not made again, empty
    finally:
        put_back(bench, copy)


@contextmanager
def replaced_file(bench: SqliteBench) -> Iterator[CheckInStore]:
    copy = backed_up(bench.path)
    other = bench.path.with_name("another.sqlite3")
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE checkins (user_key TEXT PRIMARY KEY)")
    for extra in ("-wal", "-shm"):
        bench.path.with_name(bench.path.name + extra).unlink(missing_ok=True)
    os.replace(other, bench.path)
    try:
        yield bench.healthy
    finally:
        put_back(bench, copy)


@contextmanager
def locked(bench: SqliteBench) -> Iterator[CheckInStore]:
    with closing(sqlite3.connect(bench.path, isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")  # held for the whole turn, past the busy timeout
        try:
            yield bench.healthy
        finally:
            other.execute("ROLLBACK")


@contextmanager
def unreadable_record(bench: Bench) -> Iterator[CheckInStore]:
    corrupt(bench.healthy, bench.healthy.user_key(RUNNER_ID))
    yield bench.healthy


def throttled(code: str, calls: tuple[str, ...]) -> Fault:
    """moto's DynamoDB answering ``calls`` with the error ``code``, as DynamoDB does."""

    @contextmanager
    def fault(bench: Bench) -> Iterator[CheckInStore]:
        from moto.dynamodb.exceptions import DynamodbException
        from moto.dynamodb.models import DynamoDBBackend

        def refuse(*args: Any, **kwargs: Any) -> Any:
            raise DynamodbException(
                f"com.amazonaws.dynamodb.v20120810#{code}", "Rate of requests exceeds the limit"
            )

        with pytest.MonkeyPatch.context() as patch:
            for call in calls:
                patch.setattr(DynamoDBBackend, call, refuse)
            yield bench.healthy

    return fault


@contextmanager
def unreachable(bench: Bench) -> Iterator[CheckInStore]:
    with socket.socket() as bound:  # bound, never listening: every connection is refused
        bound.bind(("127.0.0.1", 0))
        host, port = bound.getsockname()
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://{host}:{port}")
            yield bench.new()


EVERY_CALL = ("get_item", "put_item", "delete_item")
WRITES = ("put_item", "delete_item")
FAULTS: dict[tuple[str, str], Fault] = {
    ("SQLite", "unreadable file (mode 000)"): unreadable_file,
    ("SQLite", "read-only file (mode 0400)"): read_only_file,
    ("SQLite", "read-only folder (mode 0500)"): read_only_folder,
    ("SQLite", "garbage bytes in the file"): garbage_file,
    ("SQLite", "file deleted after start"): deleted_file,
    ("SQLite", "file replaced after start"): replaced_file,
    ("SQLite", "locked past the busy timeout"): locked,
    ("SQLite", "a record that cannot be read"): unreadable_record,
    ("DynamoDB", "throttled (ProvisionedThroughputExceededException)"): throttled(
        "ProvisionedThroughputExceededException", EVERY_CALL
    ),
    ("DynamoDB", "throttled (ThrottlingException)"): throttled("ThrottlingException", EVERY_CALL),
    ("DynamoDB", "writes throttled, reads answered"): throttled(
        "ProvisionedThroughputExceededException", WRITES
    ),
    ("DynamoDB", "unreachable (connection refused)"): unreachable,
    ("DynamoDB", "a record that cannot be read"): unreadable_record,
}
SLOW_FAULTS = {("SQLite", "locked past the busy timeout")}
"""Faults that wait out a timeout (the DynamoDB ones are slow for moto's server)."""


# ------------------------------------------------------------------ the answers


def check_in(runner: Runner) -> str:
    """A twitching-calves check-in, every question answered no, up to its advice."""
    runner.report(
        slot("Sensation", "twitching", "twitching"), slot("BodyPart", "calves", "lower_legs")
    )
    runner.answer_all(False)
    return said(runner.last)


def saying(intent: str) -> Callable[[Runner], str]:
    return lambda runner: runner.say(intent)


class Answer(NamedTuple):
    seed: Consent | None
    """The runner's record before: two earlier check-ins and a yes (YES), a refusal (NO),
    or nothing (None)."""
    before: Callable[[Runner], object] | None
    """What the runner said while the store was well."""
    turn: Callable[[Runner], str]
    """What the runner says once it fails; what they hear."""


def asked_to_remember(runner: Runner) -> None:
    assert check_in(runner).endswith(ASK)


def asked_to_delete(runner: Runner) -> None:
    assert runner.say("ForgetMeIntent") == EN.prompt("forget_confirm", count=2)


ANSWERS: dict[str, Answer] = {
    "a check-in, new runner": Answer(None, None, check_in),
    "a check-in, remembered runner": Answer(Consent.YES, None, check_in),
    "yes to “may I remember?”": Answer(None, asked_to_remember, saying("AMAZON.YesIntent")),
    "no to “may I remember?”": Answer(None, asked_to_remember, saying("AMAZON.NoIntent")),
    "“how have my legs been”": Answer(Consent.YES, None, saying("HistorySummaryIntent")),
    "“what do you keep about me”": Answer(Consent.YES, None, saying("PrivacyIntent")),
    "“forget my check-ins”": Answer(Consent.YES, None, saying("ForgetMeIntent")),
    "yes to “delete them all?”": Answer(Consent.YES, asked_to_delete, saying("AMAZON.YesIntent")),
    "“stop remembering”": Answer(Consent.YES, None, saying("StopRememberingIntent")),
    "“start remembering”": Answer(Consent.NO, None, saying("StartRememberingIntent")),
}


def seed(store: CheckInStore, consent: Consent | None) -> None:
    """Another runner's check-in (the store is in use), and the runner's record."""
    store.append(
        store.user_key(OTHER_ID),
        CheckIn.of(TODAY, ["itching"], "post_run_itch", "self_care"),
        Consent.YES,
    )
    key = store.user_key(RUNNER_ID)
    if consent is Consent.YES:
        for days in (10, 4):
            store.append(
                key,
                CheckIn.of(
                    TODAY - timedelta(days=days),
                    ["twitching", "lower_legs"],
                    "low_electrolytes",
                    "self_care",
                ),
                Consent.YES,
            )
    elif consent is Consent.NO:
        store.set_consent(key, Consent.NO, TODAY)


def record(store: CheckInStore) -> Record | str:
    try:
        return store.load(store.user_key(RUNNER_ID), TODAY)
    except CorruptRecordError:
        return UNREADABLE


# ------------------------------------------------------------------ nothing said is false

Claim = Callable[[Record | str, Record | str], bool]
TODAYS = CheckIn(TODAY, ("lower_legs", "twitching"), "low_electrolytes", "self_care")


def _checkins(rec: Record | str) -> tuple[CheckIn, ...]:
    return rec.checkins if isinstance(rec, Record) else ()


CLAIMS: dict[str, Claim] = {
    # what each sentence says of the store, as (the record before, the record after)
    "consent_yes": lambda b, a: (
        isinstance(a, Record) and a.consent is Consent.YES and TODAYS in a.checkins
    ),
    "consent_no": lambda b, a: isinstance(a, Record) and a.consent is Consent.NO,
    "consent_no_not_saved": lambda b, a: TODAYS not in _checkins(a),
    "forget_done": lambda b, a: a == Record(),
    "forget_nothing": lambda b, a: b == a == Record(),
    "forget_unreachable": lambda b, a: a == b,
    "forget_confirm_reprompt": lambda b, a: b == UNREADABLE,
    "stop_remembering_done": lambda b, a: bool(_checkins(b)) or b == UNREADABLE,
    "stop_remembering_none": lambda b, a: isinstance(b, Record) and not b.checkins,
    "stop_remembering_unreachable": lambda b, a: a == b,
    "start_remembering_done": lambda b, a: isinstance(a, Record) and a.consent is Consent.YES,
    "start_remembering_already": lambda b, a: isinstance(b, Record) and b.consent is Consent.YES,
    "history_none": lambda b, a: not _checkins(b),
    "privacy_nothing": lambda b, a: not _checkins(b),
    "history_unreadable": lambda b, a: b == UNREADABLE,
    "privacy_unreadable": lambda b, a: b == UNREADABLE,
    "record_unreadable_not_saved": lambda b, a: b == UNREADABLE,
}
AFTER_STOP: Claim = lambda b, a: (  # noqa: E731 - the two "stopped" sentences also say this
    isinstance(a, Record) and a.consent is Consent.NO and not a.checkins
)


def sentence_key(spoken: str) -> str | None:
    """The prompt ``spoken`` is, if it is one of those that say something of the store."""
    for key in CLAIMS:
        for values in ({"days": DAYS}, {"count": 2}):
            try:
                if EN.prompt(key, **values) == spoken:
                    return key
            except KeyError:
                continue
    return None


def check_true(spoken: str, before: Record | str, after: Record | str) -> None:
    """Whatever was said of the store is true of it, before and after the turn."""
    key = sentence_key(spoken)
    if key is not None:
        assert CLAIMS[key](before, after), (key, before, after)
    if key in ("stop_remembering_done", "stop_remembering_none"):
        assert AFTER_STOP(before, after), (key, after)
    if spoken == EN.prompt("forget_confirm", count=2):
        assert len(_checkins(before)) == 2
    counted = re.search(r"I have (\d+) check-ins\b", spoken)
    if counted:
        assert len(_checkins(before)) == int(counted[1])
    if RECURRENCE in spoken:
        assert len(_checkins(before)) == 2
    assert EN.prompt("error") not in spoken  # never "something went wrong" instead


# ------------------------------------------------------------------ the test


class Heard(NamedTuple):
    spoken: str
    errors: list[str]
    before: Record | str
    after: Record | str


def run_row(row: Row, bench: Bench, caplog: pytest.LogCaptureFixture) -> Heard:
    answer = ANSWERS[row.answer]
    fault = FAULTS[(row.store, row.fault)]
    seed(bench.healthy, answer.seed)
    runner = Runner(build_skill(bench.healthy), Session(user_id=RUNNER_ID), now=NOW)
    if answer.before is not None:
        answer.before(runner)
    before = UNREADABLE if fault is unreadable_record else record(bench.healthy)
    with caplog.at_level(logging.ERROR, logger="legcheck"):
        caplog.clear()
        with fault(bench) as store:
            runner.skill = build_skill(store)
            spoken = answer.turn(runner)
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    after = record(bench.reader())
    return Heard(spoken, errors, before, after)


def check_row(row: Row, heard: Heard, where: str) -> None:
    spoken = heard.spoken
    if row.hears.startswith(ADVICE):
        assert CAUSE in spoken and EN.prompt("disclaimer") in spoken, spoken
        quoted = re.findall(r"“([^”]+)”", row.hears)
        for extra in ADVICE_EXTRAS:
            assert (extra in spoken) == (extra in quoted), (extra, spoken)
    else:
        assert spoken == row.hears
    check_true(spoken, heard.before, heard.after)
    if "reach" in spoken:  # "I can't reach your check-ins" only when something failed
        assert heard.errors
    for phrase in row.logged:
        assert any(phrase in line and where in line for line in heard.errors), (
            phrase,
            heard.errors,
        )
    if not row.logged:
        assert heard.errors == []


def marks(row: Row) -> list[pytest.MarkDecorator]:
    slow = row.store == "DynamoDB" or (row.store, row.fault) in SLOW_FAULTS
    return [pytest.mark.slow] if slow else []


@pytest.mark.parametrize("row", [pytest.param(r, id=r.id, marks=marks(r)) for r in ROWS])
def test_a_store_fault_costs_no_advice_and_says_nothing_false(
    row: Row, request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> None:
    if row.store == "SQLite":
        folder: Path = request.getfixturevalue("store_folder")
        with unprivileged():
            bench: Bench = sqlite_bench(folder)
            try:
                heard = run_row(row, bench, caplog)
            finally:
                bench.close()
    else:
        endpoint: str = request.getfixturevalue("moto_server")
        _, table = request.getfixturevalue("moto_table")
        bench = dynamo_bench(table, endpoint, request.getfixturevalue("monkeypatch"))
        try:
            heard = run_row(row, bench, caplog)
        finally:
            bench.close()
    check_row(row, heard, bench.where)


def test_the_table_has_one_row_for_each_fault_and_answer() -> None:
    pairs = [(row.store, row.fault, row.answer) for row in ROWS]
    assert len(pairs) == len(set(pairs))
    assert sorted(pairs) == sorted(
        (store, fault, answer) for store, fault in FAULTS for answer in ANSWERS
    )


# ------------------------------------------------------------------ beyond the table


def test_a_key_secret_that_cannot_be_made_costs_no_advice(
    store_folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Local development keeps its user key secret beside the file: a folder that cannot be
    written is a store that cannot be reached, not a turn that fails."""
    with unprivileged():
        store_folder.chmod(0o500)
        try:
            store = SqliteStore(
                store_folder / "checkins.sqlite3", None, retention(load_knowledge())
            )
            runner = Runner(build_skill(store), Session(user_id=RUNNER_ID), now=NOW)
            with caplog.at_level(logging.ERROR, logger="legcheck"):
                advice = check_in(runner)
                runner.new_session()
                summary = runner.say("HistorySummaryIntent")
        finally:
            store_folder.chmod(0o700)
    assert CAUSE in advice and ASK not in advice and EN.prompt("error") not in advice
    assert summary == EN.prompt("history_unreachable")
    assert "expected to read or make the user key secret" in caplog.text
    assert str(store_folder / "checkins.sqlite3.key") in caplog.text


@pytest.mark.slow
def test_start_remembering_that_cannot_be_kept_goes_on_with_the_check_in(
    store_folder: Path,
) -> None:
    with unprivileged():
        bench = sqlite_bench(store_folder)
        try:
            runner = Runner(build_skill(bench.healthy), Session(user_id=RUNNER_ID), now=NOW)
            question = runner.report(
                slot("Sensation", "twitching", "twitching"),
                slot("BodyPart", "calves", "lower_legs"),
            )
            with locked(bench) as store:
                runner.skill = build_skill(store)
                answer = runner.say("StartRememberingIntent")
            assert answer == f"{EN.prompt('consent_not_saved')} {question}" and runner.open
            runner.skill = build_skill(bench.healthy)
            runner.answer_all(False)
            assert CAUSE in said(runner.last)
        finally:
            bench.close()
