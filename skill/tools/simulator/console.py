"""The ``legcheck simulate`` console: like the developer console's test tab, in a terminal.

Type what you would say; each line is resolved against the interaction
model, sent to the skill as Alexa would send it, and answered with what
Alexa would say and show. Lines can come from a pipe, so a script holds a
whole conversation. Lines starting with a dot are console commands, as in
``ask dialog``: ``.quit``, ``.record FILE``, ``.advance DAYS``, ``.user``, ``.locale``,
``.history``, ``.help``, and with ``--reminders`` ``.permission``, ``.consent`` and
``.reminders``. With an answers file (:mod:`~skill.tools.simulator.answers`) the
runner's answers come as the questions do. On a terminal the runner, Alexa, the card and the
console's notes each have a colour; piped, or with ``NO_COLOR`` set, the output is plain.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from skill.errors import DataError
from skill.tools.simulator.answers import MAX_ANSWERS_IN_A_ROW, Answers
from skill.tools.simulator.conversation import Conversation, InProcess, SimulatorError, Turn
from skill.tools.simulator.nlu import InteractionModel
from skill.tools.simulator.replay import AskReplay, ScriptTurn
from skill.tools.simulator.runners import Runner

COMMANDS_HELP = """\
Console commands:
  .quit            leave the simulator
  .record FILE     save what was said so far as an ASK CLI replay file (ask dialog --replay)
  .advance DAYS    move the simulated clock forward (the open session times out first)
  .user [NAME]     who is talking; with a name, that runner talks from now on (a new session)
  .locale [LOCALE] the market; with a locale, talk in that market from now on (a new session)
  .history         what the check-in store keeps for this runner, as the skill reads it
  .permission [grant|revoke]
                   with --reminders: whether the reminders permission is granted; grant or
                   take it back, as in the Alexa app
  .consent accept|deny|none
                   with --reminders: answer Alexa's own "may Leg Check set reminders?" (or
                   just say yes, "I approve", or no)
  .reminders [fail STATUS|ok]
                   with --reminders: the reminders set so far; make setting one fail with an
                   HTTP status (429, 500, 503...), or work again
  .help            this list
Anything else is what you say to Alexa, e.g. "open leg check", "my calves are twitching",
"yes", "help", "stop", "exit"."""


STYLES = {
    "user": "\033[1;36m",  # bold cyan
    "alexa": "\033[32m",  # green
    "card": "\033[33m",  # yellow
    "screen": "\033[35m",  # magenta
    "reminder": "\033[34m",  # blue
    "note": "\033[2m",  # dim
}
"""The colour of each kind of line on a terminal (ANSI SGR codes)."""
RESET = "\033[0m"
MAX_DAYS = 3650
"""The most the clock moves in one go (``.advance``, ``--days-later``): ten years, far past
any retention, and far from the calendar's end."""


def wants_colour(out: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """Colours only on a terminal, and not when ``NO_COLOR`` is set (https://no-color.org)
    or the terminal says it cannot show them (``TERM=dumb``)."""
    env = os.environ if env is None else env
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


class Speaker:
    """Read speech aloud with espeak-ng, where it is installed."""

    def __init__(self, locale: str, err: TextIO) -> None:
        self.exe = shutil.which("espeak-ng") or shutil.which("espeak")
        self.voice = locale.lower()
        self.err = err
        self.failed = False
        if self.exe is None:
            print(
                "legcheck simulate: --speak needs espeak-ng, which is not installed here "
                "(on Debian or Ubuntu: apt-get install espeak-ng); showing the speech as "
                "text only",
                file=err,
                flush=True,
            )

    @property
    def available(self) -> bool:
        return self.exe is not None and not self.failed

    def say(self, text: str) -> None:
        if not text or not self.available or self.exe is None:
            return
        try:
            done = subprocess.run(
                [self.exe, "-v", self.voice, text],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            ok, reason = False, str(exc)
        else:
            # with no sound device espeak-ng still exits 0, but says so on stderr
            problems = [ln for ln in done.stderr.splitlines() if "error" in ln.lower()]
            ok = done.returncode == 0 and not problems
            reason = (
                problems or done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
            )[-1].strip()
        if not ok:
            self.failed = True
            print(
                f"legcheck simulate: espeak-ng could not play the speech ({reason}); is "
                "there a sound device? Showing the speech as text only from now on",
                file=self.err,
                flush=True,
            )


@dataclass
class Console:
    """Prints turns the way the developer console shows them."""

    conversation: Conversation
    out: TextIO
    err: TextIO
    show_json: bool = False
    speaker: Speaker | None = None
    echo: bool = True
    """Print the user's words (when they come from a pipe or a file)."""
    said: list[str] = field(default_factory=list)
    errors: int = 0
    colour: bool = False
    """Colour each kind of line (on a terminal)."""
    runner: Runner | None = None
    """Who is talking (``.user``); None: the conversation's own user id, unnamed."""
    answers: Answers | None = None
    """The scripted runner's answers, given as the questions come."""
    models: Callable[[str], InteractionModel] | None = None
    """Loads the model of a locale for ``.locale``; None when the model was given as a file."""
    locales: tuple[str, ...] = ()
    """The locales ``.locale`` may switch to."""

    def line(self, text: str = "", style: str | None = None) -> None:
        if self.colour and style is not None and text:
            text = f"{STYLES[style]}{text}{RESET}"
        print(text, file=self.out, flush=True)

    def note(self, text: str) -> None:
        """A line from the console itself, not from the skill."""
        self.line(f"        {text}", "note")

    def problem(self, text: str) -> None:
        print(f"legcheck simulate: {text}", file=self.err, flush=True)

    def prompt(self) -> str:
        """The prompt for typed input; a colour code is wrapped so line editing counts only
        what is seen."""
        if not self.colour:
            return "User  > "
        return f"\001{STYLES['user']}\002User  > \001{RESET}\002"

    def dump(self, label: str, data: dict[str, Any]) -> None:
        self.line(f"{label}:")
        self.line(json.dumps(data, indent=2, sort_keys=False))

    def show(self, turn: Turn, echo: bool | None = None) -> None:
        if turn.utterance and (self.echo if echo is None else echo):
            self.line(f"User  > {turn.utterance}", "user")
        self.note(f"[{turn.resolution.describe()}]")
        if not turn.routed:
            return
        if self.show_json and turn.request is not None:
            self.dump("Request envelope", turn.request)
        if self.show_json and turn.response is not None:
            self.dump("Response envelope", turn.response)
        if turn.speech:
            self.line(f"Alexa > {turn.speech}", "alexa")
        elif turn.resolution.request_type != "SessionEndedRequest":
            self.line("Alexa > (says nothing)", "alexa")
        card = turn.card
        if card is not None:
            self.line(f"Card  > {card[0]}", "card")
            for text in card[1].splitlines():
                self.line(f"        {text}", "card")
        for n, text in enumerate(turn.screen):
            self.line(f"{'Screen>' if n == 0 else '       '} {text}", "screen")
        for reminder in turn.reminders:
            self.line(f"Reminder> set for {reminder.describe()}", "reminder")
        if turn.asks_permission is not None:
            self.note(
                '(Alexa asks: "Do you give Leg Check permission to set reminders? You can say '
                'I approve or no." Answer: yes, "I approve" or no, or .consent accept, deny '
                "or none)"
            )
        elif not turn.session_open:
            self.note("(the session has ended; the next line starts a new one)")
        if self.speaker is not None:
            self.speaker.say(turn.speech)

    def say(self, utterance: str, echo: bool | None = None) -> Turn | None:
        try:
            turn = self.conversation.say(utterance)
        except SimulatorError as exc:
            self.errors += 1
            if self.echo if echo is None else echo:
                self.line(f"User  > {utterance}", "user")
            self.problem(str(exc))
            return None
        self.said.append(utterance)
        self.show(turn, echo)
        return turn

    def answer(self, turn: Turn | None) -> None:
        """Give the answers file's answers while the session is open and a rule matches."""
        answers = self.answers
        if answers is None:
            return
        given = 0
        while turn is not None and turn.routed and turn.session_open:
            rule = answers.answer(turn.speech)
            if rule is None:
                self.note(
                    f"(no answer in {answers.path} matches what Alexa said; "
                    + ("the next line answers)" if self.echo else "your turn)")
                )
                return
            if given == MAX_ANSWERS_IN_A_ROW:
                self.note(
                    f"(the answers stop: {given} in a row in one session; is a rule in "
                    f"{answers.path} answering a question the skill keeps asking?)"
                )
                return
            given += 1
            turn = self.say(rule.answer, echo=True)

    def advance(self, days: float) -> None:
        try:
            ended = self.conversation.advance(days=days)
        except SimulatorError as exc:
            self.errors += 1
            self.problem(str(exc))
            return
        if ended is not None:
            self.note("[SessionEndedRequest EXCEEDED_MAX_REPROMPTS: the open session timed out]")
        self.note(f"(the clock moves forward {days:g} day{'s' if days != 1 else ''})")

    def record(self, path: str) -> None:
        replay = AskReplay(
            self.conversation.skill_id, self.conversation.model.locale, tuple(self.said)
        )
        try:
            Path(path).write_text(replay.to_json(), encoding="utf-8")
        except OSError as exc:
            self.errors += 1
            self.problem(f"could not write the replay file {path}: {exc.strerror or exc}")
            return
        self.note(
            f"(created the replay file {path}; run it with "
            f"legcheck simulate --replay {path}, or ask dialog --replay {path})"
        )

    # ------------------------------------------------------------------ who, where, what is kept

    def who(self, full: bool = False) -> str:
        """Who is talking: a label, or (``full``) with the user id and where it is kept."""
        if self.runner is not None:
            return self.runner.describe() if full else self.runner.label
        return f"the runner {self.conversation.user_id}"

    def _ended(self, turn: Turn | None) -> None:
        if turn is not None:
            self.note("[SessionEndedRequest USER_INITIATED: the open session ended]")

    def switch_user(self, name: str) -> None:
        runner = Runner.named(name)
        self._ended(self.conversation.switch_user(runner.user_id))
        self.runner = runner
        self.note(f"(talking as {self.who(full=True)})")

    def switch_locale(self, locale: str) -> None:
        if self.models is None:
            self.problem(
                f".locale switches between the models in interaction_model/; this run "
                f"talks through the model {self.conversation.model.source} (--model)"
            )
            return
        if locale not in self.locales:
            self.problem(f"expected a locale, one of {', '.join(self.locales)}; got {locale!r}")
            return
        try:
            model = self.models(locale)
        except DataError as exc:
            self.errors += 1
            for text in exc.problems:
                self.problem(text)
            return
        self._ended(self.conversation.switch_model(model))
        if self.speaker is not None:
            self.speaker.voice = model.locale.lower()
        self.note(f"({self.where()})")

    def where(self) -> str:
        model = self.conversation.model
        return f"locale {model.locale}, the interaction model {model.source}"

    def show_history(self) -> None:
        """What the store keeps for this runner, read as the skill reads it (its
        :class:`~skill.memory.Memory`, on the simulated day)."""
        conversation = self.conversation
        transport = conversation.transport
        if not isinstance(transport, InProcess):
            self.note(
                f"(.history reads the store in this process only; over {transport_where(transport)}"
                " the store is the server's: say \"how have my legs been\" to hear the skill's"
                " own summary)"
            )
            return
        if transport.store is None:
            self.note("(no check-in store in this run (--db off): nothing is kept)")
            return
        memory = conversation.memory()
        where = transport.store.describe()
        if memory.problem is not None:
            self.note(f"(the {where} could not be read: {memory.problem})")
            return
        record = memory.recall()
        if record.empty:
            self.note(f"(nothing is kept for {self.who()} in the {where})")
            return
        kept = len(record.checkins)
        self.note(
            f"({self.who()}: consent {record.consent.value}; {kept} check-in"
            f"{'' if kept == 1 else 's'} kept in the {where}, as of {memory.today})"
        )
        for checkin in record.checkins:
            self.note(
                f"{checkin.day}  {', '.join(checkin.features) or '(no symptoms)'}"
                f"  -> {checkin.cause} ({checkin.level})"
            )

    # ------------------------------------------------------------------ reminders

    def permission(self, arg: str) -> None:
        """``.permission [grant|revoke]``: show or change the reminders permission."""
        apis = self.conversation.alexa
        if apis is None:
            self.problem(
                ".permission needs the simulated Alexa APIs: legcheck simulate --reminders"
            )
            return
        if arg in ("grant", "revoke"):
            self.conversation.grant(arg == "grant")
        elif arg:
            self.problem(f"expected .permission grant or .permission revoke, got {arg!r}")
            return
        self.note(
            "(the reminders permission is "
            + ("granted" if apis.granted else "not granted")
            + ", as the Alexa app would show it)"
        )

    def consent(self, arg: str) -> None:
        """``.consent accept|deny|none``: answer Alexa's permission question."""
        from skill.tools.simulator.replay import CONSENT_ANSWERS

        if self.conversation.asked_permission is None:
            self.problem(".consent answers Alexa's permission question, and none is asked now")
            return
        answer = CONSENT_ANSWERS.get(arg)
        if answer is None:
            self.problem(f"expected .consent accept, deny or none, got {arg!r}")
            return
        try:
            turn = self.conversation.answer_permission(answer)
        except SimulatorError as exc:
            self.errors += 1
            self.problem(str(exc))
            return
        self.show(turn)

    def reminders(self, arg: str) -> None:
        """``.reminders [fail STATUS|ok]``: the reminders set, or how setting one answers."""
        apis = self.conversation.alexa
        if apis is None:
            self.problem(".reminders needs the simulated Alexa APIs: legcheck simulate --reminders")
            return
        name, _, status = arg.partition(" ")
        if name == "fail":
            code = int(status) if status.strip().isdigit() else 0
            if not 300 <= code <= 599:
                self.problem(
                    "expected .reminders fail STATUS, an HTTP status from 300 to 599; "
                    f"got {status!r}"
                )
                return
            apis.failure = code
            self.note(f"(setting a reminder now fails with HTTP {code}; .reminders ok undoes it)")
            return
        if name == "ok":
            apis.failure = None
            self.note("(setting a reminder works again)")
            return
        if name:
            self.problem(
                f"expected .reminders, .reminders fail STATUS or .reminders ok; got {arg!r}"
            )
            return
        if not apis.reminders:
            self.note("(no reminder has been set in this run)")
        for reminder in apis.reminders:
            self.note(f"reminder set for {reminder.describe()}")

    # ------------------------------------------------------------------ commands

    def command(self, text: str) -> bool:
        """Run a console command; False when the console should stop."""
        name, _, arg = text.partition(" ")
        arg = arg.strip()
        if name == ".quit":
            return False
        if name == ".help":
            self.line(COMMANDS_HELP)
        elif name == ".record" and arg:
            self.record(arg.split()[0])
        elif name == ".advance" and arg:
            try:
                days = float(arg)
            except ValueError:
                days = -1.0
            if not 0 <= days <= MAX_DAYS:
                self.problem(f"expected a number of days from 0 to {MAX_DAYS}, got {arg!r}")
            else:
                self.advance(days)
        elif name == ".user":
            if arg:
                self.switch_user(arg)
            else:
                self.note(f"(talking as {self.who(full=True)})")
        elif name == ".locale":
            if arg:
                self.switch_locale(arg)
            else:
                self.note(f"({self.where()}; .locale LOCALE switches)")
        elif name == ".history":
            self.show_history()
        elif name == ".permission":
            self.permission(arg)
        elif name == ".consent" and arg:
            self.consent(arg)
        elif name == ".reminders":
            self.reminders(arg)
        else:
            self.problem(f"unknown command {text!r}; .help lists the commands")
        return True

    def run(self, lines: Iterable[str]) -> int:
        """Say every line; stop at .quit or the end of input. The exit status."""
        if self.answers is not None and self.answers.start is not None:
            self.answer(self.say(self.answers.start, echo=True))
        for raw in lines:
            text = raw.strip()
            if not text:
                continue
            if text.startswith("."):
                if self.echo:
                    self.line(f"User  > {text}", "user")
                if not self.command(text):
                    break
                continue
            self.answer(self.say(text))
        return 1 if self.errors else 0

    def show_script_turn(self, st: ScriptTurn, turn: Turn | None, failures: list[str]) -> None:
        if st.user is None:
            if turn is not None:
                self.note(
                    "[SessionEndedRequest EXCEEDED_MAX_REPROMPTS: the open session timed out]"
                )
            days = st.advance_days + st.advance_hours / 24
            self.note(f"(the clock moves forward {days:g} day{'s' if days != 1 else ''})")
            return
        if turn is not None:
            self.said.append(turn.utterance)
            self.show(turn)
        for failure in failures:
            self.line(f"  FAIL  {failure}")


def transport_where(transport: object) -> str:
    """Where a transport delivers: a URL, or ``in-process``."""
    return str(getattr(transport, "where", "in-process"))
