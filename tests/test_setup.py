"""``scripts/setup``, as a newcomer meets it: it says what it is doing and how long it may take,
stays quiet when there is nothing to do, and replaces a ``.venv`` it cannot use with a one-line
note instead of failing every later run.

The script runs for real (bash) in a temporary copy of the clone's top folder, with a stand-in
Python that reports the version a case needs, makes a ``.venv`` of stand-ins like itself, and
records what pip was asked instead of installing anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from skill.tools.paths import REPO_ROOT

pytestmark = pytest.mark.slow  # bash and a stand-in Python in subprocesses

FAKE_PYTHON = r"""
import os, sys

version, args = sys.argv[1], sys.argv[2:]
here = os.path.dirname(os.path.abspath(sys.argv[0]))


def write_python(path, version):
    with open(path, "w") as f:
        me = os.path.abspath(__file__)
        f.write(f'#!/bin/sh\nexec "{sys.executable}" "{me}" {version} "$@"\n')
    os.chmod(path, 0o755)


if args[:1] == ["-c"]:
    sys.version_info = tuple(int(n) for n in version.split(".")) + ("final", 0)
    exec(args[1])
elif args[:2] == ["-m", "venv"]:
    venv = os.path.abspath(args[2])
    os.makedirs(os.path.join(venv, "bin"))
    write_python(os.path.join(venv, "bin", "python"), version)
    with open(os.path.join(venv, "bin", "pip"), "w") as f:
        f.write(f"#!{venv}/bin/python\n")
elif args[:2] == ["-m", "pip"]:
    with open("pip-calls.log", "a") as f:
        f.write(" ".join(args[2:]) + "\n")
    sys.exit(int(os.environ.get("FAKE_PIP_FAILS", "0")))
else:
    sys.exit(f"stand-in python: unexpected {args}")
"""


class Clone:
    """A temporary copy of what ``scripts/setup`` reads, and a stand-in Python."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "scripts").mkdir()
        shutil.copy2(REPO_ROOT / "scripts" / "setup", root / "scripts" / "setup")
        shutil.copy2(REPO_ROOT / "pyproject.toml", root / "pyproject.toml")
        self.fake = root / "fake_python.py"
        self.fake.write_text(FAKE_PYTHON, encoding="utf-8")
        # the console's outside parts, already there: a Chromium and the npm renderer
        self.chromium = root / "chromium"
        self.chromium.write_text("#!/bin/sh\n", encoding="utf-8")
        self.chromium.chmod(0o755)
        (root / "skill" / "tools" / "console" / "node_modules" / "apl-viewhost-web").mkdir(
            parents=True
        )
        self.bin = root / "bin"  # stand-ins for apt-get, id, sudo and npm, when a case adds them
        self.bin.mkdir()

    def python(self, version: str, name: str = "python") -> Path:
        """A stand-in interpreter of ``version``."""
        path = self.root / f"{name}{version}"
        path.write_text(
            f'#!/bin/sh\nexec "{sys.executable}" "{self.fake}" {version} "$@"\n', encoding="utf-8"
        )
        path.chmod(0o755)
        return path

    def setup(self, python: Path | str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(self.root / "scripts" / "setup")],
            capture_output=True,
            text=True,
            timeout=60,
            env={
                **os.environ,
                "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
                "PYTHON": str(python),
                "LEGCHECK_CHROMIUM": str(self.chromium),
                **env,
            },
            check=False,
        )

    def stand_in(self, command: str, script: str = "") -> None:
        """A ``command`` on PATH that records its arguments in calls.log, then runs ``script``."""
        path = self.bin / command
        path.write_text(
            f'#!/bin/sh\necho "{command} $*" >>"{self.root}/calls.log"\n{script}\n',
            encoding="utf-8",
        )
        path.chmod(0o755)

    def calls(self) -> list[str]:
        log = self.root / "calls.log"
        return log.read_text(encoding="utf-8").splitlines() if log.exists() else []

    def pip_calls(self) -> list[str]:
        log = self.root / "pip-calls.log"
        calls = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        log.unlink(missing_ok=True)
        return calls


@pytest.fixture
def clone(tmp_path: Path) -> Clone:
    return Clone(tmp_path)


def test_a_first_run_says_what_it_does_and_how_long_it_may_take(clone: Clone) -> None:
    python = clone.python("3.11.7")
    done = clone.setup(python)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"== creating .venv with {python} (Python 3.11.7; the first set-up takes about a minute)",
        "== installing Leg Check and its tools into .venv (pip; the first time about 40 s)",
    ]
    assert done.stderr == ""
    assert clone.pip_calls() == ["install --upgrade pip", "install -e .[web,tools,dev]"]


def test_a_second_run_is_one_heading_and_installs_nothing(clone: Clone) -> None:
    python = clone.python("3.11.7")
    assert clone.setup(python).returncode == 0
    clone.pip_calls()
    again = clone.setup(python)
    assert again.returncode == 0
    assert again.stdout.splitlines() == [
        "== .venv is up to date (Python 3.11.7; pyproject.toml unchanged since it was installed)"
    ]
    assert again.stderr == ""
    assert clone.pip_calls() == []


def test_a_changed_pyproject_is_installed_again(clone: Clone) -> None:
    python = clone.python("3.11.7")
    assert clone.setup(python).returncode == 0
    clone.pip_calls()
    with (clone.root / "pyproject.toml").open("a", encoding="utf-8") as f:
        f.write("\n# a new dependency, say\n")
    again = clone.setup(python)
    assert again.returncode == 0
    assert again.stdout.splitlines() == [
        "== installing Leg Check and its tools into .venv again: pyproject.toml changed "
        "(pip; about 10 s)"
    ]
    assert clone.pip_calls()[-1] == "install -e .[web,tools,dev]"


def test_a_venv_made_by_another_python_is_replaced_with_a_note(clone: Clone) -> None:
    assert clone.setup(clone.python("3.12.1")).returncode == 0
    python = clone.python("3.11.7")
    done = clone.setup(python)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert (
        lines[0]
        == f"== replacing .venv: it was made by Python 3.12.1, not {python} (Python 3.11.7)"
    )
    assert lines[1].startswith(f"== creating .venv with {python}")
    again = clone.setup(python)
    assert again.stdout.startswith("== .venv is up to date")


def test_a_venv_whose_python_was_deleted_is_replaced_with_a_note(clone: Clone) -> None:
    old = clone.python("3.11.7", name="old-python")
    assert clone.setup(old).returncode == 0
    (clone.root / "fake_python.py").rename(clone.root / "gone.py")  # the interpreter it ran
    clone.fake = clone.root / "fake_python2.py"
    clone.fake.write_text(FAKE_PYTHON, encoding="utf-8")
    done = clone.setup(clone.python("3.11.7"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        "== replacing .venv: its Python does not run (the interpreter it was made from was "
        "moved or deleted)"
    )
    assert clone.setup(clone.python("3.11.7")).stdout.startswith("== .venv is up to date")


def test_a_venv_made_for_another_folder_is_replaced_with_a_note(clone: Clone) -> None:
    python = clone.python("3.11.7")
    assert clone.setup(python).returncode == 0
    (clone.root / ".venv" / "bin" / "pip").write_text(
        "#!/somewhere/else/.venv/bin/python\n", encoding="utf-8"
    )
    done = clone.setup(python)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        "== replacing .venv: it was made for another folder (/somewhere/else/.venv)"
    )


def test_a_python_too_old_is_refused_in_one_line(clone: Clone) -> None:
    python = clone.python("3.10.13")
    done = clone.setup(python)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"scripts/setup: Leg Check needs Python 3.11 or newer; {python} is 3.10.13 (name "
        "another: PYTHON=python3.11 scripts/setup)"
    ]
    assert not (clone.root / ".venv").exists()


def test_a_missing_python_is_refused_in_one_line(clone: Clone) -> None:
    done = clone.setup("no-such-python3")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "scripts/setup: no no-such-python3 on PATH; install Python 3.11 or newer, or name one: "
        "PYTHON=/path/to/python3 scripts/setup"
    ]


def test_a_failed_pip_says_where_its_output_is_and_the_next_run_tries_again(
    clone: Clone,
) -> None:
    python = clone.python("3.11.7")
    done = clone.setup(python, FAKE_PIP_FAILS="1")
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        "scripts/setup: pip failed; its last lines (the whole output is in .venv/pip.log):"
    )
    clone.pip_calls()
    again = clone.setup(python)
    assert again.returncode == 0
    assert again.stdout.splitlines() == [
        "== installing Leg Check and its tools into .venv (pip; the first time about 40 s)"
    ]
    assert clone.pip_calls()[-1] == "install -e .[web,tools,dev]"


def test_the_readme_and_ci_set_up_through_it() -> None:
    for script in ("scripts/test", "scripts/run"):
        assert "scripts/setup" in (REPO_ROOT / script).read_text(encoding="utf-8")
    assert "exec scripts/test" in (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_scripts_run_help_lists_its_options() -> None:
    done = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "run"), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: scripts/run [--port PORT] [--host HOST]\n")
    for option in ("--port PORT", "--host HOST", "LEGCHECK_DB", "legcheck config"):
        assert option in done.stdout, option


def test_a_missing_chromium_is_one_line_saying_how_and_setup_goes_on(clone: Clone) -> None:
    clone.stand_in("apt-get")  # not used for a Chromium the runner named: it would not be there
    missing = clone.root / "no-chromium"
    done = clone.setup(clone.python("3.11.7"), LEGCHECK_CHROMIUM=str(missing))
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"scripts/setup: no Chromium at {missing}; the console's browser tests need one: install "
        "Debian's chromium (sudo apt-get install chromium) or set LEGCHECK_CHROMIUM to a Chromium"
    ]
    assert not [c for c in clone.calls() if c.startswith("apt-get")]


def test_a_missing_apl_renderer_is_installed_with_npm_ci(clone: Clone) -> None:
    shutil.rmtree(clone.root / "skill" / "tools" / "console" / "node_modules")
    clone.stand_in("npm")
    done = clone.setup(clone.python("3.11.7"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == (
        "== npm ci (apl-viewhost-web, Amazon's APL renderer the console draws screens with; "
        "about 5 s)"
    )
    assert clone.calls() == [
        "npm ci --prefix skill/tools/console --no-audit --no-fund --loglevel=error"
    ]
    assert clone.setup(clone.python("3.11.7")).stdout.count("npm ci") == 1  # not again
