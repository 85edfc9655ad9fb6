"""What ``legcheck simulate`` does, with its options as plain arguments."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from skill.errors import DataError
from skill.tools.envelopes import DEFAULT_SKILL_ID
from skill.tools.models import model_path
from skill.tools.simulator.console import COMMANDS_HELP, Console, Speaker
from skill.tools.simulator.conversation import (
    Conversation,
    HttpEndpoint,
    InProcess,
    SimulatorError,
    Transport,
)
from skill.tools.simulator.nlu import InteractionModel
from skill.tools.simulator.replay import ask_replay_of, read_ask_replay, read_script, run_script


@dataclass
class Options:
    model: Path | None = None
    locale: str = "en-US"
    url: str | None = None
    db: str | None = None
    """A check-in store file, ``off`` for none, or None for a temporary one."""
    show_json: bool = False
    speak: bool = False
    replay: Path | None = None
    record: Path | None = None
    skill_id: str = DEFAULT_SKILL_ID
    screen: bool = False
    """Simulate an Echo Show: the device supports APL, and the screen is printed."""


@contextmanager
def in_process(db: str | None, store: bool = True) -> Iterator[InProcess]:
    """The skill object in this process, with a check-in store that lives as long as needed."""
    from skill.app import build_skill
    from skill.history import retention
    from skill.knowledge import load_knowledge
    from skill.store import DB_ENV, OFF_VALUES, Deployment, store_from_env

    if not store or (db is not None and db.strip().lower() in (*OFF_VALUES, "")):
        yield InProcess(build_skill(None))
        return
    kept = retention(load_knowledge())
    if db is not None:
        opened = store_from_env({**os.environ, DB_ENV: db}, Deployment.LOCAL, retention=kept)
        try:
            yield InProcess(build_skill(opened))
        finally:
            if opened is not None:
                opened.close()
        return
    with tempfile.TemporaryDirectory(prefix="legcheck-sim-") as tmp:
        # a temporary database, and its own user key secret beside it
        env = {k: v for k, v in os.environ.items() if k != "LEGCHECK_USER_KEY_SECRET"}
        opened = store_from_env(
            {**env, DB_ENV: str(Path(tmp) / "checkins.sqlite3")}, Deployment.LOCAL, retention=kept
        )
        try:
            yield InProcess(build_skill(opened))
        finally:
            if opened is not None:
                opened.close()


@contextmanager
def transport_for(options: Options, store: bool = True) -> Iterator[Transport]:
    if options.url:
        yield HttpEndpoint(options.url)
        return
    with in_process(options.db, store) as local:
        yield local


def load_model(options: Options, locale: str) -> InteractionModel:
    path = options.model or model_path(locale)
    if not path.exists():
        raise DataError([f"{path}: the interaction model is missing; pass --model PATH"])
    return InteractionModel.load(path)


def simulate(options: Options, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """Run the console (or a replay); the exit status."""
    # The skill logs each check-in at INFO; the console shows what matters.
    logging.getLogger("legcheck").setLevel(logging.WARNING)
    try:
        if options.replay is not None:
            return _replay(options, stdout, stderr)
        model = load_model(options, options.locale)
    except DataError as exc:
        for problem in exc.problems:
            print(f"legcheck simulate: {problem}", file=stderr)
        return 2
    interactive = stdin.isatty()
    with transport_for(options) as transport:
        console = _console(options, model, transport, stdout, stderr, echo=not interactive)
        if interactive:
            print(
                f"Leg Check simulator ({model.locale}, invocation name "
                f'"{model.invocation_name}", skill {_where(transport)}). Say '
                f'"open {model.invocation_name}" to start; .help lists the commands.',
                file=stdout,
                flush=True,
            )
        status = console.run(_lines(stdin, interactive))
        if options.record is not None:
            console.record(str(options.record))
        return status


def _where(transport: Transport) -> str:
    return str(getattr(transport, "where", "in-process"))


def _console(
    options: Options,
    model: InteractionModel,
    transport: Transport,
    stdout: TextIO,
    stderr: TextIO,
    echo: bool,
) -> Console:
    conversation = Conversation(model, transport, skill_id=options.skill_id, screen=options.screen)
    speaker = Speaker(model.locale, stderr) if options.speak else None
    return Console(
        conversation, stdout, stderr, show_json=options.show_json, speaker=speaker, echo=echo
    )


def _lines(stdin: TextIO, interactive: bool) -> Iterator[str]:
    if not interactive:
        yield from stdin
        return
    with suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    while True:
        try:
            yield input("User  > ")
        except EOFError:
            print(file=sys.stdout)
            return
        except KeyboardInterrupt:
            print(file=sys.stdout)
            return


def _replay(options: Options, stdout: TextIO, stderr: TextIO) -> int:
    path = options.replay
    assert path is not None
    if path.suffix == ".json":
        replay = read_ask_replay(path)
        model = load_model(options, replay.locale)
        with transport_for(options) as transport:
            console = _console(options, model, transport, stdout, stderr, echo=True)
            status = console.run(replay.user_input)
            if options.record is not None:
                console.record(str(options.record))
            return status
    script = read_script(path)
    model = load_model(options, script.locale)
    with transport_for(options, store=script.store) as transport:
        console = _console(options, model, transport, stdout, stderr, echo=True)
        print(f"# {path}: {script.description}", file=stdout, flush=True)
        try:
            result = run_script(script, console.conversation, on_turn=console.show_script_turn)
        except SimulatorError as exc:
            print(f"legcheck simulate: {exc}", file=stderr)
            return 1
    if options.record is not None:
        options.record.write_text(
            ask_replay_of(script, options.skill_id).to_json(), encoding="utf-8"
        )
        skipped = sum(1 for t in script.turns if t.user is None)
        print(
            f"        (created the ASK CLI replay file {options.record}"
            + (
                f"; {skipped} clock turn(s) left out, the ASK CLI cannot move time"
                if skipped
                else ""
            )
            + ")",
            file=stdout,
        )
    failures = result.failures
    if failures:
        print(f"legcheck simulate: {len(failures)} expectation(s) failed in {path}:", file=stderr)
        for failure in failures:
            print(f"  {failure}", file=stderr)
        return 1
    turns = sum(1 for t in script.turns if t.user is not None)
    print(f"OK: {path} ({turns} turns, every expectation met)", file=stdout)
    return 0


__all__ = ["COMMANDS_HELP", "Options", "simulate"]
