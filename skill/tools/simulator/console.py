"""The ``legcheck simulate`` console: like the developer console's test tab, in a terminal.

Type what you would say; each line is resolved against the interaction
model, sent to the skill as Alexa would send it, and answered with what
Alexa would say and show. Lines can come from a pipe, so a script holds a
whole conversation. Lines starting with a dot are console commands, as in
``ask dialog``: ``.quit``, ``.record FILE``, ``.advance DAYS`` and ``.help``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from skill.tools.simulator.conversation import Conversation, SimulatorError, Turn
from skill.tools.simulator.replay import AskReplay, ScriptTurn

COMMANDS_HELP = """\
Console commands:
  .quit            leave the simulator
  .record FILE     save what was said so far as an ASK CLI replay file (ask dialog --replay)
  .advance DAYS    move the simulated clock forward (the open session times out first)
  .help            this list
Anything else is what you say to Alexa, e.g. "open leg check", "my calves are twitching",
"yes", "help", "stop", "exit"."""


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

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def dump(self, label: str, data: dict[str, Any]) -> None:
        self.line(f"{label}:")
        self.line(json.dumps(data, indent=2, sort_keys=False))

    def show(self, turn: Turn) -> None:
        if turn.utterance and self.echo:
            self.line(f"User  > {turn.utterance}")
        self.line(f"        [{turn.resolution.describe()}]")
        if not turn.routed:
            return
        if self.show_json and turn.request is not None:
            self.dump("Request envelope", turn.request)
        if self.show_json and turn.response is not None:
            self.dump("Response envelope", turn.response)
        if turn.speech:
            self.line(f"Alexa > {turn.speech}")
        elif turn.resolution.request_type != "SessionEndedRequest":
            self.line("Alexa > (says nothing)")
        card = turn.card
        if card is not None:
            self.line(f"Card  > {card[0]}")
            for text in card[1].splitlines():
                self.line(f"        {text}")
        for n, text in enumerate(turn.screen):
            self.line(f"{'Screen>' if n == 0 else '       '} {text}")
        if not turn.session_open:
            self.line("        (the session has ended; the next line starts a new one)")
        if self.speaker is not None:
            self.speaker.say(turn.speech)

    def say(self, utterance: str) -> Turn | None:
        try:
            turn = self.conversation.say(utterance)
        except SimulatorError as exc:
            self.errors += 1
            if self.echo:
                self.line(f"User  > {utterance}")
            print(f"legcheck simulate: {exc}", file=self.err, flush=True)
            return None
        self.said.append(utterance)
        self.show(turn)
        return turn

    def advance(self, days: float) -> None:
        try:
            ended = self.conversation.advance(days=days)
        except SimulatorError as exc:
            self.errors += 1
            print(f"legcheck simulate: {exc}", file=self.err, flush=True)
            return
        if ended is not None:
            self.line(
                "        [SessionEndedRequest EXCEEDED_MAX_REPROMPTS: the open session timed out]"
            )
        self.line(f"        (the clock moves forward {days:g} day{'s' if days != 1 else ''})")

    def record(self, path: str) -> None:
        replay = AskReplay(
            self.conversation.skill_id, self.conversation.model.locale, tuple(self.said)
        )
        Path(path).write_text(replay.to_json(), encoding="utf-8")
        self.line(
            f"        (created the replay file {path}; run it with "
            f"legcheck simulate --replay {path}, or ask dialog --replay {path})"
        )

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
            if days < 0:
                print(
                    f"legcheck simulate: expected a number of days >= 0, got {arg!r}",
                    file=self.err,
                    flush=True,
                )
            else:
                self.advance(days)
        else:
            print(
                f"legcheck simulate: unknown command {text!r}; .help lists the commands",
                file=self.err,
                flush=True,
            )
        return True

    def run(self, lines: Iterable[str]) -> int:
        """Say every line; stop at .quit or the end of input. The exit status."""
        for raw in lines:
            text = raw.strip()
            if not text:
                continue
            if text.startswith("."):
                if self.echo:
                    self.line(f"User  > {text}")
                if not self.command(text):
                    break
                continue
            self.say(text)
        return 1 if self.errors else 0

    def show_script_turn(self, st: ScriptTurn, turn: Turn | None, failures: list[str]) -> None:
        if st.user is None:
            if turn is not None:
                self.line(
                    "        [SessionEndedRequest EXCEEDED_MAX_REPROMPTS: the open "
                    "session timed out]"
                )
            days = st.advance_days + st.advance_hours / 24
            self.line(f"        (the clock moves forward {days:g} day{'s' if days != 1 else ''})")
            return
        if turn is not None:
            self.said.append(turn.utterance)
            self.show(turn)
        for failure in failures:
            self.line(f"  FAIL  {failure}")
