"""``legcheck package``: the ASK CLI project as the ASK CLI reads it, and a Lambda zip that runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from skill.envelopes import Session
from skill.package import (
    LAMBDA_EXCLUDED,
    Endpoint,
    PackageError,
    build,
    lambda_requirements,
    pip_command,
    runtime_requirements,
)
from tests.test_nlu import small_model_dict

ARN = "arn:aws:lambda:us-east-1:123456789012:function:legcheck"


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "en-US.json").write_text(json.dumps(small_model_dict()), encoding="utf-8")
    return folder


@pytest.fixture
def built(tmp_path: Path, models_dir: Path) -> Path:
    out = tmp_path / "build"
    build(out, Endpoint.lambda_arn(ARN), deps=False, models_dir=models_dir)
    return out


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# ------------------------------------------------------------------ the ASK CLI project

def test_ask_resources_points_the_ask_cli_at_the_skill_package(built: Path) -> None:
    resources = read_json(built / "ask-resources.json")
    assert resources["askcliResourcesVersion"] == "2020-03-31"
    assert resources["profiles"]["default"]["skillMetadata"]["src"] == "./skill-package"


def test_the_manifest_publishes_a_health_skill_with_its_disclaimer(built: Path) -> None:
    manifest = read_json(built / "skill-package" / "skill.json")["manifest"]
    info = manifest["publishingInformation"]
    assert info["category"] == "HEALTH_AND_FITNESS"
    en = info["locales"]["en-US"]
    assert en["name"] == "Leg Check"
    assert "information, not a diagnosis" in en["description"]
    assert "not a substitute for professional care" in en["description"]
    assert en["examplePhrases"][0] == "Alexa, open leg check"
    assert "Alexa, ask leg check my legs are itchy after my run" in en["examplePhrases"]
    assert len(en["examplePhrases"]) <= 3
    assert info["distributionCountries"] == ["US"]
    assert manifest["privacyAndCompliance"] == {
        "allowsPurchases": False, "usesPersonalInfo": False, "isChildDirected": False,
        "isExportCompliant": True, "containsAds": False}
    assert manifest["apis"]["custom"]["endpoint"] == {"uri": ARN}


def test_the_interaction_models_are_copied_per_locale(built: Path) -> None:
    copied = built / "skill-package" / "interactionModels" / "custom" / "en-US.json"
    assert read_json(copied) == small_model_dict()


def test_an_https_endpoint_carries_its_certificate_type(tmp_path: Path,
                                                         models_dir: Path) -> None:
    build(tmp_path, Endpoint.https("https://legcheck.example.org/", "Wildcard"), deps=False,
          models_dir=models_dir, privacy_policy_url="https://legcheck.example.org/privacy")
    manifest = read_json(tmp_path / "skill-package" / "skill.json")["manifest"]
    assert manifest["apis"]["custom"]["endpoint"] == {
        "uri": "https://legcheck.example.org/", "sslCertificateType": "Wildcard"}
    privacy = manifest["privacyAndCompliance"]
    assert privacy["usesPersonalInfo"] is True
    assert privacy["locales"]["en-US"]["privacyPolicyUrl"] == (
        "https://legcheck.example.org/privacy")


@pytest.mark.parametrize("make", [
    lambda: Endpoint.lambda_arn("arn:aws:lambda:REGION:ACCOUNT:function:NAME"),
    lambda: Endpoint.lambda_arn("legcheck"),
    lambda: Endpoint.https("http://legcheck.example.org/", "Trusted"),
    lambda: Endpoint.https("https://legcheck.example.org/", "Homemade"),
])
def test_placeholders_and_insecure_endpoints_are_refused(make: Any) -> None:
    with pytest.raises(PackageError):
        make()


def test_example_phrases_must_work_with_the_model(tmp_path: Path, models_dir: Path) -> None:
    data = small_model_dict()
    report = data["interactionModel"]["languageModel"]["intents"][0]
    report["samples"] = [s for s in report["samples"] if "{Timing}" not in s]
    report["slots"] = [s for s in report["slots"] if s["name"] != "Timing"]
    (models_dir / "en-US.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(PackageError, match="'Alexa, ask leg check my legs are itchy after my "
                                           "run' \\(en-US\\) does not reach the skill whole"):
        build(tmp_path, Endpoint.lambda_arn(ARN), deps=False, models_dir=models_dir)


def test_a_rebuild_leaves_no_stale_locale(tmp_path: Path, models_dir: Path) -> None:
    stale = tmp_path / "skill-package" / "interactionModels" / "custom" / "de-DE.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}", encoding="utf-8")
    build(tmp_path, Endpoint.lambda_arn(ARN), deps=False, models_dir=models_dir)
    assert not stale.exists()


# ------------------------------------------------------------------ the Lambda zip

def test_the_zip_holds_the_entry_point_and_the_skill_with_its_data(built: Path) -> None:
    names = zipfile.ZipFile(built / "legcheck-lambda.zip").namelist()
    assert names[0] == "lambda_function.py"
    for needed in ("skill/__init__.py", "skill/app.py", "skill/handlers.py",
                   "skill/data/knowledge.json", "skill/data/knowledge.schema.json",
                   "skill/data/locales/en-US.json"):
        assert needed in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_the_zip_is_the_same_bytes_when_built_twice(tmp_path: Path, models_dir: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        build(out, Endpoint.lambda_arn(ARN), deps=False, models_dir=models_dir)
    assert (first / "legcheck-lambda.zip").read_bytes() == (
        second / "legcheck-lambda.zip").read_bytes()


def test_a_fresh_extraction_answers_a_launch_request(built: Path, tmp_path: Path) -> None:
    extracted = tmp_path / "lambda"
    zipfile.ZipFile(built / "legcheck-lambda.zip").extractall(extracted)
    event = Session().launch()
    script = (
        "import json, sys\n"
        "import lambda_function, skill\n"
        "assert skill.__file__.startswith(sys.argv[1]), skill.__file__\n"
        "out = lambda_function.lambda_handler(json.loads(sys.argv[2]), None)\n"
        "print(json.dumps(out))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LEGCHECK_DB")}
    env["LEGCHECK_DB"] = str(tmp_path / "lambda-tmp" / "checkins.sqlite3")
    env["LEGCHECK_USER_KEY_SECRET"] = "a-secret-for-this-test-only-0123"
    # the deps come from this venv's site-packages (the zip was built with --no-deps);
    # Leg Check's own code must come from the extraction
    done = subprocess.run([sys.executable, "-c", script, str(extracted), json.dumps(event)],
                          cwd=extracted, env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert "How do your legs feel after your run?" in answer["response"]["outputSpeech"]["ssml"]
    assert answer["response"]["shouldEndSession"] is False


def test_dependencies_are_lambda_platform_wheels_without_the_web_server(
        tmp_path: Path, models_dir: Path) -> None:
    calls: list[list[str]] = []

    def fake_pip(command: Sequence[str]) -> None:
        calls.append(list(command))
        target = Path(command[command.index("--target") + 1])
        (target / "fakedep").mkdir()
        (target / "fakedep" / "__init__.py").write_text("", encoding="utf-8")
        (target / "fakedep-1.0.dist-info").mkdir()
        (target / "fakedep-1.0.dist-info" / "METADATA").write_text("", encoding="utf-8")
        (target / "bin").mkdir()
        (target / "bin" / "fakedep").write_text("", encoding="utf-8")
        (target / "skill").mkdir()
        (target / "skill" / "app.py").write_text("raise SystemExit", encoding="utf-8")

    result = build(tmp_path, Endpoint.lambda_arn(ARN), models_dir=models_dir, arch="arm64",
                   run_pip=fake_pip)
    [command] = calls
    assert command[1:4] == ["-m", "pip", "install"]
    for flag, value in (("--platform", "manylinux2014_aarch64"), ("--python-version", "3.11"),
                        ("--implementation", "cp")):
        assert command[command.index(flag) + 1] == value
    assert "--only-binary=:all:" in command
    requirements = command[command.index("--upgrade") + 1:]
    names = {r.split(">")[0].split("=")[0].lower() for r in requirements}
    assert "ask-sdk-core" in names and "jsonschema" in names
    assert not names & set(LAMBDA_EXCLUDED)
    zipped = zipfile.ZipFile(result.zip_path)
    assert "fakedep/__init__.py" in zipped.namelist()
    assert "fakedep-1.0.dist-info/METADATA" in zipped.namelist()
    assert "bin/fakedep" not in zipped.namelist()
    assert zipped.read("skill/app.py") != b"raise SystemExit"


def test_lambda_requirements_come_from_pyproject_less_the_web_server() -> None:
    requirements = runtime_requirements()
    kept = lambda_requirements(requirements)
    assert any(r.startswith("ask-sdk-core") for r in kept)
    assert not any(r.lower().startswith(("flask", "gunicorn")) for r in kept)
    assert set(requirements) - set(kept) <= {r for r in requirements
                                             if r.split(">")[0].lower() in LAMBDA_EXCLUDED}


def test_pip_refuses_an_unknown_architecture(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="expected an architecture"):
        pip_command(tmp_path, [], arch="sparc")


# ------------------------------------------------------------------ the command

def test_package_cli_needs_an_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    from skill.cli import main

    assert main(["package", "--no-deps"]) == 2
    assert "--lambda-arn ARN, or --endpoint-uri https://" in capsys.readouterr().err


def test_package_cli_builds_the_real_project(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from skill.cli import main

    assert main(["package", "--no-deps", "--lambda-arn", ARN, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"aws lambda update-function-code --function-name {ARN}" in out
    real = Path(__file__).resolve().parent.parent / "interaction_model" / "en-US.json"
    copied = tmp_path / "skill-package" / "interactionModels" / "custom" / "en-US.json"
    assert read_json(copied) == read_json(real)
    assert zipfile.ZipFile(tmp_path / "legcheck-lambda.zip").namelist()[0] == (
        "lambda_function.py")
