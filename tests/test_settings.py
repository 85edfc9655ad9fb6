"""The settings in force: every value checked at start-up, refused in one line, shown masked."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import skill.store.config as store_config
from skill.errors import ConfigError
from skill.settings import Flag, Settings, mask, skill_id_of
from skill.store import Deployment, SqliteStore, open_store
from skill.store.records import Retention
from tests.support.folders import unwritable

SECRET = "settings-test-secret-0123456789"
SKILL_ID = "amzn1.ask.skill.00000000-0000-4000-8000-settings0000"
MAY_BE = (  # written out, not imported from skill.store.config: the words are what is tested
    "off, dynamodb:TABLE, sqlite:PATH or a path to an SQLite file (one with a / in it, or a "
    "name ending in .sqlite3, .sqlite or .db)"
)


@pytest.fixture(autouse=True)
def no_aws_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS config file or profile of this machine's: a region comes only from the test."""
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def load(value: str | None, **env: str) -> Settings:
    given = dict(env)
    if value is not None:
        given["LEGCHECK_DB"] = value
    return Settings.load(Deployment.LOCAL, given)


def refusal(value: str | None, **env: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(value, **env)
    line = str(caught.value)
    assert "\n" not in line
    return line


# ------------------------------------------------------------------ what LEGCHECK_DB may be


@pytest.mark.parametrize(
    "value,line",
    [
        ("garbage", f"expected LEGCHECK_DB to be {MAY_BE}; got 'garbage'"),
        ("checkins", f"expected LEGCHECK_DB to be {MAY_BE}; got 'checkins'"),
        (
            "dynamodb",
            "expected LEGCHECK_DB to be dynamodb:TABLE with a table name after the colon; "
            "got 'dynamodb'",
        ),
        (
            "dynamodb:",
            "expected LEGCHECK_DB to be dynamodb:TABLE with a table name after the colon; "
            "got 'dynamodb:'",
        ),
        (
            "sqlite",
            "expected LEGCHECK_DB to be sqlite:PATH with a path after the colon; got 'sqlite'",
        ),
        (
            "sqlite:///tmp/x.db",
            "expected LEGCHECK_DB to be sqlite:PATH with a plain path, not a URL; got "
            "'sqlite:///tmp/x.db' (for the file /tmp/x.db, write sqlite:/tmp/x.db or just "
            "/tmp/x.db)",
        ),
        (
            "postgres://db/legcheck",
            f"expected LEGCHECK_DB to be {MAY_BE}; got 'postgres://db/legcheck', a kind of "
            "store (postgres:) Leg Check does not keep",
        ),
        (
            "/dev/null",
            "expected LEGCHECK_DB to name an SQLite file; got '/dev/null', which is a device "
            "or other special file",
        ),
    ],
)
def test_a_value_that_names_no_store_is_refused_saying_what_was_expected(
    value: str, line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert refusal(value) == line
    assert list(tmp_path.iterdir()) == [], "a refused value made a file"


@pytest.mark.parametrize("value", ["off", "OFF", " none ", "Off"])
def test_off_keeps_nothing_and_needs_no_secret(value: str) -> None:
    for deployment in Deployment:
        settings = Settings.load(deployment, {"LEGCHECK_DB": value})
        assert settings.store.kind == "off"
        assert open_store(settings.store, Retention(30)) is None


@pytest.mark.parametrize(
    "value,name",
    [
        ("{tmp}/checkins.sqlite3", "checkins.sqlite3"),
        ("sqlite:{tmp}/checkins.db", "checkins.db"),
        ("SQLite:{tmp}/data", "data"),
        ("checkins.sqlite3", "checkins.sqlite3"),
        ("local.db", "local.db"),
        ("./checkins", "checkins"),
    ],
)
def test_a_path_or_sqlite_path_names_a_file_made_absolute(
    value: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = load(value.format(tmp=tmp_path)).store
    assert (store.kind, store.path) == ("sqlite", tmp_path / name)
    assert list(tmp_path.iterdir()) == [], "checking made a file"


def test_a_folder_is_refused(tmp_path: Path) -> None:
    assert refusal(str(tmp_path)) == (
        f"expected LEGCHECK_DB to name an SQLite file; got '{tmp_path}', which is a folder"
    )


def test_a_file_that_is_not_sqlite_is_refused_an_empty_one_or_a_database_taken(
    tmp_path: Path,
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my running notes\n")
    assert refusal(str(notes)) == (
        f"expected LEGCHECK_DB to name an SQLite database; got '{notes}', a file that is not one"
    )
    assert notes.read_text() == "my running notes\n"
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    assert load(str(empty)).store.path == empty
    database = tmp_path / "kept.sqlite3"
    sqlite3.connect(database).execute("CREATE TABLE t (x)").connection.close()
    assert load(str(database)).store.path == database


def test_a_folder_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    assert refusal(f"{missing}/checkins.sqlite3") == (
        f"expected LEGCHECK_DB to name a file in a folder that exists; got "
        f"'{missing}/checkins.sqlite3', and {missing} does not exist (create it, or choose "
        f"another path)"
    )
    assert not missing.exists()
    (tmp_path / "a-file").touch()
    assert "a-file is not a folder" in refusal(f"{tmp_path}/a-file/checkins.sqlite3")


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    with unwritable(tmp_path / "read-only") as folder:
        yield folder


def test_a_folder_this_user_cannot_write_is_refused(read_only: Path) -> None:
    assert refusal(f"{read_only}/checkins.sqlite3") == (
        f"expected LEGCHECK_DB to name a file in a folder this user can write (SQLite keeps "
        f"its journal beside it); got '{read_only}/checkins.sqlite3', but {read_only} is not "
        f"writable: set LEGCHECK_DB=off to keep nothing, or a path in a writable folder"
    )


def test_a_database_this_user_cannot_write_is_refused(tmp_path: Path) -> None:
    database = tmp_path / "kept.sqlite3"
    sqlite3.connect(database).execute("CREATE TABLE t (x)").connection.close()
    with unwritable(database):
        line = refusal(str(database))
    assert line.startswith(
        f"expected LEGCHECK_DB to name an SQLite file this user can read and write; got "
        f"'{database}' ("
    )


def test_the_default_folder_is_made_when_it_can_be_and_refused_when_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read_only: Path
) -> None:
    default = tmp_path / "home" / ".local" / "share" / "legcheck" / "checkins.sqlite3"
    monkeypatch.setattr(store_config, "DEFAULT_DB", default)
    settings = load(None)
    assert (settings.store.path, settings.store.default) == (default, True)
    assert not (tmp_path / "home").exists(), "checking made the folder"
    store = open_store(settings.store, Retention(30))
    assert isinstance(store, SqliteStore) and default.parent.is_dir()
    store.close()
    unreachable = read_only / ".local" / "share" / "legcheck" / "checkins.sqlite3"
    monkeypatch.setattr(store_config, "DEFAULT_DB", unreachable)
    assert refusal(None) == (
        f"expected LEGCHECK_DB to name a file in a folder this user can write (SQLite keeps "
        f"its journal beside it); LEGCHECK_DB is not set, so check-ins go to {unreachable}, "
        f"but {read_only} is not writable: set LEGCHECK_DB=off to keep nothing, or "
        f"LEGCHECK_DB=PATH in a writable folder"
    )


def test_a_local_secret_that_cannot_be_read_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "checkins.sqlite3"
    (tmp_path / "checkins.sqlite3.key").mkdir()
    assert refusal(str(db)) == (
        f"expected the user key secret local development keeps at {db}.key to be a file; it "
        f"is not: set LEGCHECK_USER_KEY_SECRET, or remove it"
    )
    assert load(str(db), LEGCHECK_USER_KEY_SECRET=SECRET).store.path == db


def test_the_write_probe_leaves_nothing_behind(tmp_path: Path) -> None:
    load(str(tmp_path / "checkins.sqlite3"))
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ DynamoDB


def test_dynamodb_needs_a_valid_table_name() -> None:
    for table in ("ab", "my table", "x" * 256, "tablé"):
        line = refusal(f"dynamodb:{table}", LEGCHECK_USER_KEY_SECRET=SECRET, AWS_REGION="eu-west-1")
        assert line == (
            "expected LEGCHECK_DB to be dynamodb:TABLE with a DynamoDB table name (3 to 255 "
            f"letters, digits, _, - or .); got the table name {table!r}"
        )


def test_dynamodb_needs_a_region_and_says_where_it_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = {"LEGCHECK_USER_KEY_SECRET": SECRET}
    assert refusal("dynamodb:legcheck", **given) == (
        "expected an AWS region for LEGCHECK_DB=dynamodb:legcheck (AWS_REGION or "
        "AWS_DEFAULT_REGION, or region in the AWS config file); got none"
    )
    store = load("dynamodb:legcheck", AWS_DEFAULT_REGION="eu-west-2", **given).store
    assert (store.table, store.region, store.region_from) == (
        "legcheck",
        "eu-west-2",
        "AWS_DEFAULT_REGION",
    )
    both = load("dynamodb:legcheck", AWS_REGION="eu-west-1", AWS_DEFAULT_REGION="x", **given)
    assert both.store.region == "eu-west-1"
    config = tmp_path / "aws-config"
    config.write_text("[default]\nregion = ap-south-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    store = load("dynamodb:legcheck", **given).store
    assert (store.region, store.region_from) == ("ap-south-1", "the AWS config file")
    config.write_text("[default\nregion")
    assert refusal("dynamodb:legcheck", **given).startswith(
        "expected an AWS region for LEGCHECK_DB=dynamodb:legcheck; the AWS config file could "
        "not be read: "
    )


# ------------------------------------------------------------------ the secret and the skill id


@pytest.mark.parametrize(
    "deployment,env,complaint",
    [
        (Deployment.SERVER, {}, "expected LEGCHECK_USER_KEY_SECRET for server serving"),
        (Deployment.LAMBDA, {}, "expected LEGCHECK_DB on AWS Lambda"),
        (
            Deployment.LOCAL,
            {"LEGCHECK_DB": "dynamodb:legcheck"},
            "expected LEGCHECK_USER_KEY_SECRET for a DynamoDB store",
        ),
        (
            Deployment.LOCAL,
            {"LEGCHECK_DB": "dynamodb:legcheck", "LEGCHECK_USER_KEY_SECRET": "short"},
            "expected LEGCHECK_USER_KEY_SECRET of at least 16 characters, got 5",
        ),
    ],
)
def test_the_secret_rules_are_kept(
    deployment: Deployment, env: dict[str, str], complaint: str
) -> None:
    with pytest.raises(ConfigError, match=complaint):
        Settings.load(deployment, {**env, "AWS_REGION": "eu-west-1"})


@pytest.mark.parametrize(
    "value", ["legcheck", "amzn1.ask.skill.", "arn:aws:lambda:x", "amzn1.ask.skill.a b"]
)
def test_a_skill_id_that_is_not_one_is_refused(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        skill_id_of({"LEGCHECK_SKILL_ID": value})
    assert str(caught.value) == (
        "expected LEGCHECK_SKILL_ID to be the skill's application id (amzn1.ask.skill.ID, "
        f"from the Alexa developer console); got {value!r}"
    )
    with pytest.raises(ConfigError, match="expected --skill-id to be"):
        skill_id_of({}, {"LEGCHECK_SKILL_ID": Flag("--skill-id", value)})


def test_a_skill_id_is_taken_from_a_flag_before_the_environment() -> None:
    assert skill_id_of({}) == (None, "default")
    assert skill_id_of({"LEGCHECK_SKILL_ID": SKILL_ID}) == (SKILL_ID, "environment")
    old = "amzn1.echo-sdk-ams.app.0000"
    flags = {"LEGCHECK_SKILL_ID": Flag("--skill-id", old)}
    assert skill_id_of({"LEGCHECK_SKILL_ID": SKILL_ID}, flags) == (old, "flag --skill-id")


# ------------------------------------------------------------------ what legcheck config shows


def test_each_line_says_where_the_value_came_from_and_masks_the_secret(tmp_path: Path) -> None:
    db = tmp_path / "checkins.sqlite3"
    env = {"LEGCHECK_DB": "garbage", "LEGCHECK_USER_KEY_SECRET": SECRET}
    settings = Settings.load(Deployment.SERVER, env, {"LEGCHECK_DB": Flag("--db", str(db))})
    assert settings.lines() == [
        f"LEGCHECK_DB: {db} (flag --db): check-ins in the SQLite file {db}, made when first used",
        f"LEGCHECK_USER_KEY_SECRET: se*** ({len(SECRET)} characters) (environment)",
        "LEGCHECK_SKILL_ID: none (default): needed to verify requests (legcheck serve, gunicorn)",
        "LEGCHECK_REMINDERS: off (default): no reminder is offered",
    ]
    assert SECRET[2:] not in "\n".join(settings.lines())
    assert mask("abcdefghijklmnopq") == "ab*** (17 characters)"


def test_the_lines_of_a_dynamodb_store_name_its_region(tmp_path: Path) -> None:
    env = {
        "LEGCHECK_DB": "dynamodb:legcheck",
        "LEGCHECK_USER_KEY_SECRET": SECRET,
        "AWS_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000",
        "LEGCHECK_SKILL_ID": SKILL_ID,
    }
    assert Settings.load(Deployment.LAMBDA, env).lines() == [
        "LEGCHECK_DB: dynamodb:legcheck (environment): check-ins in the DynamoDB table legcheck",
        f"LEGCHECK_USER_KEY_SECRET: se*** ({len(SECRET)} characters) (environment)",
        "AWS region: eu-west-1 (environment AWS_REGION)",
        "AWS_ENDPOINT_URL_DYNAMODB: http://127.0.0.1:8000 (environment)",
        f"LEGCHECK_SKILL_ID: {SKILL_ID} (environment)",
        "LEGCHECK_REMINDERS: off (default): no reminder is offered",
    ]


def test_the_default_store_and_its_secret_are_shown_as_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = tmp_path / "checkins.sqlite3"
    monkeypatch.setattr(store_config, "DEFAULT_DB", default)
    lines = Settings.load(Deployment.LOCAL, {}).lines()
    assert lines[:2] == [
        f"LEGCHECK_DB: {default} (default): check-ins in the SQLite file {default}, made "
        "when first used",
        f"LEGCHECK_USER_KEY_SECRET: none (default): local development: one is made and kept "
        f"in {default}.key",
    ]
    assert Settings.load(Deployment.LOCAL, {"LEGCHECK_DB": "off"}).lines()[:2] == [
        "LEGCHECK_DB: off (environment): nothing is stored",
        "LEGCHECK_USER_KEY_SECRET: none (default): not needed, since nothing is stored",
    ]


def test_settings_are_read_from_the_process_environment_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEGCHECK_DB", "off")
    monkeypatch.setenv("LEGCHECK_SKILL_ID", SKILL_ID)
    settings = Settings.load()
    assert (settings.store.kind, settings.skill_id) == ("off", SKILL_ID)
    assert os.environ["LEGCHECK_DB"] == "off"
