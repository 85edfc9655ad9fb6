"""What ``legcheck simulate`` does, with its options as plain arguments."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from skill.errors import DataError
from skill.tools.envelopes import DEFAULT_SKILL_ID
from skill.tools.models import model_locales, model_path
from skill.tools.simulator.alexa_apis import LocalAlexaApis, zone_for
from skill.tools.simulator.answers import Answers, read_answers
from skill.tools.simulator.console import (
    COMMANDS_HELP,
    MAX_DAYS,
    Console,
    Speaker,
    transport_where,
    wants_colour,
)
from skill.tools.simulator.conversation import (
    Conversation,
    HttpEndpoint,
    InProcess,
    SimulatorError,
    Transport,
)
from skill.tools.simulator.nlu import InteractionModel
from skill.tools.simulator.replay import (
    alexa_apis_for,
    ask_replay_of,
    read_ask_replay,
    read_script,
    run_script,
)
from skill.tools.simulator.runners import Runner, machine_runner


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
    user: str | None = None
    """The runner's name (their user id is derived from it); None: this machine's runner
    (a replay: a runner for that run only)."""
    answers: Path | None = None
    """An answers file: the runner's answers, given as the questions come."""
    days_later: str | float = 0.0
    """Start the simulated clock this many days from now."""
    colour: bool | None = None
    """Colour the output; None: when it goes to a terminal and NO_COLOR is not set."""
    reminders: bool = False
    """Offer the next-day reminder, with Alexa's Reminders and Settings APIs answered on
    loopback (:class:`~skill.tools.simulator.alexa_apis.LocalAlexaApis`)."""


@contextmanager
def in_process(db: str | None, store: bool = True, reminders: bool = False) -> Iterator[InProcess]:
    """The skill object in this process, with a check-in store that lives as long as needed;
    offering reminders when ``reminders`` is true."""
    from skill.app import build_skill
    from skill.history import retention
    from skill.knowledge import load_knowledge
    from skill.store import (
        DB_ENV,
        OFF_VALUES,
        SECRET_ENV,
        Deployment,
        StoreConfig,
        open_store,
        store_from_env,
    )

    if not store or (db is not None and db.strip().lower() in (*OFF_VALUES, "")):
        yield InProcess(build_skill(None, reminders=reminders))
        return
    kept = retention(load_knowledge())
    if db is not None:
        secret = os.environ.get(SECRET_ENV)
        config = StoreConfig.parse(db, secret, Deployment.LOCAL, env=os.environ, name="--db")
        opened = open_store(config, kept)
        try:
            yield InProcess(build_skill(opened, reminders=reminders), opened)
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
            yield InProcess(build_skill(opened, reminders=reminders), opened)
        finally:
            if opened is not None:
                opened.close()


@contextmanager
def transport_for(
    options: Options, store: bool = True, reminders: bool = False
) -> Iterator[Transport]:
    if options.url:
        yield HttpEndpoint(options.url)
        return
    with in_process(options.db, store, reminders) as local:
        yield local


@contextmanager
def alexa_apis(options: Options, locale: str) -> Iterator[LocalAlexaApis | None]:
    """The simulated Alexa APIs, running, when ``--reminders`` asks for them."""
    if not options.reminders:
        yield None
        return
    with LocalAlexaApis(zone_for(locale)) as apis:
        yield apis


def load_model(options: Options, locale: str) -> InteractionModel:
    path = options.model or model_path(locale)
    if not path.exists():
        raise DataError([f"{path}: the interaction model is missing; pass --model PATH"])
    try:
        model = InteractionModel.load(path)
    except OSError as exc:
        raise DataError([f"{path}: cannot be read: {exc.strerror or exc}"]) from exc
    if model.locale not in model_locales():
        model.locale = locale  # a model file named otherwise talks in the --locale given
    return model


def check_options(options: Options) -> float:
    """Refuse what cannot work before anything is said: :class:`DataError` with one line a
    problem. The days the clock starts ahead."""
    problems = []
    known = model_locales()
    if options.locale not in known:
        problems.append(
            f"expected --locale to be one of {', '.join(known)} (the markets with a model in "
            f"interaction_model/); got {options.locale!r}"
        )
    if options.user is not None and not options.user.strip():
        problems.append(f"expected --user NAME, a runner's name; got {options.user!r}")
    try:
        days = float(options.days_later)
    except ValueError:
        days = -1.0
    if not 0 <= days <= MAX_DAYS:
        problems.append(
            f"expected --days-later DAYS, a number from 0 to {MAX_DAYS}; got {options.days_later!r}"
        )
    if options.url:
        try:
            HttpEndpoint(options.url)
        except SimulatorError as exc:
            problems.append(f"--url: {exc}")
    if options.record is not None:
        folder = options.record.parent
        if not folder.is_dir():
            problems.append(f"--record {options.record}: the folder {folder} does not exist")
        elif options.record.is_dir():
            problems.append(f"--record {options.record}: is a folder, not a file")
    if options.answers is not None and options.replay is not None:
        problems.append(
            "--answers gives the console its answers; --replay runs a script with its own: "
            "choose one"
        )
    if problems:
        raise DataError(problems)
    return days


def simulate(options: Options, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """Run the console (or a replay); the exit status."""
    # The skill logs each check-in at INFO; the console shows what matters.
    logging.getLogger("legcheck").setLevel(logging.WARNING)
    answers: Answers | None = None
    try:
        days = check_options(options)
        if options.replay is not None:
            return _replay(options, stdout, stderr, days)
        model = load_model(options, options.locale)
        if options.answers is not None:
            answers = read_answers(options.answers)
    except DataError as exc:
        for problem in exc.problems:
            print(f"legcheck simulate: {problem}", file=stderr)
        return 2
    runner = _runner(options, stderr)
    interactive = stdin.isatty()
    with (
        alexa_apis(options, model.locale) as apis,
        transport_for(options, reminders=options.reminders) as transport,
    ):
        console = _console(
            options, model, transport, stdout, stderr, echo=not interactive, runner=runner
        )
        console.conversation.alexa = apis
        console.conversation.offset = timedelta(days=days)
        console.answers = answers
        console.models = None if options.model else _model_of(options)
        console.locales = tuple(model_locales())
        if interactive:
            console.line(
                f"Leg Check simulator ({model.locale}, invocation name "
                f'"{model.invocation_name}", skill {transport_where(transport)}). Say '
                f'"open {model.invocation_name}" to start; .help lists the commands.'
            )
        if interactive or options.user is not None:
            console.note(f"(talking as {runner.describe()})")
        if apis is not None:
            console.note(_alexa_note(apis, options))
        if days:
            console.note(_clock_note(console.conversation, days))
        status = console.run(_lines(stdin, interactive, console.prompt()))
        if options.record is not None:
            console.record(str(options.record))
        return 1 if console.errors else status


def _alexa_note(apis: LocalAlexaApis, options: Options) -> str:
    where = (
        f"; the skill at {options.url} must run with LEGCHECK_REMINDERS=on" if options.url else ""
    )
    return (
        f"(Alexa's Reminders and Settings APIs answered at {apis.url}: the device is in "
        f"{apis.zone}; the reminders permission is not granted (.permission grant){where})"
    )


def _model_of(options: Options) -> Callable[[str], InteractionModel]:
    def load(locale: str) -> InteractionModel:
        return load_model(options, locale)

    return load


def _runner(options: Options, stderr: TextIO) -> Runner:
    """Who talks in the console: the named runner, else this machine's."""
    if options.user is not None:
        return Runner.named(options.user)
    runner, problem = machine_runner()
    if problem is not None:
        print(
            f"legcheck simulate: {problem}; this run talks as a runner for this run only",
            file=stderr,
            flush=True,
        )
    return runner


def _clock_note(conversation: Conversation, days: float) -> str:
    return (
        f"(the clock starts {days:g} day{'s' if days != 1 else ''} ahead: "
        f"{conversation.now():%Y-%m-%d %H:%M} UTC)"
    )


def _console(
    options: Options,
    model: InteractionModel,
    transport: Transport,
    stdout: TextIO,
    stderr: TextIO,
    echo: bool,
    runner: Runner | None = None,
) -> Console:
    conversation = Conversation(
        model,
        transport,
        skill_id=options.skill_id,
        screen=options.screen,
        user_id=runner.user_id if runner is not None else "",
    )
    speaker = Speaker(model.locale, stderr) if options.speak else None
    colour = wants_colour(stdout) if options.colour is None else options.colour
    return Console(
        conversation,
        stdout,
        stderr,
        show_json=options.show_json,
        speaker=speaker,
        echo=echo,
        colour=colour,
        runner=runner,
    )


def _lines(stdin: TextIO, interactive: bool, prompt: str = "User  > ") -> Iterator[str]:
    if not interactive:
        yield from stdin
        return
    with suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    while True:
        try:
            yield input(prompt)
        except EOFError:
            print(file=sys.stdout)
            return
        except KeyboardInterrupt:
            print(file=sys.stdout)
            return


def _replay(options: Options, stdout: TextIO, stderr: TextIO, days: float) -> int:
    path = options.replay
    assert path is not None
    # a replay is a fresh runner each run (its expectations assume one), unless named
    runner = Runner.named(options.user) if options.user is not None else None
    if path.suffix == ".json":
        replay = read_ask_replay(path)
        model = load_model(options, replay.locale)
        with (
            alexa_apis(options, model.locale) as apis,
            transport_for(options, reminders=options.reminders) as transport,
        ):
            console = _console(options, model, transport, stdout, stderr, echo=True, runner=runner)
            console.conversation.offset = timedelta(days=days)
            console.conversation.alexa = apis
            if runner is not None:
                console.note(f"(talking as {runner.describe()})")
            status = console.run(replay.user_input)
            if options.record is not None:
                console.record(str(options.record))
            return 1 if console.errors else status
    script = read_script(path)
    model = load_model(options, script.locale)
    with (
        alexa_apis_for(script) as apis,
        transport_for(options, store=script.store, reminders=apis is not None) as transport,
    ):
        console = _console(options, model, transport, stdout, stderr, echo=True, runner=runner)
        console.conversation.offset = timedelta(days=days)
        console.conversation.alexa = apis
        console.conversation.clock = script.now
        print(f"# {path}: {script.description}", file=stdout, flush=True)
        if runner is not None:
            console.note(f"(talking as {runner.describe()})")
        try:
            result = run_script(script, console.conversation, on_turn=console.show_script_turn)
        except SimulatorError as exc:
            print(f"legcheck simulate: {exc}", file=stderr)
            return 1
    if options.record is not None:
        try:
            options.record.write_text(
                ask_replay_of(script, options.skill_id).to_json(), encoding="utf-8"
            )
        except OSError as exc:
            print(
                f"legcheck simulate: could not write the replay file {options.record}: "
                f"{exc.strerror or exc}",
                file=stderr,
            )
            return 1
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
