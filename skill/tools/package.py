"""``legcheck package``: an ASK CLI v2 project and an AWS Lambda deployment zip.

Written into one folder (``build/`` by default)::

    ask-resources.json                      the ASK CLI v2 project file
    skill-package/skill.json                the skill manifest
    skill-package/interactionModels/custom/<locale>.json
    legcheck-lambda.zip                     lambda_function.py, the skill package, its deps
    lambda/                                 the same files, the code the ASK CLI zips and uploads
    infrastructure/cfn-deployer/skill-stack.yaml
                                            the ASK CLI's CloudFormation deployer stack

``ask deploy`` (run in that folder) creates or updates the skill from the
skill package and, for a Lambda endpoint, deploys the CloudFormation stack:
the Lambda function (named and placed as the ARN given says), a DynamoDB table
for check-ins (keyed by ``user_key``, with a TTL on ``expires_at``), a
generated user key secret, a log group, and a role allowed only the table
actions the skill calls, on that table, and writing its own logs. The zip can
also be uploaded by hand (``aws lambda update-function-code --zip-file
fileb://...``). The endpoint is never a placeholder: the Lambda function's
ARN or an https URL must be given. The manifest subscribes to
``SKILL_DISABLED`` at the same endpoint, so disabling the skill deletes what
it kept, and declares the reminders permission (``REMINDERS_SCOPE``) for the
next-day check-in reminder.

The zip holds the runtime alone (``lambda_function.py``, the runtime modules and
their data) with the runtime's own dependencies, precompiled for Lambda's Python:
:mod:`skill.tools.lambda_zip` builds it and says how.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from skill.errors import DataError
from skill.knowledge import load_knowledge
from skill.reminders import REMINDERS_SCOPE
from skill.settings import REMINDERS_ENV
from skill.store import DB_ENV, DYNAMODB_ACTIONS, KEY_ATTRIBUTE, SECRET_ENV, TTL_ATTRIBUTE
from skill.tools.lambda_zip import (
    LAMBDA_PYTHON,
    PLATFORMS,
    PackageError,
    RunPip,
    build_lambda_zip,
    run_pip,
)
from skill.tools.models import MODELS_DIR, read_models

ZIP_NAME = "legcheck-lambda.zip"
CODE_DIR = "lambda"
STACK_PATH = "infrastructure/cfn-deployer/skill-stack.yaml"
LAMBDA_RUNTIME = "python3.11"
LAMBDA_HANDLER = "lambda_function.lambda_handler"
LAMBDA_TIMEOUT_S = 7
"""The function gives up before Alexa does (8 seconds)."""
LOG_RETENTION_DAYS = 14

LAMBDA_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d:\d{12}:function:[A-Za-z0-9_-]{1,64}"
    r"(:[A-Za-z0-9_$-]{1,128})?$"
)
SSL_CERTIFICATE_TYPES = ("Wildcard", "SelfSigned", "Trusted")


@dataclass(frozen=True)
class Endpoint:
    """Where Alexa sends requests: a Lambda ARN, or an https URL with its certificate type."""

    uri: str
    ssl_certificate_type: str | None = None

    @classmethod
    def lambda_arn(cls, arn: str) -> Endpoint:
        if not LAMBDA_ARN_RE.match(arn):
            raise PackageError(
                f"expected a Lambda function ARN such as arn:aws:lambda:"
                f"us-east-1:123456789012:function:legcheck, got {arn!r}"
            )
        return cls(arn)

    @classmethod
    def https(cls, uri: str, ssl_certificate_type: str) -> Endpoint:
        if not uri.startswith("https://") or len(uri) <= len("https://"):
            raise PackageError(f"Alexa only calls https endpoints; got {uri!r}")
        if ssl_certificate_type not in SSL_CERTIFICATE_TYPES:
            raise PackageError(
                f"expected an sslCertificateType of {list(SSL_CERTIFICATE_TYPES)},"
                f" got {ssl_certificate_type!r}"
            )
        return cls(uri, ssl_certificate_type)

    def manifest(self) -> dict[str, str]:
        out = {"uri": self.uri}
        if self.ssl_certificate_type:
            out["sslCertificateType"] = self.ssl_certificate_type
        return out

    @property
    def is_lambda(self) -> bool:
        return self.uri.startswith("arn:")

    @property
    def function_name(self) -> str:
        """The Lambda function's name (from ``...:function:NAME[:ALIAS]``)."""
        return self.uri.split(":")[6]

    @property
    def region(self) -> str:
        return self.uri.split(":")[3]


def check_example_phrases(models: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Each example phrase must reach the skill, every slot resolved, with its model."""
    from skill.tools.simulator.nlu import FALLBACK_INTENT, InteractionModel

    problems = []
    for locale, data in sorted(models.items()):
        model = InteractionModel.from_dict(dict(data), locale=locale)
        text = publishing_text(locale)
        for phrase in text["examplePhrases"]:
            said = phrase.split(",", 1)[1] if phrase.lower().startswith("alexa,") else phrase
            result = model.resolve(said, in_session=False)
            unresolved = [s.value for s in result.slots if s.custom and s.resolved_id is None]
            if result.request_type is None or result.intent == FALLBACK_INTENT or unresolved:
                problems.append(
                    f"example phrase {phrase!r} ({locale}) does not reach the "
                    f"skill whole: {result.describe()}"
                )
    return problems


def publishing_text(locale: str) -> dict[str, Any]:
    """The store listing for a locale, from its strings (``publishing`` in
    ``skill/data/locales``), in its words: its emergency number, its doctor."""
    from skill.strings import LOCALES, strings_for

    language = locale.split("-")[0]
    if locale not in LOCALES and language not in LOCALES:
        raise PackageError(f"no strings for {locale}; add skill/data/locales/{locale}.json")
    strings = strings_for(locale)
    days = load_knowledge().policy.history_window_days
    text = strings.publishing()
    for key in ("summary", "description", "testingInstructions"):
        if isinstance(text.get(key), str):
            text[key] = strings.fill(text[key], days=days)
    return text


def skill_manifest(
    locales: Iterable[str], endpoint: Endpoint, privacy_policy_url: str | None = None
) -> dict[str, Any]:
    """The skill manifest (skill-package/skill.json)."""
    locales = sorted(locales)
    publishing_locales = {}
    for locale in locales:
        text = publishing_text(locale)
        publishing_locales[locale] = {
            "name": text["name"],
            "summary": text["summary"],
            "description": text["description"],
            "examplePhrases": list(text["examplePhrases"]),
            "keywords": list(text["keywords"]),
        }
    countries = sorted({loc.split("-")[1] for loc in locales if "-" in loc})
    privacy: dict[str, Any] = {
        "allowsPurchases": False,
        "usesPersonalInfo": privacy_policy_url is not None,
        "isChildDirected": False,
        "isExportCompliant": True,
        "containsAds": False,
    }
    if privacy_policy_url is not None:
        if not privacy_policy_url.startswith("https://"):
            raise PackageError(f"expected an https privacy policy URL, got {privacy_policy_url!r}")
        privacy["locales"] = {loc: {"privacyPolicyUrl": privacy_policy_url} for loc in locales}
    return {
        "manifest": {
            "manifestVersion": "1.0",
            "publishingInformation": {
                "locales": publishing_locales,
                "isAvailableWorldwide": False,
                "distributionCountries": countries,
                "distributionMode": "PUBLIC",
                "category": "HEALTH_AND_FITNESS",
                "testingInstructions": publishing_text(locales[0])["testingInstructions"],
            },
            "privacyAndCompliance": privacy,
            "apis": {"custom": {"endpoint": endpoint.manifest(), "interfaces": []}},
            # The next-day check-in reminder (skill.reminders), granted by voice or in the app.
            "permissions": [{"name": REMINDERS_SCOPE}],
            # Disabling the skill deletes what it kept (skill.events.SkillDisabledEventHandler).
            "events": {
                "endpoint": endpoint.manifest(),
                "subscriptions": [{"eventName": "SKILL_DISABLED"}],
            },
        }
    }


def ask_resources(endpoint: Endpoint | None = None) -> dict[str, Any]:
    """ask-resources.json: the skill package and, for a Lambda endpoint, the code and the
    CloudFormation deployer stack that creates the function, its role and the table."""
    profile: dict[str, Any] = {"skillMetadata": {"src": "./skill-package"}}
    if endpoint is not None and endpoint.is_lambda:
        profile["code"] = {"default": {"src": f"./{CODE_DIR}"}}
        profile["skillInfrastructure"] = {
            "type": "@ask-cli/cfn-deployer",
            "userConfig": {
                "runtime": LAMBDA_RUNTIME,
                "handler": LAMBDA_HANDLER,
                "templatePath": f"./{STACK_PATH}",
                "awsRegion": endpoint.region,
            },
        }
    return {"askcliResourcesVersion": "2020-03-31", "profiles": {"default": profile}}


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def _ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def _arn(resource: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [resource, "Arn"]}


def skill_stack(endpoint: Endpoint, arch: str = "x86_64") -> dict[str, Any]:
    """The ASK CLI cfn-deployer stack: the function, its role, the table, the secret, the logs.

    The parameters are those the ASK CLI passes (SkillId, LambdaRuntime, LambdaHandler,
    CodeBucket, CodeKey, CodeVersion); the output ``SkillEndpoint`` is the function's ARN.
    """
    if not endpoint.is_lambda:
        raise PackageError("a CloudFormation stack is written for a Lambda endpoint only")
    if arch not in PLATFORMS:
        raise PackageError(f"expected an architecture of {sorted(PLATFORMS)}, got {arch!r}")
    name = endpoint.function_name
    days = load_knowledge().policy.history_window_days
    table_statement = {
        "Effect": "Allow",
        "Action": list(DYNAMODB_ACTIONS),
        "Resource": _arn("CheckInTable"),
    }
    logs_statement = {
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": _arn("FunctionLogGroup"),
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            "Leg Check: the Alexa skill's Lambda function, its check-in table "
            f"(kept {days} days by TTL), the user key secret, its logs and a role "
            "allowed only those."
        ),
        "Parameters": {
            "SkillId": {"Type": "String", "Description": "The skill id (from the ASK CLI)."},
            "LambdaRuntime": {"Type": "String", "Default": LAMBDA_RUNTIME},
            "LambdaHandler": {"Type": "String", "Default": LAMBDA_HANDLER},
            "CodeBucket": {"Type": "String"},
            "CodeKey": {"Type": "String"},
            "CodeVersion": {"Type": "String"},
        },
        "Resources": {
            "CheckInTable": {
                "Type": "AWS::DynamoDB::Table",
                # check-ins expire by TTL; a stack update must never replace them with nothing
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [
                        {"AttributeName": KEY_ATTRIBUTE, "AttributeType": "S"}
                    ],
                    "KeySchema": [{"AttributeName": KEY_ATTRIBUTE, "KeyType": "HASH"}],
                    "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
                    "SSESpecification": {"SSEEnabled": True},
                },
            },
            "UserKeySecret": {
                "Type": "AWS::SecretsManager::Secret",
                # without it the stored keys can no longer be matched to anyone
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "Description": (
                        "Leg Check: the HMAC-SHA-256 key that turns Alexa user ids "
                        "into the keys check-ins are stored under."
                    ),
                    "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
                },
            },
            "FunctionLogGroup": {
                "Type": "AWS::Logs::LogGroup",
                "DeletionPolicy": "Delete",
                "UpdateReplacePolicy": "Delete",
                "Properties": {
                    "LogGroupName": f"/aws/lambda/{name}",
                    "RetentionInDays": LOG_RETENTION_DAYS,
                },
            },
            "SkillFunctionRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": ["lambda.amazonaws.com"]},
                                "Action": ["sts:AssumeRole"],
                            }
                        ],
                    },
                    "Policies": [
                        {
                            "PolicyName": "legcheck-checkins-and-logs",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [table_statement, logs_statement],
                            },
                        }
                    ],
                },
            },
            "SkillFunction": {
                "Type": "AWS::Lambda::Function",
                "DependsOn": ["FunctionLogGroup"],
                "Properties": {
                    "FunctionName": name,
                    "Code": {
                        "S3Bucket": _ref("CodeBucket"),
                        "S3Key": _ref("CodeKey"),
                        "S3ObjectVersion": _ref("CodeVersion"),
                    },
                    "Handler": _ref("LambdaHandler"),
                    "Runtime": _ref("LambdaRuntime"),
                    "Architectures": [arch],
                    "MemorySize": 512,
                    "Timeout": LAMBDA_TIMEOUT_S,
                    "Role": _arn("SkillFunctionRole"),
                    "Environment": {
                        "Variables": {
                            DB_ENV: _sub("dynamodb:${CheckInTable}"),
                            SECRET_ENV: _sub(
                                "{{resolve:secretsmanager:${UserKeySecret}:SecretString}}"
                            ),
                            # the manifest declares the reminders permission: offer them
                            REMINDERS_ENV: "on",
                        }
                    },
                },
            },
            "SkillFunctionPermission": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": _arn("SkillFunction"),
                    "Principal": "alexa-appkit.amazon.com",
                    "EventSourceToken": _ref("SkillId"),
                },
            },
        },
        "Outputs": {
            "SkillEndpoint": {
                "Description": "The Lambda function's ARN, for the skill manifest.",
                "Value": _arn("SkillFunction"),
            },
            "CheckInTableName": {
                "Description": "The check-in table (LEGCHECK_DB=dynamodb:...).",
                "Value": _ref("CheckInTable"),
            },
        },
    }


def stack_yaml(stack: dict[str, Any]) -> str:
    header = (
        "# The ASK CLI's CloudFormation deployer stack for Leg Check, written by "
        "`legcheck package`.\n# `ask deploy` creates or updates it; edit the generator "
        "(skill/tools/package.py), not this file.\n"
    )
    return header + yaml.safe_dump(stack, sort_keys=False, width=100)


@dataclass
class BuildResult:
    out: Path
    zip_path: Path
    files: list[Path] = field(default_factory=list)
    zip_names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the build says about itself (precompiled or not, and why)."""


def build(
    out: Path,
    endpoint: Endpoint,
    *,
    deps: bool = True,
    arch: str = "x86_64",
    python_version: str = LAMBDA_PYTHON,
    privacy_policy_url: str | None = None,
    models_dir: Path = MODELS_DIR,
    requirements: Sequence[str] | None = None,
    pip: RunPip = run_pip,
    compile_bytecode: bool = True,
) -> BuildResult:
    """Write the ASK CLI project and the Lambda zip into ``out``."""
    try:
        models = read_models(models_dir)
    except DataError as exc:
        raise PackageError(str(exc)) from exc
    problems = check_example_phrases(models)
    if problems:
        raise PackageError(
            "the example phrases must work with the interaction model:\n  " + "\n  ".join(problems)
        )
    manifest = skill_manifest(models, endpoint, privacy_policy_url)
    out.mkdir(parents=True, exist_ok=True)
    package_dir = out / "skill-package"
    if package_dir.exists():
        shutil.rmtree(package_dir)  # no stale locale survives a rebuild
    written: list[Path] = []

    def write(path: Path, data: Any) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)

    write(out / "ask-resources.json", ask_resources(endpoint))
    write(package_dir / "skill.json", manifest)
    for locale, data in sorted(models.items()):
        write(package_dir / "interactionModels" / "custom" / f"{locale}.json", data)
    zip_path = out / ZIP_NAME
    built = build_lambda_zip(
        zip_path,
        deps=deps,
        arch=arch,
        python_version=python_version,
        requirements=requirements,
        pip=pip,
        compile_bytecode=compile_bytecode,
    )
    written.append(zip_path)
    code_dir, stack_path = out / CODE_DIR, out / STACK_PATH
    for stale in (code_dir, stack_path.parent):
        if stale.exists():
            shutil.rmtree(stale)
    with suppress(OSError):  # the infrastructure folder, if nothing else is in it
        stack_path.parent.parent.rmdir()
    if endpoint.is_lambda:
        # the code the ASK CLI zips and uploads: the zip's own files
        with zipfile.ZipFile(zip_path) as zf:
            zf.extractall(code_dir)
        written.append(code_dir)
        stack_path.parent.mkdir(parents=True, exist_ok=True)
        stack_path.write_text(stack_yaml(skill_stack(endpoint, arch)), encoding="utf-8")
        written.append(stack_path)
    return BuildResult(out, zip_path, written, built.names, built.notes)
