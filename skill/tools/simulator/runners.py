"""Who is talking to the simulator: a runner's Alexa user id.

Alexa gives each account one user id per skill, the same in every session, and the skill
keys what it remembers by it. So that a check-in today and one tomorrow, from two runs of
``legcheck simulate``, belong to the same runner, the simulator never makes the id up per
run: ``--user NAME`` derives it from the name (:func:`user_id_for`, the same on every
machine and against every endpoint), and without a name it is this machine's runner, an id
made once and kept in a small file beside the default check-in store
(:data:`MACHINE_USER_FILE`), never in the clone.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from skill.store import DEFAULT_DB

USER_ID_PREFIX = "amzn1.ask.account.legcheck-sim-"
"""How every simulated runner's Alexa user id starts (real ones start ``amzn1.ask.account.``)."""
MACHINE_USER_FILE = DEFAULT_DB.parent / "simulator-user"
"""Where this machine's runner id is kept: beside the default SQLite store, made on first use."""
_ID_DIGITS = 24
_VALID_ID = re.compile(re.escape(USER_ID_PREFIX) + f"[0-9a-f]{{{_ID_DIGITS}}}")


def user_id_for(name: str) -> str:
    """The Alexa user id of the runner called ``name``: the same for the same name (case and
    surrounding spaces aside) on every machine, so two runs, or two machines talking to one
    server, are the same runner."""
    digest = hashlib.sha256(name.strip().casefold().encode("utf-8")).hexdigest()
    return USER_ID_PREFIX + digest[:_ID_DIGITS]


@dataclass(frozen=True)
class Runner:
    """Who is talking: the Alexa user id, and how to say who that is."""

    user_id: str
    name: str | None = None
    """The ``--user`` name; None for this machine's runner or a one-run runner."""
    kept_in: Path | None = None
    """The file this machine's runner id is kept in, when it is that runner."""

    @classmethod
    def named(cls, name: str) -> Runner:
        return cls(user_id_for(name), name.strip())

    @classmethod
    def one_run(cls) -> Runner:
        """A runner for this run only (the store never sees them again)."""
        return cls(USER_ID_PREFIX + secrets.token_hex(_ID_DIGITS // 2))

    @property
    def label(self) -> str:
        """Who, in a few words: the name, or which unnamed runner."""
        if self.name is not None:
            return f"runner {self.name}"
        if self.kept_in is not None:
            return "this machine's runner"
        return "a runner for this run only"

    def describe(self) -> str:
        if self.name is not None:
            return f"runner {self.name} ({self.user_id})"
        if self.kept_in is not None:
            return f"this machine's runner ({self.user_id}, kept in {self.kept_in})"
        return f"a runner for this run only ({self.user_id})"


def machine_runner(path: Path | None = None) -> tuple[Runner, str | None]:
    """This machine's runner, read from ``path`` (:data:`MACHINE_USER_FILE`), made there on
    first use; and, when the file cannot be read or written, why, with a runner for this run
    only in its place (the simulator still works, it just will not remember)."""
    path = MACHINE_USER_FILE if path is None else path
    if not path.exists():
        try:
            _make(path, Runner.one_run().user_id)
        except OSError as exc:
            return Runner.one_run(), f"could not keep this machine's runner in {path}: {_why(exc)}"
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        return Runner.one_run(), f"could not read this machine's runner from {path}: {_why(exc)}"
    if not _VALID_ID.fullmatch(text):
        return Runner.one_run(), (
            f"{path} does not hold a simulated runner's id (expected {USER_ID_PREFIX} and "
            f"{_ID_DIGITS} hex digits, got {text[:60]!r}); remove it to make a new one"
        )
    return Runner(text, kept_in=path), None


def _make(path: Path, user_id: str) -> None:
    """Write ``user_id`` to ``path`` whole, unless a run at the same moment made it first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    spare = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    spare.write_text(user_id + "\n", encoding="utf-8")
    try:
        spare.chmod(0o600)
        os.link(spare, path)  # fails if the file is there: the first run's id stays
    except FileExistsError:
        pass
    finally:
        spare.unlink(missing_ok=True)


def _why(exc: BaseException) -> str:
    return str(getattr(exc, "strerror", None) or exc)
