"""The AWS Lambda deployment zip: the runtime alone, its own dependencies, precompiled.

:func:`build_lambda_zip` stages the function in a temporary folder, then zips it:

1. ``lambda_function.py``, the runtime modules (:data:`RUNTIME_MODULES`) and
   ``skill/data`` less what only the tooling reads (the JSON Schemas): no simulator,
   validator, packager, CLI, web endpoint or verifier.
2. The runtime dependencies (``[project] dependencies`` in pyproject.toml), installed
   with ``pip install --target`` for Lambda's platform (manylinux wheels for the chosen
   architecture and Python version, never built from source there). A dependency
   published only as a source archive (word2number) is first built into a wheel here,
   which for pure Python fits every platform.
3. Less what the function never uses (:data:`LAMBDA_EXCLUDED` says why for each), the
   dependencies' tests, type stubs and console scripts, and each ``.dist-info`` folder but
   its ``METADATA`` (what pip and ``importlib.metadata`` read) and licence files.
4. A check-in traced (:func:`trace`): a fresh, isolated Python (no site-packages, so only
   the staged files and the standard library) imports ``lambda_function`` and answers
   recorded check-ins (a whole check-in with consent, a one-shot one from an Echo Show, a
   session ended, the skill disabled), which must match the answers of the skill in this process;
   every module it imported is noted.
5. Precompiled for Lambda's Python (:func:`precompile`, with :mod:`compileall`, only when
   this Python is that version): each runtime module and each dependency module a
   check-in imports becomes a ``.pyc`` in place of its ``.py`` (Python imports a
   ``.pyc`` that has no source beside it as it is, so nothing is compiled at a cold start
   and nothing needs writing in Lambda's read-only code directory). ``lambda_function.py``
   keeps its source, with its ``.pyc`` in ``__pycache__`` (unchecked-hash, so used whatever
   the file times after extraction). The ``.pyc`` files leave out the column ranges
   (``-X no_debug_ranges``), a fifth of their size; tracebacks still give file and line,
   under ``/var/task``. Modules a check-in never imports keep their source.

The zip is the same bytes for the same inputs (sorted names, fixed times).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skill.errors import LegCheckError
from skill.tools.paths import REPO_ROOT

LAMBDA_ENTRY = REPO_ROOT / "lambda" / "lambda_function.py"
PACKAGE_DIR = REPO_ROOT / "skill"
PYPROJECT = REPO_ROOT / "pyproject.toml"
ENTRY_NAME = "lambda_function.py"
TASK_ROOT = "/var/task"
"""Where Lambda puts the function's code: the path tracebacks name."""
LAMBDA_PYTHON = "3.11"
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}

NOT_RUNTIME = ("web", "tools")
"""The subpackages of ``skill`` that never ship to Lambda: the web extra and the tooling.
Everything else in the package is the runtime; the folders are the list."""


def runtime_modules(package: Path = PACKAGE_DIR) -> tuple[str, ...]:
    """What runs on Alexa's behalf: every module of the ``skill`` package outside
    :data:`NOT_RUNTIME`, found in the folders rather than listed by hand."""
    names = []
    for path in package.rglob("*.py"):
        rel = path.relative_to(package)
        if rel.parts[0] in NOT_RUNTIME or rel.parts[0] == "data":
            continue
        parts = [package.name, *rel.with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return tuple(sorted(names))


RUNTIME_MODULES: tuple[str, ...] = runtime_modules()
"""The runtime's modules, as :func:`runtime_modules` finds them."""

RUNTIME_IMPORTS: tuple[str, ...] = (
    "ask_sdk_core",
    "ask_sdk_model",
    "ask_sdk_runtime",
    "snowballstemmer",
    "word2number",
    "boto3",
    "botocore",
)
"""The packages beyond the standard library that runtime code may import (boto3 and
botocore only for a DynamoDB store; Lambda's Python runtime has them)."""

TOOLING_DATA = ("*.schema.json",)
"""Files of ``skill/data`` only the tooling reads (``legcheck validate`` checks the data)."""

NEVER_IMPORTED: tuple[str, ...] = (
    "flask",
    "werkzeug",
    "jsonschema",
    "yaml",
    "cryptography",
    "certifi",
    "requests",
    "urllib3",
    "ask_sdk_core.api_client",
    "skill.tools",
    "skill.web",
)
"""What answering a check-in (or setting a reminder) never imports: the web endpoint's and the
tooling's modules and packages, and ``requests`` with ``urllib3`` (see :data:`LAMBDA_EXCLUDED`):
Alexa's service APIs are called through :mod:`skill.alexa_api`, on the standard library."""

_FOR_REQUESTS = "a dependency of requests only, which Leg Check never imports (see requests)"
LAMBDA_EXCLUDED: dict[str, str] = {
    "requests": "ask-sdk-core's HTTP client for Alexa's service APIs (ask_sdk_core.api_client."
    "DefaultApiClient), which Leg Check never uses: its own, skill.alexa_api, is on the standard "
    "library; nothing else imports it",
    "urllib3": _FOR_REQUESTS,
    "idna": _FOR_REQUESTS,
    "charset-normalizer": _FOR_REQUESTS,
    "certifi": _FOR_REQUESTS,
    "boto3": "comes with Lambda's Python runtime (for the DynamoDB store)",
    "botocore": "comes with Lambda's Python runtime, with boto3",
    "s3transfer": "comes with Lambda's Python runtime, with boto3",
    "jmespath": "comes with Lambda's Python runtime, with boto3",
}
"""Distributions a runtime dependency may pull in that the zip leaves out, and why."""

LICENCE_FILE = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE|AUTHORS)", re.IGNORECASE)
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)

RunPip = Callable[[Sequence[str]], None]


class PackageError(LegCheckError):
    """The package cannot be built as asked (what is wrong is in the message)."""


def runtime_files(package: Path = PACKAGE_DIR) -> dict[str, Path]:
    """The runtime's files by their name in the zip: its modules, then ``skill/data``."""
    files: dict[str, Path] = {}
    for module in RUNTIME_MODULES:
        parts = module.split(".")[1:]
        rel = Path(*parts, "__init__.py")
        if not (package / rel).is_file():
            rel = Path(*parts[:-1], parts[-1] + ".py")
        path = package / rel
        if not path.is_file():
            raise PackageError(f"{path}: the runtime module {module} is missing")
        files[f"skill/{rel.as_posix()}"] = path
    data = package / "data"
    for path in sorted(data.rglob("*")):
        if path.is_file() and not any(path.match(p) for p in TOOLING_DATA):
            files[f"skill/{path.relative_to(package).as_posix()}"] = path
    return files


# ---------------------------------------------------------------- dependencies


def requirement_name(requirement: str) -> str:
    """A requirement's distribution name, normalized (``Foo_bar>=1`` -> ``foo-bar``)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return re.sub(r"[-_.]+", "-", (match.group(1) if match else requirement)).lower()


def runtime_requirements(pyproject: Path = PYPROJECT) -> list[str]:
    """The runtime's dependencies, as pyproject.toml lists them (no extras)."""
    if pyproject.exists():
        with pyproject.open("rb") as fh:
            deps = tomllib.load(fh)["project"]["dependencies"]
        return [str(d) for d in deps]
    from importlib.metadata import requires

    return [r for r in requires("legcheck") or [] if "extra ==" not in r]


def wheel_command(wheelhouse: Path, requirements: Sequence[str]) -> list[str]:
    """pip building a wheel of every requirement published only as a source archive."""
    return [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--disable-pip-version-check",
        "--wheel-dir",
        str(wheelhouse),
        *requirements,
    ]


def pip_command(
    target: Path,
    requirements: Sequence[str],
    arch: str = "x86_64",
    python_version: str = LAMBDA_PYTHON,
    wheelhouse: Path | None = None,
) -> list[str]:
    """pip installing Lambda-platform wheels (never building from source) into ``target``."""
    if arch not in PLATFORMS:
        raise PackageError(f"expected an architecture of {sorted(PLATFORMS)}, got {arch!r}")
    links = ["--find-links", str(wheelhouse)] if wheelhouse is not None else []
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        str(target),
        "--platform",
        PLATFORMS[arch],
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "--only-binary=:all:",
        *links,
        "--upgrade",
        *requirements,
    ]


def run_pip(command: Sequence[str]) -> None:
    done = subprocess.run(list(command), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [
            ln
            for ln in (done.stderr or done.stdout).splitlines()
            if not ln.startswith("WARNING: Location")
        ]
        raise PackageError(
            "pip could not install the Lambda dependencies:\n" + "\n".join(lines).strip()
        )


def install_dependencies(
    target: Path,
    requirements: Sequence[str],
    *,
    arch: str = "x86_64",
    python_version: str = LAMBDA_PYTHON,
    pip: RunPip = run_pip,
) -> None:
    """Install ``requirements`` for Lambda's platform into ``target`` (see the module doc)."""
    with tempfile.TemporaryDirectory(prefix="legcheck-wheels-") as wheelhouse:
        pip(wheel_command(Path(wheelhouse), requirements))
        pip(pip_command(target, requirements, arch, python_version, Path(wheelhouse)))


def _distributions(target: Path) -> dict[str, Path]:
    """The ``.dist-info`` folders in ``target``, by normalized distribution name."""
    found = {}
    for info in sorted(target.glob("*.dist-info")):
        name = info.name[: -len(".dist-info")].rsplit("-", 1)[0]
        found[requirement_name(name)] = info
    return found


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def remove_distribution(target: Path, info: Path) -> None:
    """Remove an installed distribution: every file its RECORD lists, then empty folders."""
    record = info / "RECORD"
    tops: set[Path] = set()
    if record.is_file():
        for line in record.read_text(encoding="utf-8").splitlines():
            rel = line.rsplit(",", 2)[0] if line else ""
            if not rel or rel.startswith(("/", "..")):
                continue
            path = target / rel
            tops.add(target / Path(rel).parts[0])
            _remove(path)
    _remove(info)
    for top in sorted(tops, key=lambda p: len(p.parts), reverse=True):
        if top.is_dir():
            for folder in sorted(top.rglob("*"), key=lambda p: len(p.parts), reverse=True):
                if folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()
            if not any(top.iterdir()):
                top.rmdir()


def prune(target: Path) -> list[str]:
    """Take out what Lambda never needs (see the module doc); return the distributions left
    out, by name."""
    removed = []
    for name, info in _distributions(target).items():
        if name in LAMBDA_EXCLUDED:
            remove_distribution(target, info)
            removed.append(name)
    _remove(target / "bin")
    for info in target.glob("*.dist-info"):
        for path in sorted(info.iterdir()):
            keep = (
                path.name == "METADATA"
                or LICENCE_FILE.match(path.name)
                or (path.is_dir() and path.name == "licenses")
            )
            if not keep:
                _remove(path)
    for path in sorted(target.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if not path.exists() and not path.is_symlink():
            continue
        rel = path.relative_to(target)
        if rel.parts[0].endswith(".dist-info"):
            continue
        nested = len(rel.parts) > 1
        cache_or_tests = path.name == "__pycache__" or (nested and path.name in ("tests", "test"))
        stub_or_bytecode = path.suffix in (".pyc", ".pyo", ".pyi") or path.name == "py.typed"
        if (path.is_dir() and cache_or_tests) or (path.is_file() and stub_or_bytecode):
            _remove(path)
    return sorted(removed)


# ---------------------------------------------------------------- the trace

_TRACE = r"""
import json, sys
stage = sys.argv[1]
sys.path.insert(0, stage)
import lambda_function
with open(sys.argv[2], encoding="utf-8") as fh:
    conversations = json.load(fh)
answers = [[lambda_function.lambda_handler(e, None) for e in c] for c in conversations]
files = sorted({getattr(m, "__file__", None) or "" for m in list(sys.modules.values())})
json.dump({"answers": answers, "files": [f for f in files if f.startswith(stage)]},
          sys.stdout)
"""


@dataclass
class Traced:
    """What a traced check-in imported from the staged folder, and what it answered."""

    files: list[Path]
    answers: list[list[dict[str, Any]]]


def trace_conversations() -> tuple[list[list[dict[str, Any]]], list[list[dict[str, Any]]]]:
    """The conversations a trace replays, and the answers of the skill in this process.

    A whole check-in with a store (consent given), a one-shot check-in with a duration from an
    Echo Show (consent refused), a session the runner walks away from, and the skill disabled
    (its data deleted).
    """
    from skill.app import build_skill, handle_event
    from skill.history import retention
    from skill.knowledge import load_knowledge
    from skill.store import SqliteStore, UserKeys
    from skill.tools.simulator import checkin

    quiet = logging.getLogger("legcheck")  # the skill's own log is noise while packaging
    level = quiet.level
    quiet.setLevel(max(level, logging.WARNING))
    with tempfile.TemporaryDirectory(prefix="legcheck-trace-") as tmp:
        keys = UserKeys(secrets.token_hex(16))
        kept = retention(load_knowledge())
        recorded = SqliteStore(Path(tmp) / "recorded.sqlite3", keys, kept)
        replayed = SqliteStore(Path(tmp) / "replayed.sqlite3", keys, kept)
        try:
            recorder = build_skill(recorded)
            check_in = checkin.record(recorder)
            screen = checkin.on_a_screen(
                checkin.record(recorder, checkin.ONE_SHOT, user_id="amzn1.ask.account.on-a-show")
            )
            walked_away = checkin.record(recorder, checkin.CHECK_IN[:1])
            walked_away.append(checkin.session_ended(walked_away))
            conversations = [check_in, screen, walked_away, [checkin.skill_disabled(check_in)]]
            replay = build_skill(replayed)
            answers = [[handle_event(e, None, replay) for e in c] for c in conversations]
        finally:
            recorded.close()
            replayed.close()
            quiet.setLevel(level)
    return conversations, json.loads(json.dumps(answers))


def trace(
    target: Path,
    conversations: Sequence[Sequence[Mapping[str, Any]]],
    *,
    isolated: bool = True,
    timeout: float = 120.0,
) -> Traced:
    """Replay ``conversations`` through ``target``'s ``lambda_function`` in a fresh Python.

    ``isolated``: without site-packages (the dependencies must be staged too); otherwise
    this environment's packages come after ``target``. Never writes bytecode.
    """
    with tempfile.TemporaryDirectory(prefix="legcheck-trace-") as tmp:
        events = Path(tmp) / "conversations.json"
        events.write_text(json.dumps(conversations), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LEGCHECK_", "AWS_"))}
        env.update(
            {
                "LEGCHECK_DB": str(Path(tmp) / "trace.sqlite3"),
                "LEGCHECK_USER_KEY_SECRET": secrets.token_hex(16),
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        flags = ["-I", "-B", *(["-S"] if isolated else [])]
        done = subprocess.run(
            [sys.executable, *flags, "-c", _TRACE, str(target), str(events)],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-12:])
        raise PackageError(f"the staged function could not answer a check-in:\n{tail}")
    out = json.loads(done.stdout)
    return Traced([Path(f) for f in out["files"]], out["answers"])


# ---------------------------------------------------------------- bytecode


def can_precompile(python_version: str = LAMBDA_PYTHON) -> bool:
    """Whether this Python writes bytecode Lambda's Python (``python_version``) reads."""
    return f"{sys.version_info.major}.{sys.version_info.minor}" == python_version


def precompile(target: Path, modules: Iterable[Path], entry: Path | None = None) -> int:
    """Compile ``modules`` (``.py`` files under ``target``) with :mod:`compileall` into a
    ``.pyc`` beside each, and remove the source; compile ``entry`` into ``__pycache__``,
    keeping its source. Returns how many were compiled. Tracebacks name ``/var/task``."""
    sources = sorted({m.resolve() for m in modules})
    base = [
        sys.executable,
        "-X",
        "no_debug_ranges",
        "-m",
        "compileall",
        "-q",
        "--invalidation-mode",
        "unchecked-hash",
        "-s",
        str(target.resolve()),
        "-p",
        TASK_ROOT,
    ]
    with tempfile.TemporaryDirectory(prefix="legcheck-compile-") as tmp:
        for legacy, files in ((True, sources), (False, [entry.resolve()] if entry else [])):
            if not files:
                continue
            listing = Path(tmp) / "files.txt"
            listing.write_text("\n".join(str(f) for f in files) + "\n", encoding="utf-8")
            command = [*base, *(["-b"] if legacy else []), "-i", str(listing)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise PackageError(f"compileall failed:\n{(done.stdout + done.stderr).strip()}")
    for source in sources:
        if not source.with_suffix(".pyc").is_file():
            raise PackageError(f"{source}: compileall wrote no .pyc for it")
        source.unlink()
    return len(sources) + (1 if entry else 0)


# ---------------------------------------------------------------- the zip


def _zip_add(zf: zipfile.ZipFile, source: Path, name: str) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, source.read_bytes(), compresslevel=9)


def write_zip(target: Path, zip_path: Path) -> list[str]:
    """Zip ``target``'s files, the entry point first, then by name; return the names."""
    names = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    names.sort(key=lambda n: n != ENTRY_NAME)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w") as zf:
        for name in names:
            _zip_add(zf, target / name, name)
    return names


@dataclass
class LambdaZip:
    """A built zip: its path, the names in it and what the build says about itself."""

    path: Path
    names: list[str]
    excluded: list[str] = field(default_factory=list)
    compiled: int = 0
    notes: list[str] = field(default_factory=list)


def stage_function(
    target: Path, *, entry: Path = LAMBDA_ENTRY, files: Mapping[str, Path] | None = None
) -> None:
    """Copy the entry point (as ``lambda_function.py``) and ``files`` into ``target``."""
    if not entry.is_file():
        raise PackageError(f"{entry}: the Lambda entry point is missing")
    shutil.copyfile(entry, target / ENTRY_NAME)
    for name, source in (runtime_files() if files is None else files).items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)


def build_lambda_zip(
    zip_path: Path,
    *,
    deps: bool = True,
    arch: str = "x86_64",
    python_version: str = LAMBDA_PYTHON,
    requirements: Sequence[str] | None = None,
    pip: RunPip = run_pip,
    entry: Path = LAMBDA_ENTRY,
    files: Mapping[str, Path] | None = None,
    compile_bytecode: bool = True,
) -> LambdaZip:
    """Write the deployment zip (see the module doc for what goes in)."""
    if arch not in PLATFORMS:
        raise PackageError(f"expected an architecture of {sorted(PLATFORMS)}, got {arch!r}")
    files = runtime_files() if files is None else files
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="legcheck-lambda-") as tmp:
        staged = Path(tmp) / "function"
        staged.mkdir()
        excluded: list[str] = []
        if deps:
            deps_dir = Path(tmp) / "deps"
            deps_dir.mkdir()
            install_dependencies(
                deps_dir,
                list(requirements if requirements is not None else runtime_requirements()),
                arch=arch,
                python_version=python_version,
                pip=pip,
            )
            excluded = prune(deps_dir)
            for path in sorted(deps_dir.iterdir()):
                if path.name in (ENTRY_NAME, "skill"):
                    continue  # a dependency never shadows Leg Check's own code
                shutil.move(str(path), staged / path.name)
        stage_function(staged, entry=entry, files=files)
        compiled = 0
        if not compile_bytecode:
            notes.append("not precompiled (asked not to)")
        elif not can_precompile(python_version):
            notes.append(
                f"not precompiled: this is Python {sys.version_info.major}."
                f"{sys.version_info.minor} and the function runs on Python "
                f"{python_version}; run legcheck package with Python {python_version} "
                f"to ship .pyc files (a cold start then compiles every module)"
            )
        else:
            modules = [staged / name for name in files if name.endswith(".py")]
            if deps:
                conversations, expected = trace_conversations()
                traced = trace(staged, conversations)
                if traced.answers != expected:
                    raise PackageError(
                        "the staged function answered a check-in otherwise than the skill does here"
                    )
                modules += [
                    f
                    for f in traced.files
                    if f.suffix == ".py"
                    and f.name != ENTRY_NAME
                    and f.resolve().is_relative_to(staged.resolve())
                ]
            compiled = precompile(staged, modules, staged / ENTRY_NAME)
            notes.append(f"precompiled {compiled} modules for Python {python_version}")
        names = write_zip(staged, zip_path)
    return LambdaZip(zip_path, names, excluded, compiled, notes)
