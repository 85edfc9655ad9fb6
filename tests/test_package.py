"""``legcheck package``: the ASK CLI project as the ASK CLI reads it, and a Lambda zip that runs."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from skill.tools.envelopes import Session
from skill.tools.lambda_zip import PackageError
from skill.tools.models import MODELS_DIR, model_path, read_models
from skill.tools.package import Endpoint, build, skill_stack
from tests.support.fresh import run_python
from tests.support.small_model import small_model_dict

pytestmark = pytest.mark.slow  # each test builds the skill package (or runs the packager's CLI)

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


def test_ask_resources_deploy_the_code_with_the_cloudformation_stack(built: Path) -> None:
    profile = read_json(built / "ask-resources.json")["profiles"]["default"]
    assert profile["code"] == {"default": {"src": "./lambda"}}
    infrastructure = profile["skillInfrastructure"]
    assert infrastructure["type"] == "@ask-cli/cfn-deployer"
    config = infrastructure["userConfig"]
    assert config == {
        "runtime": "python3.11",
        "handler": "lambda_function.lambda_handler",
        "templatePath": "./infrastructure/cfn-deployer/skill-stack.yaml",
        "awsRegion": "us-east-1",
    }
    assert (built / config["templatePath"]).is_file()
    # the code folder holds what the zip holds (no requirements.txt: the ASK CLI zips it as is)
    names = zipfile.ZipFile(built / "legcheck-lambda.zip").namelist()
    on_disk = sorted(
        p.relative_to(built / "lambda").as_posix()
        for p in (built / "lambda").rglob("*")
        if p.is_file()
    )
    assert on_disk == sorted(names)
    assert not (built / "lambda" / "requirements.txt").exists()


def stack_of(built: Path) -> dict[str, Any]:
    import yaml

    data: dict[str, Any] = yaml.safe_load(
        (built / "infrastructure" / "cfn-deployer" / "skill-stack.yaml").read_text("utf-8")
    )
    return data


def test_the_stack_passes_cfn_lint(built: Path) -> None:
    from cfnlint.api import lint

    text = (built / "infrastructure" / "cfn-deployer" / "skill-stack.yaml").read_text("utf-8")
    assert [str(m) for m in lint(text)] == []


def test_the_stack_takes_the_ask_cli_parameters_and_gives_the_endpoint(built: Path) -> None:
    stack = stack_of(built)
    assert set(stack["Parameters"]) == {
        "SkillId",
        "LambdaRuntime",
        "LambdaHandler",
        "CodeBucket",
        "CodeKey",
        "CodeVersion",
    }
    assert stack["Outputs"]["SkillEndpoint"]["Value"] == {"Fn::GetAtt": ["SkillFunction", "Arn"]}
    function = stack["Resources"]["SkillFunction"]["Properties"]
    assert function["FunctionName"] == "legcheck"  # as the ARN says, so the manifest agrees
    assert function["Timeout"] < 8  # Alexa waits 8 seconds
    assert function["Code"] == {
        "S3Bucket": {"Ref": "CodeBucket"},
        "S3Key": {"Ref": "CodeKey"},
        "S3ObjectVersion": {"Ref": "CodeVersion"},
    }
    permission = stack["Resources"]["SkillFunctionPermission"]["Properties"]
    assert permission["Principal"] == "alexa-appkit.amazon.com"
    assert permission["EventSourceToken"] == {"Ref": "SkillId"}


def test_the_function_is_configured_for_the_table_and_a_generated_secret(built: Path) -> None:
    from skill.store import StoreConfig

    resources = stack_of(built)["Resources"]
    env = resources["SkillFunction"]["Properties"]["Environment"]["Variables"]
    assert env["LEGCHECK_DB"] == {"Fn::Sub": "dynamodb:${CheckInTable}"}
    assert env["LEGCHECK_USER_KEY_SECRET"] == {
        "Fn::Sub": "{{resolve:secretsmanager:${UserKeySecret}:SecretString}}"
    }
    secret = resources["UserKeySecret"]["Properties"]["GenerateSecretString"]
    assert secret["PasswordLength"] >= 32
    # what the stack resolves them to is what the Lambda entry accepts
    resolved = {
        "LEGCHECK_DB": "dynamodb:legcheck-CheckInTable-1",
        "LEGCHECK_USER_KEY_SECRET": "x" * secret["PasswordLength"],
        "AWS_REGION": "us-east-1",  # Lambda sets it in every function's environment
    }
    from skill.store import Deployment

    assert StoreConfig.from_env(resolved, Deployment.LAMBDA).kind == "dynamodb"


def test_the_table_has_the_stores_key_and_ttl(built: Path) -> None:
    from skill.store import KEY_ATTRIBUTE, TTL_ATTRIBUTE

    table = stack_of(built)["Resources"]["CheckInTable"]
    props = table["Properties"]
    assert props["KeySchema"] == [{"AttributeName": KEY_ATTRIBUTE, "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": KEY_ATTRIBUTE, "AttributeType": "S"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert "PointInTimeRecoverySpecification" not in props  # no copies kept past 30 days
    assert table["DeletionPolicy"] == "Retain"


def test_the_role_may_use_only_the_one_table_and_its_own_logs(built: Path) -> None:
    from skill.store import DYNAMODB_ACTIONS

    resources = stack_of(built)["Resources"]
    role = resources["SkillFunctionRole"]["Properties"]
    assert "ManagedPolicyArns" not in role
    [policy] = role["Policies"]
    statements = policy["PolicyDocument"]["Statement"]
    assert statements == [
        {
            "Effect": "Allow",
            "Action": list(DYNAMODB_ACTIONS),
            "Resource": {"Fn::GetAtt": ["CheckInTable", "Arn"]},
        },
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": ["FunctionLogGroup", "Arn"]},
        },
    ]
    assert set(DYNAMODB_ACTIONS) <= {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    }
    logs = resources["FunctionLogGroup"]["Properties"]
    assert logs["LogGroupName"] == "/aws/lambda/legcheck" and logs["RetentionInDays"] <= 30


def test_the_stack_follows_the_arn_and_the_architecture(tmp_path: Path, models_dir: Path) -> None:
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:leg-check-eu"
    build(tmp_path, Endpoint.lambda_arn(arn), deps=False, models_dir=models_dir, arch="arm64")
    function = stack_of(tmp_path)["Resources"]["SkillFunction"]["Properties"]
    assert function["FunctionName"] == "leg-check-eu"
    assert function["Architectures"] == ["arm64"]
    config = read_json(tmp_path / "ask-resources.json")["profiles"]["default"]
    assert config["skillInfrastructure"]["userConfig"]["awsRegion"] == "eu-west-1"


def test_a_web_service_gets_no_lambda_stack(tmp_path: Path, models_dir: Path) -> None:
    build(tmp_path, Endpoint.lambda_arn(ARN), deps=False, models_dir=models_dir)
    build(
        tmp_path,
        Endpoint.https("https://legcheck.example.org/", "Trusted"),
        deps=False,
        models_dir=models_dir,
    )
    profile = read_json(tmp_path / "ask-resources.json")["profiles"]["default"]
    assert set(profile) == {"skillMetadata"}
    assert not (tmp_path / "infrastructure").exists() and not (tmp_path / "lambda").exists()
    with pytest.raises(PackageError, match="Lambda endpoint only"):
        skill_stack(Endpoint.https("https://legcheck.example.org/", "Trusted"))


@pytest.mark.parametrize(
    "endpoint",
    [Endpoint.lambda_arn(ARN), Endpoint.https("https://legcheck.example.org/", "Wildcard")],
)
def test_the_manifest_subscribes_to_skill_disabled_at_the_endpoint(
    tmp_path: Path, models_dir: Path, endpoint: Endpoint
) -> None:
    build(tmp_path, endpoint, deps=False, models_dir=models_dir)
    manifest = read_json(tmp_path / "skill-package" / "skill.json")["manifest"]
    assert manifest["events"] == {
        "endpoint": endpoint.manifest(),
        "subscriptions": [{"eventName": "SKILL_DISABLED"}],
    }


def test_the_manifest_asks_for_the_reminders_permission_and_no_other(built: Path) -> None:
    """The next-day check-in reminder needs it (issue 17); Amazon's name for it, spelled out."""
    manifest = read_json(built / "skill-package" / "skill.json")["manifest"]
    assert manifest["permissions"] == [{"name": "alexa::alerts:reminders:skill:readwrite"}]


def test_the_description_says_what_is_kept_for_how_long_and_how_to_delete_it(built: Path) -> None:
    en = read_json(built / "skill-package" / "skill.json")["manifest"]["publishingInformation"][
        "locales"
    ]["en-US"]["description"]
    for said in (
        "keeps nothing unless you say yes",
        "only the date, the symptoms",
        "for 30 days",
        "keyed hash of your Alexa account id",
        "forget my check-ins",
        "stop remembering",
        "disabling the skill deletes it",
    ):
        assert said in en


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
        "allowsPurchases": False,
        "usesPersonalInfo": False,
        "isChildDirected": False,
        "isExportCompliant": True,
        "containsAds": False,
    }
    assert manifest["apis"]["custom"]["endpoint"] == {"uri": ARN}


def test_the_interaction_models_are_copied_per_locale(built: Path) -> None:
    copied = built / "skill-package" / "interactionModels" / "custom" / "en-US.json"
    assert read_json(copied) == small_model_dict()


def test_an_https_endpoint_carries_its_certificate_type(tmp_path: Path, models_dir: Path) -> None:
    build(
        tmp_path,
        Endpoint.https("https://legcheck.example.org/", "Wildcard"),
        deps=False,
        models_dir=models_dir,
        privacy_policy_url="https://legcheck.example.org/privacy",
    )
    manifest = read_json(tmp_path / "skill-package" / "skill.json")["manifest"]
    assert manifest["apis"]["custom"]["endpoint"] == {
        "uri": "https://legcheck.example.org/",
        "sslCertificateType": "Wildcard",
    }
    privacy = manifest["privacyAndCompliance"]
    assert privacy["usesPersonalInfo"] is True
    assert privacy["locales"]["en-US"]["privacyPolicyUrl"] == (
        "https://legcheck.example.org/privacy"
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: Endpoint.lambda_arn("arn:aws:lambda:REGION:ACCOUNT:function:NAME"),
        lambda: Endpoint.lambda_arn("legcheck"),
        lambda: Endpoint.https("http://legcheck.example.org/", "Trusted"),
        lambda: Endpoint.https("https://legcheck.example.org/", "Homemade"),
    ],
)
def test_placeholders_and_insecure_endpoints_are_refused(make: Any) -> None:
    with pytest.raises(PackageError):
        make()


def test_example_phrases_must_work_with_the_model(tmp_path: Path, models_dir: Path) -> None:
    data = small_model_dict()
    report = data["interactionModel"]["languageModel"]["intents"][0]
    report["samples"] = [s for s in report["samples"] if "{Timing}" not in s]
    report["slots"] = [s for s in report["slots"] if s["name"] != "Timing"]
    (models_dir / "en-US.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(
        PackageError,
        match="'Alexa, ask leg check my legs are itchy after my "
        "run' \\(en-US\\) does not reach the skill whole",
    ):
        build(tmp_path, Endpoint.lambda_arn(ARN), deps=False, models_dir=models_dir)


def test_a_rebuild_leaves_no_stale_locale(tmp_path: Path, models_dir: Path) -> None:
    stale = tmp_path / "skill-package" / "interactionModels" / "custom" / "de-DE.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}", encoding="utf-8")
    build(tmp_path, Endpoint.lambda_arn(ARN), deps=False, models_dir=models_dir)
    assert not stale.exists()


# ------------------------------------------------------------------ the Lambda zip


def test_the_zip_holds_the_entry_point_and_the_runtime_with_its_data(built: Path) -> None:
    names = zipfile.ZipFile(built / "legcheck-lambda.zip").namelist()
    assert names[0] == "lambda_function.py"
    shipped = {n[:-1] if n.endswith(".pyc") else n for n in names}
    for needed in (
        "skill/__init__.py",
        "skill/app.py",
        "skill/handlers.py",
        "skill/data/knowledge.json",
        "skill/data/locales/en-US.json",
    ):
        assert needed in shipped
    for tooling in (
        "skill/tools/package.py",
        "skill/tools/cli.py",
        "skill/web/__init__.py",
        "skill/data/knowledge.schema.json",
    ):
        assert tooling not in shipped
    assert not [n for n in names if n.startswith(("skill/tools/", "skill/web/"))]


def test_a_fresh_extraction_answers_a_launch_request(built: Path, tmp_path: Path) -> None:
    extracted = tmp_path / "lambda"
    zipfile.ZipFile(built / "legcheck-lambda.zip").extractall(extracted)
    event = Session().launch()
    script = (
        "import json, sys\n"
        "import lambda_function, skill\n"
        "assert skill.__file__.startswith(sys.argv[1]), skill.__file__\n"
        "out = lambda_function.lambda_handler(json.loads(sys.argv[2]), None)\n"
        "print(json.dumps(out))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LEGCHECK_DB")}
    env["LEGCHECK_DB"] = str(tmp_path / "lambda-tmp" / "checkins.sqlite3")
    env["LEGCHECK_USER_KEY_SECRET"] = "a-secret-for-this-test-only-0123"
    # the deps come from this venv's site-packages (the zip was built with --no-deps);
    # Leg Check's own code must come from the extraction
    answer = run_python(script, str(extracted), json.dumps(event), cwd=extracted, env=env)
    assert "How do your legs feel after your run?" in answer["response"]["outputSpeech"]["ssml"]
    assert answer["response"]["shouldEndSession"] is False


# ------------------------------------------------------------------ the command


def test_package_cli_needs_an_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    from skill.tools.cli import main

    assert main(["package", "--no-deps"]) == 2
    assert "--lambda-arn ARN, or --endpoint-uri https://" in capsys.readouterr().err


def test_package_cli_builds_the_real_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from skill.tools.cli import main

    assert main(["package", "--no-deps", "--lambda-arn", ARN, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"aws lambda update-function-code --function-name {ARN}" in out
    assert "CloudFormation stack in us-east-1: the function legcheck" in out
    real = model_path("en-US")
    copied = tmp_path / "skill-package" / "interactionModels" / "custom" / "en-US.json"
    assert read_json(copied) == read_json(real)
    assert zipfile.ZipFile(tmp_path / "legcheck-lambda.zip").namelist()[0] == ("lambda_function.py")


def test_package_cli_says_the_article_check_was_skipped_where_the_article_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A clone without the article beside it still packages, and says what it did not check."""
    from skill.tools import paths
    from skill.tools.cli import main

    monkeypatch.delenv("LEGCHECK_ARTICLE", raising=False)
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path / "clone")
    assert main(["package", "--no-deps", "--lambda-arn", ARN, "--out", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert (
        "legcheck package: the article cross-check was skipped: the source article is "
        f"not at {tmp_path / 'shared'}"
    ) in out
    assert (tmp_path / "b" / "legcheck-lambda.zip").is_file()


@pytest.mark.parametrize("how", ["--article", "LEGCHECK_ARTICLE"])
@pytest.mark.parametrize("command", ["package", "validate"])
def test_an_article_named_but_missing_is_refused_in_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    how: str,
    command: str,
) -> None:
    """A named article that is not there is a mistyped path, not a clone without it."""
    from skill.tools.cli import main

    missing = tmp_path / "elsewhere.txt"
    argv = [command]
    if command == "package":
        argv += ["--no-deps", "--lambda-arn", ARN, "--out", str(tmp_path / "b")]
    if how == "--article":
        argv += ["--article", str(missing)]
    else:
        monkeypatch.setenv("LEGCHECK_ARTICLE", str(missing))
    assert main(argv) == 2
    out, err = capsys.readouterr()
    named = "--article" if how == "--article" else "the source article (LEGCHECK_ARTICLE)"
    assert err.splitlines() == [
        f"legcheck {command}: cannot open {named} {missing}: No such file or directory"
    ]
    assert out == ""
    assert not (tmp_path / "b").exists()


def test_an_article_that_lacks_a_cited_section_stops_the_package(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from skill.tools.cli import main

    article = tmp_path / "article.txt"
    article.write_text("A different article altogether.\n", encoding="utf-8")
    assert (
        main(
            [
                "package",
                "--no-deps",
                "--lambda-arn",
                ARN,
                "--out",
                str(tmp_path / "b"),
                "--article",
                str(article),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "does not appear in article.txt" in err
    assert not (tmp_path / "b" / "legcheck-lambda.zip").exists()


def test_validate_cli_says_the_article_check_was_skipped_in_its_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from skill.tools import paths
    from skill.tools.cli import main

    monkeypatch.delenv("LEGCHECK_ARTICLE", raising=False)
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path / "clone")
    assert main(["validate"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("legcheck validate: OK: ") and len(out.splitlines()) == 1
    assert out.rstrip().endswith(
        "; the article cross-check was skipped: the source article is not at "
        f"{(tmp_path / 'clone' / '..' / 'shared' / 'seed').resolve()}"
        "/legs-tingling-after-running.txt (give its path with --article PATH or "
        "LEGCHECK_ARTICLE to run it)"
    )


def test_package_cli_names_what_a_build_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from skill.tools.cli import main

    assert (
        main(["package", "--no-deps", "--no-compile", "--lambda-arn", ARN, "--out", str(tmp_path)])
        == 0
    )
    assert "legcheck package: not precompiled (asked not to)" in capsys.readouterr().out


def test_each_market_is_listed_in_its_own_words() -> None:
    """The manifest's publishing text per locale comes from the locale's strings: its own
    emergency number and doctor, no other market's number; its example phrases reach it."""
    import re

    from skill.tools.package import check_example_phrases, publishing_text

    numbers = {"en-US": "911", "en-CA": "911", "en-GB": "999", "en-AU": "000", "en-IN": "112"}
    for locale, number in numbers.items():
        text = publishing_text(locale)
        assert f"call {number}" in text["description"], locale
        others = set(numbers.values()) - {number} - ({"112"} if locale == "en-GB" else set())
        every = json.dumps(text)
        assert not [n for n in others if re.search(rf"(?<!\d){n}(?!\d)", every)], locale
        assert not re.search(r"\{(number|doctor|days)\}", every)
    assert check_example_phrases(read_models(MODELS_DIR)) == []
