"""The Lambda zip: the runtime alone, its own dependencies, and .pyc that Lambda's Python uses.

Most builds here leave the dependencies out (``deps=False``: no network). The module-scoped
``full_zip`` stands in for pip with this environment's own installed distributions (their
files as their RECORD lists them), so the whole build runs offline: the dependencies pruned,
the isolated trace of a check-in, and the bytecode of everything it imports.
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from skill.tools.envelopes import Session
from skill.tools.lambda_zip import (
    ENTRY_NAME,
    LAMBDA_EXCLUDED,
    NEVER_IMPORTED,
    PACKAGE_DIR,
    RUNTIME_MODULES,
    TASK_ROOT,
    LambdaZip,
    PackageError,
    build_lambda_zip,
    can_precompile,
    pip_command,
    prune,
    requirement_name,
    runtime_files,
    runtime_requirements,
)

PY311 = can_precompile("3.11")
needs_311 = pytest.mark.skipif(
    not PY311, reason="bytecode for Lambda's Python 3.11 is written only by Python 3.11"
)
TOOLING = ("skill/tools/", "skill/web/")


def stem(name: str) -> str:
    """A zip name without its .py or .pyc."""
    return name[:-1] if name.endswith(".pyc") else name


def extract(zip_path: Path, into: Path, *, read_only: bool = True) -> Path:
    """Extract the zip as Lambda does, then take away write permission (as root, that alone
    does not stop writes: the processes run here also never write bytecode)."""
    zipfile.ZipFile(zip_path).extractall(into)
    if read_only:
        for path in [into, *into.rglob("*")]:
            mode = path.stat().st_mode
            path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return into


def writable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def run_in(
    code: Path, script: str, *args: str, isolated: bool, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh Python with ``code`` first on sys.path, never writing
    bytecode; ``isolated``: without site-packages, as on Lambda."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LEGCHECK_", "PYTHON"))}
    base.update({"PYTHONDONTWRITEBYTECODE": "1", "LEGCHECK_DB": "off"}, **(env or {}))
    flags = ["-I", "-B", *(["-S"] if isolated else [])]
    prelude = f"import sys; sys.path.insert(0, {str(code)!r})\n"
    return subprocess.run(
        [sys.executable, *flags, "-c", prelude + script, *args],
        cwd=code,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# ------------------------------------------------------------------ what ships


@pytest.fixture(scope="module")
def runtime_zip(tmp_path_factory: pytest.TempPathFactory) -> LambdaZip:
    return build_lambda_zip(tmp_path_factory.mktemp("zip") / "runtime.zip", deps=False)


def test_the_zip_holds_the_entry_point_the_runtime_and_its_data(runtime_zip: LambdaZip) -> None:
    names = runtime_zip.names
    assert names[0] == ENTRY_NAME
    shipped = {stem(n) for n in names}
    for module in RUNTIME_MODULES:
        rel = module.replace(".", "/")
        assert f"{rel}.py" in shipped or f"{rel}/__init__.py" in shipped, rel
    for data in (
        "skill/data/knowledge.json",
        "skill/data/lexicon/en.json",
        "skill/data/locales/en-US.json",
        "skill/data/emergency_numbers.json",
        "skill/data/apl/advice.json",
    ):
        assert data in names
    assert names == zipfile.ZipFile(runtime_zip.path).namelist()


def test_the_zip_holds_no_tooling(runtime_zip: LambdaZip) -> None:
    names = runtime_zip.names
    assert not [n for n in names if n.startswith(TOOLING)]
    assert not [n for n in names if n.endswith(".schema.json")]  # legcheck validate reads those
    assert not [n for n in names if n.startswith(("tests/", "interaction_model/"))]
    python = [stem(n) for n in names if n.endswith((".py", ".pyc")) and "__pycache__" not in n]
    assert sorted(python) == sorted(
        [ENTRY_NAME, *(f for f in runtime_files() if f.endswith(".py"))]
    )


def test_every_runtime_module_is_shipped_as_bytecode(runtime_zip: LambdaZip) -> None:
    names = set(runtime_zip.names)
    if not PY311:
        assert runtime_zip.compiled == 0
        assert any("not precompiled" in n for n in runtime_zip.notes)
        return
    for name in runtime_files():
        if name.endswith(".py"):
            assert name + "c" in names and name not in names, name
    # the entry keeps its source for Lambda's console, with its bytecode in __pycache__
    assert {ENTRY_NAME, "__pycache__/lambda_function.cpython-311.pyc"} <= names
    assert runtime_zip.compiled == len([f for f in runtime_files() if f.endswith(".py")]) + 1


@pytest.mark.slow
def test_the_zip_is_the_same_bytes_when_built_twice(tmp_path: Path, runtime_zip: LambdaZip) -> None:
    again = build_lambda_zip(tmp_path / "again.zip", deps=False)
    assert again.path.read_bytes() == runtime_zip.path.read_bytes()


@pytest.mark.slow
@needs_311
def test_bytecode_is_used_from_a_read_only_extraction(
    runtime_zip: LambdaZip, tmp_path: Path
) -> None:
    code = tmp_path / "task"
    zipfile.ZipFile(runtime_zip.path).extractall(code)
    # The entry's bytecode is unchecked: were its source compiled instead, this would raise.
    with (code / ENTRY_NAME).open("a", encoding="utf-8") as fh:
        fh.write("\nraise SystemExit('the source was compiled, not the .pyc')\n")
    extract(runtime_zip.path, code)  # the rest as extracted, read-only
    before = sorted(p.relative_to(code) for p in code.rglob("*"))
    script = """
import importlib.util, json, sys
from importlib.machinery import SourcelessFileLoader
import lambda_function
from skill.tools.envelopes import Session
out = lambda_function.lambda_handler(Session().launch(), None)
root = sys.path[0]
mine = {n: m for n, m in sys.modules.items() if (getattr(m, "__file__", "") or "").startswith(root)}
print(json.dumps({
    "speech": out["response"]["outputSpeech"]["ssml"],
    "sourceless": sorted(n for n, m in mine.items()
                         if isinstance(m.__spec__.loader, SourcelessFileLoader)),
    "files": sorted(m.__file__[len(root):] for m in mine.values()),
    "entry_cached": lambda_function.__cached__[len(root):],
    "entry_expected": importlib.util.cache_from_source(lambda_function.__file__)[len(root):],
    "where": sys.modules["skill.app"].handle_event.__code__.co_filename,
}))
"""
    try:
        done = run_in(
            code,
            script,
            isolated=False,
            env={"LEGCHECK_USER_KEY_SECRET": "a-secret-for-this-test-0123"},
        )
        after = sorted(p.relative_to(code) for p in code.rglob("*"))
    finally:
        writable(code)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert "How do your legs feel" in seen["speech"]
    assert after == before  # nothing written: no bytecode, no __pycache__
    # every runtime module came from its .pyc, there being no source to compile
    assert "skill.app" in seen["sourceless"] and "skill.handlers" in seen["sourceless"]
    assert all(f.endswith(".pyc") for f in seen["files"] if f.startswith("/skill/"))
    assert (
        seen["entry_cached"]
        == seen["entry_expected"]
        == ("/__pycache__/lambda_function.cpython-311.pyc")
    )
    assert seen["where"] == f"{TASK_ROOT}/skill/app.py"  # tracebacks name Lambda's path


def test_another_python_ships_source_and_says_so(tmp_path: Path) -> None:
    other = "3.12" if PY311 else "3.11"
    built = build_lambda_zip(tmp_path / "other.zip", deps=False, python_version=other)
    assert built.compiled == 0
    assert not [n for n in built.names if n.endswith(".pyc")]
    [note] = built.notes
    assert note.startswith("not precompiled: this is Python ")
    assert f"the function runs on Python {other}" in note


def test_asked_not_to_it_ships_source(tmp_path: Path) -> None:
    built = build_lambda_zip(tmp_path / "src.zip", deps=False, compile_bytecode=False)
    assert not [n for n in built.names if n.endswith(".pyc")]
    assert built.notes == ["not precompiled (asked not to)"]


def test_a_missing_runtime_module_is_named(tmp_path: Path) -> None:
    package = tmp_path / "skill"
    shutil.copytree(PACKAGE_DIR, package)
    (package / "triage.py").unlink()
    with pytest.raises(PackageError, match="the runtime module skill.triage is missing"):
        runtime_files(package)


# ------------------------------------------------------------------ the dependencies


def test_the_runtime_requirements_are_the_three_runtime_dependencies() -> None:
    names = {requirement_name(r) for r in runtime_requirements()}
    assert names == {"ask-sdk-core", "snowballstemmer", "word2number"}


def test_pip_installs_lambda_platform_wheels(tmp_path: Path) -> None:
    command = pip_command(tmp_path, ["ask-sdk-core>=1.19.0"], "arm64", "3.11", tmp_path / "wheels")
    assert command[1:4] == ["-m", "pip", "install"]
    for flag, value in (
        ("--platform", "manylinux2014_aarch64"),
        ("--python-version", "3.11"),
        ("--implementation", "cp"),
        ("--target", str(tmp_path)),
        ("--find-links", str(tmp_path / "wheels")),
    ):
        assert command[command.index(flag) + 1] == value
    assert "--only-binary=:all:" in command and "--no-compile" in command
    assert command[-1] == "ask-sdk-core>=1.19.0"
    with pytest.raises(PackageError, match="expected an architecture"):
        pip_command(tmp_path, [], arch="sparc")


def test_a_source_only_dependency_is_built_into_a_wheel_first(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def fake_pip(command: Sequence[str]) -> None:
        calls.append(list(command))

    build_lambda_zip(tmp_path / "z.zip", pip=fake_pip, compile_bytecode=False)
    wheel, install = calls
    assert wheel[1:4] == ["-m", "pip", "wheel"]  # word2number is published as an sdist only
    wheelhouse = wheel[wheel.index("--wheel-dir") + 1]
    assert install[install.index("--find-links") + 1] == wheelhouse
    for command in (wheel, install):
        assert {requirement_name(r) for r in command[-3:]} == {
            "ask-sdk-core",
            "snowballstemmer",
            "word2number",
        }


def fake_distribution(target: Path, name: str, files: dict[str, str]) -> None:
    info = target / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    listed = [*files, *(f"{info.name}/{n}" for n in ("METADATA", "RECORD", "INSTALLER"))]
    for extra in ("METADATA", "INSTALLER", "WHEEL", "top_level.txt", "LICENSE"):
        (info / extra).write_text(f"{name} {extra}\n", encoding="utf-8")
    (info / "RECORD").write_text("".join(f"{rel},,\n" for rel in listed), encoding="utf-8")


def test_what_lambda_never_needs_is_pruned(tmp_path: Path) -> None:
    fake_distribution(
        tmp_path,
        "keepme",
        {
            "keepme/__init__.py": "",
            "keepme/core.py": "",
            "keepme/tests/test_core.py": "",
            "keepme/core.pyi": "",
            "keepme/py.typed": "",
            "keepme/__pycache__/core.cpython-311.pyc": "",
        },
    )
    fake_distribution(tmp_path, "requests", {"requests/__init__.py": "", "requests/api.py": ""})
    fake_distribution(tmp_path, "boto3", {"boto3/__init__.py": ""})
    fake_distribution(tmp_path, "charset_normalizer", {"charset_normalizer/__init__.py": ""})
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "keepme").write_text("", encoding="utf-8")
    removed = prune(tmp_path)
    assert removed == ["boto3", "charset-normalizer", "requests"]
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left == [
        "keepme-1.0.dist-info/LICENSE",
        "keepme-1.0.dist-info/METADATA",
        "keepme/__init__.py",
        "keepme/core.py",
    ]


def test_every_left_out_distribution_says_why() -> None:
    assert {"requests", "boto3", "botocore"} <= set(LAMBDA_EXCLUDED)
    assert all(len(why) > 20 for why in LAMBDA_EXCLUDED.values())


def _closure(names: Sequence[str]) -> dict[str, metadata.Distribution]:
    from packaging.requirements import Requirement

    found: dict[str, metadata.Distribution] = {}
    todo = list(names)
    while todo:
        name = requirement_name(todo.pop())
        if name in found:
            continue
        found[name] = metadata.distribution(name)
        for text in found[name].requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return found


def pip_from_this_environment(command: Sequence[str]) -> None:
    """A stand-in for pip, offline: 'installs' the runtime requirements and everything they
    require from this environment's own distributions, file by file as each RECORD lists."""
    if command[3] == "wheel":
        return
    target = Path(command[command.index("--target") + 1])
    requirements = command[command.index("--upgrade") + 1 :]
    for dist in _closure(requirements).values():
        for file in dist.files or []:
            if ".." in file.parts:
                continue  # console scripts, outside site-packages
            source = Path(str(dist.locate_file(file)))
            if source.is_file():
                path = target / file
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, path)


@pytest.fixture(scope="module")
def full_zip(tmp_path_factory: pytest.TempPathFactory) -> LambdaZip:
    return build_lambda_zip(
        tmp_path_factory.mktemp("full") / "full.zip", pip=pip_from_this_environment
    )


@pytest.fixture
def full_task(full_zip: LambdaZip, tmp_path: Path) -> Iterator[Path]:
    code = extract(full_zip.path, tmp_path / "task")
    yield code
    writable(code)


@pytest.mark.slow
def test_the_full_zip_holds_the_runtime_dependencies_only(full_zip: LambdaZip) -> None:
    tops = {n.split("/")[0] for n in full_zip.names}
    for needed in (
        "ask_sdk_core",
        "ask_sdk_model",
        "ask_sdk_runtime",
        "snowballstemmer",
        "word2number",
        "dateutil",
    ):
        assert needed in tops
    for unwanted in (
        "requests",
        "urllib3",
        "idna",
        "charset_normalizer",
        "certifi",
        "boto3",
        "botocore",
        "flask",
        "werkzeug",
        "jsonschema",
        "yaml",
        "cryptography",
    ):
        assert unwanted not in tops
    assert set(full_zip.excluded) == {
        "requests",
        "urllib3",
        "idna",
        "charset-normalizer",
        "certifi",
    }
    assert not [n for n in full_zip.names if "/tests/" in n or "/test/" in n]
    assert not [n for n in full_zip.names if n.endswith((".pyi", "/py.typed"))]
    infos = [n for n in full_zip.names if ".dist-info/" in n]
    assert infos and all(
        n.endswith("/METADATA")
        or "LICEN" in n.upper()
        or "/licenses/" in n
        or n.split("/")[-1].upper().startswith(("NOTICE", "AUTHORS", "COPYING"))
        for n in infos
    )


@pytest.mark.slow
@needs_311
def test_what_a_check_in_imports_is_precompiled_and_the_rest_is_not(full_zip: LambdaZip) -> None:
    names = set(full_zip.names)
    # imported by every check-in: bytecode only
    for module in (
        "ask_sdk_core/skill.py",
        "ask_sdk_model/request_envelope.py",
        "snowballstemmer/english_stemmer.py",
        "word2number/w2n.py",
    ):
        assert module + "c" in names and module not in names, module
    # never imported by a check-in: source only (an audio player's, the service API client)
    for module in (
        "ask_sdk_model/interfaces/audioplayer/audio_item.py",
        "ask_sdk_core/api_client.py",
    ):
        assert module in names and module + "c" not in names, module
    assert f"precompiled {full_zip.compiled} modules for Python 3.11" in full_zip.notes


@pytest.mark.slow
def test_the_extracted_zip_answers_a_check_in_with_nothing_else(full_task: Path) -> None:
    """No site-packages at all: only the zip's files and the standard library."""
    session = Session()
    event = session.launch()
    script = """
import json, sys
import lambda_function
out = lambda_function.lambda_handler(json.loads(sys.argv[1]), None)
root = sys.path[0]
import os
loaded = [m.__file__ for m in list(sys.modules.values())
          if (getattr(m, "__file__", "") or "").startswith(root)
          and not os.path.isfile(getattr(m, "__cached__", None) or m.__file__ + "-none")]
never = [n for n in sys.modules if n.split(".")[0] in ("requests", "boto3", "flask", "yaml")]
print(json.dumps({"out": out, "loaded": loaded, "never": never}))
"""
    done = run_in(full_task, script, json.dumps(event), isolated=True)
    assert done.returncode == 0, done.stderr
    seen: dict[str, Any] = json.loads(done.stdout)
    assert "How do your legs feel" in seen["out"]["response"]["outputSpeech"]["ssml"]
    assert seen["never"] == []
    if PY311:  # everything a launch loaded from the zip had its bytecode: nothing compiled
        assert seen["loaded"] == []


def test_never_imported_names_the_tooling() -> None:
    for name in ("flask", "jsonschema", "yaml", "skill.tools", "skill.web", "requests"):
        assert name in NEVER_IMPORTED
