"""The ``legcheck`` console command.

``serve`` (the local endpoint), ``simulate``, ``purge``, ``validate``, ``model sync``,
``corpus`` and ``package``: each sub-command lives in its own ``_cmd_*`` function
registered in :func:`build_parser`, and imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from skill.tools.envelopes import DEFAULT_SKILL_ID

if TYPE_CHECKING:
    from skill.settings import Flag

log = logging.getLogger("legcheck.cli")

ARTICLE_HELP = (
    "the source article, to check every cited section against (default: "
    "$LEGCHECK_ARTICLE, else ../shared/seed/ beside the clone; a named one must be there, "
    "while without the default one the cross-check is skipped, and said so)"
)
EXTRAS = {
    "flask": "web",
    "werkzeug": "web",
    "cryptography": "web",
    "certifi": "web",
    "gunicorn": "web",
    "jsonschema": "tools",
    "yaml": "tools",
}
"""The optional packages each command may need, by the extra that installs them."""
DEPLOYMENTS = {
    "local": "local development (legcheck serve --no-verify, scripts/run, the simulator)",
    "server": "a verified web service (legcheck serve, gunicorn 'skill.web:create_app()')",
    "lambda": "AWS Lambda (lambda_function.lambda_handler)",
}
"""What ``legcheck config --for`` checks for, by deployment."""


def cannot_open(path: Path) -> str | None:
    """Why the file at ``path`` cannot be opened for reading ("No such file or directory",
    "Is a directory", "Permission denied"), or None when it can."""
    try:
        with open(path, "rb"):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def refuse_unopenable(
    command: str, files: Sequence[tuple[str, Path | None]], hint: str = ""
) -> bool:
    """Say in one line (on stderr) which of the files a command was given (``(what, path)``,
    ``what`` such as "--model") cannot be opened, and why, then ``hint``; True if one cannot."""
    for what, path in files:
        why = None if path is None else cannot_open(path)
        if why:
            print(f"legcheck {command}: cannot open {what} {path}: {why}{hint}", file=sys.stderr)
            return True
    return False


def _named_article(given: Path | None) -> tuple[str, Path | None]:
    """The source article a user named (``--article``, else ``LEGCHECK_ARTICLE``), as
    ``(how it was named, path)``; a named one must open, while the default beside the clone
    may be absent (the cross-check is then skipped, and the verdict says so)."""
    from skill.tools.paths import ARTICLE_ENV

    if given is not None:
        return "--article", given
    named = os.environ.get(ARTICLE_ENV)
    return f"the source article ({ARTICLE_ENV})", Path(named) if named else None


def is_loopback(host: str) -> bool:
    """True when every address ``host`` names is a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


IN_USE = "is in use by another program"
"""What ``legcheck serve`` says of a port it cannot have, as werkzeug did (tests wait on it)."""


def port_number(text: str) -> int:
    """A TCP port for ``--port``: 0 (any free one) to 65535."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return port


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` and listening, or an OSError saying why not (as
    werkzeug's own server would bind it: IPv6 when the host has a colon)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    address = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)[0][4]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def cannot_listen(host: str, port: int, exc: OSError) -> str:
    """One line saying why ``host``:``port`` cannot be listened on, and what to do."""
    import errno

    if isinstance(exc, socket.gaierror):
        return f"cannot listen on {host}: no such address ({exc.strerror})"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} {IN_USE}; stop that program, or choose another port "
            f"with --port (--port 0 takes any free one)"
        )
    if exc.errno == errno.EACCES:
        return (
            f"cannot listen on {host}:{port}: permission denied (a port below 1024 needs "
            f"privileges; choose another with --port)"
        )
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def _cmd_serve(args: argparse.Namespace) -> int:
    from werkzeug.serving import make_server

    from skill.errors import ConfigError
    from skill.settings import SKILL_ID_ENV, Flag, Settings
    from skill.store import Deployment
    from skill.tools.console import development_app
    from skill.web import create_app

    if args.no_verify and not is_loopback(args.host):
        print(
            f"legcheck serve: refusing to listen on {args.host} without request "
            "verification; --no-verify is for 127.0.0.1 only",
            file=sys.stderr,
        )
        return 2
    deployment = Deployment.LOCAL if args.no_verify else Deployment.SERVER
    flags = {SKILL_ID_ENV: Flag("--skill-id", args.skill_id)} if args.skill_id else {}
    try:
        settings = Settings.load(deployment, flags=flags)
    except ConfigError as exc:
        print(f"legcheck serve: {exc}", file=sys.stderr)
        return 2
    # The port is bound before anything else is said, so "port in use" is the only line when
    # it is taken, and "listening" is printed only once it is true.
    try:
        sock = listen(args.host, args.port)
    except OSError as exc:
        print(f"legcheck serve: {cannot_listen(args.host, args.port, exc)}", file=sys.stderr)
        return 2
    with sock:
        config: dict[str, object] = {"LEGCHECK_SETTINGS": settings}
        try:
            app = development_app(settings) if args.no_verify else create_app(config)
        except ConfigError as exc:
            print(f"legcheck serve: {exc}", file=sys.stderr)
            return 2
        server = make_server(args.host, args.port, app, threaded=True, fd=sock.fileno())
        url = f"http://{args.host}:{server.port}/"
        console = f", or open {url}console in a browser" if args.no_verify else ""
        print(
            f"Leg Check is listening on {url} (POST Alexa request envelopes to /; try: "
            f"legcheck simulate --url {url}{console})",
            flush=True,
        )
        server.serve_forever()  # until interrupted; it closes its socket
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from skill.errors import ConfigError
    from skill.tools.simulator.command import Options, simulate

    options = Options(
        model=args.model,
        locale=args.locale,
        url=args.url,
        db=args.db,
        show_json=args.json,
        speak=args.speak,
        replay=args.replay,
        record=args.record,
        skill_id=args.skill_id,
        screen=args.screen,
        user=args.user,
        answers=args.answers,
        days_later=args.days_later,
        reminders=args.reminders,
    )
    try:
        return simulate(options, sys.stdin, sys.stdout, sys.stderr)
    except ConfigError as exc:
        print(f"legcheck simulate: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (e.g. piped into head)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _db_flag(db: str | None) -> dict[str, Flag]:
    """The ``--db`` flag as a setting: it stands for ``LEGCHECK_DB``."""
    from skill.settings import Flag
    from skill.store import DB_ENV

    return {DB_ENV: Flag("--db", db)} if db else {}


def _cmd_purge(args: argparse.Namespace) -> int:
    from datetime import UTC, date, datetime

    from skill.errors import ConfigError, StoreError
    from skill.history import retention
    from skill.knowledge import load_knowledge
    from skill.settings import Settings
    from skill.store import DB_ENV, open_store

    try:
        today = date.fromisoformat(args.today) if args.today else datetime.now(UTC).date()
    except ValueError:
        print(
            f"legcheck purge: expected --today as YYYY-MM-DD, got {args.today!r}", file=sys.stderr
        )
        return 2
    try:
        config = Settings.load(flags=_db_flag(args.db)).store
    except ConfigError as exc:
        print(f"legcheck purge: {exc}", file=sys.stderr)
        return 2
    if config.kind == "off":
        print(f"legcheck purge: {DB_ENV} is off; nothing is stored, nothing to purge.")
        return 0
    if config.path is not None and not config.path.exists():
        # opening it would make an empty database, and "0 records" would hide the typo
        given = "the default" if config.default else ("--db" if args.db else DB_ENV)
        hint = "nothing has been kept there yet" if config.default else "check the path"
        print(
            f"legcheck purge: expected a check-in store at {config.path} ({given}); there is "
            f"none, so nothing was purged ({hint})",
            file=sys.stderr,
        )
        return 2
    try:
        store = open_store(config, retention(load_knowledge()))
        assert store is not None
        try:
            changed = store.purge(today)
        finally:
            store.close()
    except ConfigError as exc:
        print(f"legcheck purge: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"legcheck purge: {exc}", file=sys.stderr)
        return 1
    days = store.retention.days
    print(
        f"Purged the {store.describe()}: {changed} record(s) held check-ins older than "
        f"{days} days, or nothing newer; they are deleted or trimmed."
    )
    return 0


def _cmd_config(args: argparse.Namespace) -> int:
    """Print the settings in force, one per line, or the one line saying which cannot work."""
    from skill.errors import ConfigError
    from skill.knowledge import read_knowledge_data
    from skill.settings import Settings
    from skill.store import Deployment
    from skill.tools.paths import ARTICLE_ENV, article_path

    try:
        settings = Settings.load(Deployment(args.deployment), flags=_db_flag(args.db))
    except ConfigError as exc:
        print(f"legcheck config: {exc}", file=sys.stderr)
        return 2
    print(f"settings for {DEPLOYMENTS[settings.deployment]}:")
    for line in settings.lines():
        print(f"  {line}")
    article = article_path(read_knowledge_data())
    origin = "environment" if os.environ.get(ARTICLE_ENV) else "default"
    missing = "" if article.is_file() else ", not there: their cross-check is skipped"
    print(f"  {ARTICLE_ENV}: {article} ({origin}): legcheck validate and package{missing}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from skill.knowledge import KNOWLEDGE_PATH
    from skill.tools.validate import validate

    files = [("--model", m) for m in args.model]
    files += [("--knowledge", args.knowledge), _named_article(args.article)]
    if refuse_unopenable("validate", files):
        return 2
    report = validate(args.model or None, args.knowledge or KNOWLEDGE_PATH, article=args.article)
    for problem in report.problems:
        print(problem)
    print(report.summary(), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1


def _cmd_model_sync(args: argparse.Namespace) -> int:
    """Write each interaction model's custom slot types from its language's lexicon."""
    from skill.errors import DataError
    from skill.tools.models import sync_models

    if refuse_unopenable("model sync", [("--model", m) for m in args.model]):
        return 2
    try:
        for line in sync_models(args.model):
            print(line)
    except DataError as exc:
        print(f"legcheck model sync: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"legcheck model sync: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    return 0


def _cmd_corpus(args: argparse.Namespace) -> int:
    """Run the corpus of how runners talk and print each share."""
    from skill.tools.models import model_path
    from skill.tools.simulator.corpus import CORPUS_DIR, shares

    corpus = CORPUS_DIR / "utterances" / f"{args.locale}.yaml"
    have = sorted(p.stem for p in corpus.parent.glob("*.yaml") if "." not in p.stem)
    if refuse_unopenable(
        "corpus",
        [("the interaction model", model_path(args.locale)), ("the corpus", corpus)],
        f" (--locale has a corpus in: {', '.join(have) or 'none'})",
    ):
        return 2
    logging.getLogger("legcheck").setLevel(logging.WARNING)  # the skill's own log is noise here
    failed = False
    for measure, (passed, total) in shares(args.locale).items():
        share = passed / total if total else 0.0
        print(f"{measure}: {passed}/{total} ({share:.1%})")
        failed = failed or not total
    _print_safety_corpus()
    return 1 if failed else 0


def _print_safety_corpus() -> None:
    """Print the held-out safety corpus's shares, in every market that has a model: now, and
    as it was on its first run (before anything was changed for it); where the corpus is not
    in the clone, say so."""
    from skill.tools.models import MODELS_DIR
    from skill.tools.simulator.nlu import InteractionModel
    from skill.tools.simulator.safety import SAFETY_DIR, first_run, safety_shares

    if not (SAFETY_DIR / "utterances.yaml").is_file():
        print(f"held-out safety corpus: not found at {SAFETY_DIR}")
        return
    models = {p.stem: InteractionModel.load(p) for p in sorted(MODELS_DIR.glob("*-*.json"))}
    before = first_run()
    print("\nheld-out safety corpus (tests/corpus/safety, written blind; every market):")
    runs = [(name, before[name]) for name in ("landed", "first_pass") if name in before]
    for measure, (passed, total) in safety_shares(models).items():
        then = "".join(
            f"; {name.replace('_', ' ')} ({run['commit']}): {run[measure][0]}/"
            f"{run[measure][1]} ({run[measure][0] / run[measure][1]:.1%})"
            for name, run in runs
            if measure in run
        )
        share = passed / total if total else 0.0
        print(f"  {measure}: now {passed}/{total} ({share:.1%}){then}")
    for probe in sorted(SAFETY_DIR.glob("probe-*.yaml")):
        first_run_of = next(
            (r for r in before.values() if isinstance(r, dict) and r.get("file") == probe.name), {}
        )
        print(f"{probe.name} (a later probe, written blind after the fixes):")
        for measure, (passed, total) in safety_shares(models, name=probe.name).items():
            first = first_run_of.get(measure)
            then = f"; first run {first[0]}/{first[1]} ({first[0] / first[1]:.1%})" if first else ""
            print(f"  {measure}: now {passed}/{total} ({passed / total:.1%}){then}")


def _cmd_package(args: argparse.Namespace) -> int:
    from skill.tools.lambda_zip import PackageError
    from skill.tools.package import CODE_DIR, LAMBDA_RUNTIME, STACK_PATH, Endpoint, build
    from skill.tools.validate import validate

    if refuse_unopenable("package", [_named_article(args.article)]):
        return 2
    if args.out.exists() and not args.out.is_dir():
        print(f"legcheck package: --out {args.out} is a file; name a folder", file=sys.stderr)
        return 2
    try:
        if bool(args.lambda_arn) == bool(args.endpoint_uri):
            raise PackageError(
                "say where Alexa sends requests: --lambda-arn ARN, or "
                "--endpoint-uri https://... (not both)"
            )
        endpoint = (
            Endpoint.lambda_arn(args.lambda_arn)
            if args.lambda_arn
            else Endpoint.https(args.endpoint_uri, args.ssl_certificate_type)
        )
        report = validate(article=args.article)
        if not report.ok:
            for problem in report.problems:
                print(problem, file=sys.stderr)
            raise PackageError(
                f"fix these {len(report.problems)} problem(s) first (legcheck validate lists them)"
            )
        if report.article_skipped:
            print(f"legcheck package: {report.article_skipped}")
        result = build(
            args.out,
            endpoint,
            deps=not args.no_deps,
            arch=args.arch,
            privacy_policy_url=args.privacy_policy_url,
            compile_bytecode=not args.no_compile,
        )
    except PackageError as exc:
        print(f"legcheck package: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"legcheck package: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    for note in result.notes:
        print(f"legcheck package: {note}")
    size = result.zip_path.stat().st_size / 1e6
    parts = "ask-resources.json, skill-package/"
    if endpoint.is_lambda:
        parts += f", {CODE_DIR}/, {STACK_PATH}"
    print(
        f"Wrote the ASK CLI project in {result.out}/ ({parts}) "
        f"and {result.zip_path} ({len(result.zip_names)} files, {size:.1f} MB"
        f"{', without dependencies' if args.no_deps else ''})."
    )
    print("Next:")
    print(f"  cd {result.out} && ask deploy")
    if endpoint.is_lambda:
        print(
            f"    (the skill, and a CloudFormation stack in {endpoint.region}: the function "
            f"{endpoint.function_name}, its check-in table, user key secret, logs and role)"
        )
        print(
            f"  or, for a function you manage yourself: aws lambda update-function-code "
            f"--function-name {args.lambda_arn} --zip-file fileb://{result.zip_path}"
        )
        print(
            f"    (runtime {LAMBDA_RUNTIME}, architecture {args.arch}, handler "
            f"lambda_function.lambda_handler, an Alexa Skills Kit trigger, and "
            f"LEGCHECK_DB=dynamodb:TABLE with LEGCHECK_USER_KEY_SECRET set)"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    from skill.tools.models import model_locales

    parser = argparse.ArgumentParser(
        prog="legcheck",
        description="Leg Check: an Alexa skill for post-run check-ins. "
        "Information, not a diagnosis.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the skill's web endpoint for local development")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=port_number, default=5000, help="port to listen on (default: 5000)"
    )
    serve.add_argument(
        "--skill-id", default=None, help="the skill's application id (default: $LEGCHECK_SKILL_ID)"
    )
    serve.add_argument(
        "--no-verify",
        action="store_true",
        help="skip Alexa request verification (loopback only, development only)",
    )
    serve.set_defaults(func=_cmd_serve)

    simulate = sub.add_parser(
        "simulate",
        help="talk to the skill as Alexa would: type (or pipe) what you would say",
        description="Resolve what you would say against the interaction model, send the "
        "request Alexa would send, and print what Alexa would say and show. "
        "Reads lines from a terminal or a pipe; .help lists console commands.",
    )
    simulate.add_argument(
        "--model",
        type=Path,
        default=None,
        help="interaction model file (default: interaction_model/LOCALE.json)",
    )
    simulate.add_argument(
        "--locale",
        default="en-US",
        metavar="LOCALE",
        help="the market: its interaction model and the requests' locale, one of "
        f"{', '.join(model_locales())} (default: en-US)",
    )
    simulate.add_argument(
        "--user",
        default=None,
        metavar="NAME",
        help="who is talking: the same NAME is the same runner (Alexa user id) in every run, "
        "in-process and over --url (default: this machine's runner, whose id is kept beside "
        "the default check-in store)",
    )
    simulate.add_argument(
        "--days-later",
        default="0",
        metavar="DAYS",
        help="start the simulated clock DAYS days from now (e.g. 1: tomorrow)",
    )
    simulate.add_argument(
        "--answers",
        type=Path,
        default=None,
        metavar="FILE",
        help="a scripted runner: a YAML or JSON file of rules, what Alexa says (words or a "
        "regular expression) -> the answer, given as the questions come (see docs/tooling.md)",
    )
    simulate.add_argument(
        "--url",
        default=None,
        help="send requests to this endpoint (e.g. http://127.0.0.1:5000/) "
        "instead of the skill in this process",
    )
    simulate.add_argument(
        "--db",
        default=None,
        help="check-in store for the in-process skill: an SQLite file, or "
        "'off' (default: a temporary file removed at exit)",
    )
    simulate.add_argument(
        "--screen",
        action="store_true",
        help="talk as an Echo Show: the device supports APL, and what the "
        "screen would hold is printed",
    )
    simulate.add_argument(
        "--reminders",
        action="store_true",
        help="offer the next-day check-in reminder: Alexa's Reminders and Settings APIs are "
        "answered on loopback and each reminder set is printed (.permission and .consent "
        "grant the permission; over --url the server needs LEGCHECK_REMINDERS=on)",
    )
    simulate.add_argument(
        "--json", action="store_true", help="also print the request and response envelopes"
    )
    simulate.add_argument(
        "--speak",
        action="store_true",
        help="read the speech aloud with espeak-ng, where it is installed",
    )
    simulate.add_argument(
        "--replay",
        type=Path,
        default=None,
        help="run a scripted conversation: an ASK CLI replay file (.json) or "
        "a conversation test (.yaml) whose expectations are checked",
    )
    simulate.add_argument(
        "--record",
        type=Path,
        default=None,
        help="at the end, write what was said as an ASK CLI replay file",
    )
    simulate.add_argument(
        "--skill-id",
        default=DEFAULT_SKILL_ID,
        help="the skill id in the envelopes and in recorded replay files",
    )
    simulate.set_defaults(func=_cmd_simulate)

    purge = sub.add_parser(
        "purge",
        help="delete stored check-ins past the retention window (run it daily)",
        description="Delete every stored check-in older than the retention window (30 days), "
        "and every record with nothing newer, from the store LEGCHECK_DB names "
        "(an SQLite file, or dynamodb:TABLE, where the table's TTL does the same). "
        "Reads already skip them; this removes them.",
    )
    purge.add_argument(
        "--db",
        default=None,
        help="the store: an SQLite file or dynamodb:TABLE (default: $LEGCHECK_DB, "
        "else the default SQLite file)",
    )
    purge.add_argument(
        "--today", default=None, help="purge as of this day, YYYY-MM-DD (default: today, UTC)"
    )
    purge.set_defaults(func=_cmd_purge)

    config = sub.add_parser(
        "config",
        help="print the settings in force and where each came from, or why they cannot work",
        description="Read the settings as the skill would at start-up (LEGCHECK_DB, "
        "LEGCHECK_USER_KEY_SECRET, LEGCHECK_SKILL_ID, the AWS region for DynamoDB), check each, "
        "and print them one per line with where each came from (environment, flag, default), "
        "secrets masked; exit 2 with the one-line reason when one cannot work.",
    )
    config.add_argument(
        "--for",
        dest="deployment",
        choices=list(DEPLOYMENTS),
        default="local",
        help="check them as this deployment would: local (default), server (verified web "
        "serving) or lambda",
    )
    config.add_argument(
        "--db", default=None, help="the store, in place of $LEGCHECK_DB (as purge and simulate)"
    )
    config.set_defaults(func=_cmd_config)

    validate = sub.add_parser(
        "validate",
        help="lint the interaction models, the knowledge file and the locale strings",
        description="Check the interaction models against their JSON Schema and Amazon's rules, "
        "the knowledge file and the locale strings; list every problem with its "
        "file and place, and exit 1 if there is any.",
    )
    validate.add_argument(
        "--model",
        type=Path,
        action="append",
        default=[],
        help="an interaction model to check (repeatable; default: every interaction_model/*.json)",
    )
    validate.add_argument(
        "--knowledge",
        type=Path,
        default=None,
        help="the knowledge file (default: skill/data/knowledge.json)",
    )
    validate.add_argument("--article", type=Path, default=None, help=ARTICLE_HELP)
    validate.set_defaults(func=_cmd_validate)

    model = sub.add_parser("model", help="work on the interaction models")
    model_sub = model.add_subparsers(dest="model_command", required=True)
    sync = model_sub.add_parser(
        "sync",
        help="write the models' slot types from skill/data/lexicon, and each "
        "market's model from en-US and its overlay",
        description="Rewrite the custom slot types (values and synonyms) of the source model "
        "(en-US) from its language's lexicon, the same words the phrase "
        "interpreter reads, then write each market's model from the source and "
        "interaction_model/overlays/<locale>.json, so none can drift.",
    )
    sync.add_argument(
        "--model",
        type=Path,
        action="append",
        default=[],
        help="only rewrite the slot types of this model (repeatable; default: "
        "en-US, then every market's model from it)",
    )
    sync.set_defaults(func=_cmd_model_sync)

    corpus = sub.add_parser(
        "corpus",
        help="run the corpus of how runners talk and print each share",
        description="Run tests/corpus through the phrase interpreter, end to end through the "
        "simulator, and as whole conversations; print the share that passes.",
    )
    corpus.add_argument("--locale", default="en-US", help="the corpus and model locale")
    corpus.set_defaults(func=_cmd_corpus)

    package = sub.add_parser(
        "package",
        help="write an ASK CLI v2 project and a Lambda deployment zip",
        description="Write ask-resources.json, skill-package/ (manifest and interaction "
        "models) and legcheck-lambda.zip (lambda_function.py, the skill package and "
        "its runtime dependencies for Lambda) after checking the data; for a Lambda "
        "endpoint also lambda/ (the same code) and the ASK CLI's CloudFormation "
        "deployer stack, infrastructure/cfn-deployer/skill-stack.yaml (the function, "
        "its DynamoDB check-in table, user key secret, logs and role).",
    )
    package.add_argument(
        "--out", type=Path, default=Path("build"), help="folder to write into (default: build)"
    )
    package.add_argument(
        "--lambda-arn",
        default=None,
        help="the Lambda function Alexa calls (its ARN; the stack creates it "
        "under that name, in that region)",
    )
    package.add_argument(
        "--endpoint-uri",
        default=None,
        help="or the https URL of a web service running legcheck serve",
    )
    package.add_argument(
        "--ssl-certificate-type",
        default="Trusted",
        choices=["Trusted", "Wildcard", "SelfSigned"],
        help="the certificate of --endpoint-uri (default: Trusted)",
    )
    package.add_argument(
        "--arch",
        default="x86_64",
        choices=["x86_64", "arm64"],
        help="the Lambda function's architecture (default: x86_64)",
    )
    package.add_argument(
        "--privacy-policy-url",
        default=None,
        help="declare usesPersonalInfo with this privacy policy (https)",
    )
    package.add_argument(
        "--no-deps",
        action="store_true",
        help="leave the dependencies out of the zip (no network; for tests)",
    )
    package.add_argument(
        "--no-compile",
        action="store_true",
        help="ship source only, no .pyc (a cold start then compiles it all)",
    )
    package.add_argument("--article", type=Path, default=None, help=ARTICLE_HELP)
    package.set_defaults(func=_cmd_package)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        code: int = args.func(args)
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".")[0]
        if top not in EXTRAS:
            raise
        extra = EXTRAS[top]
        print(
            f"legcheck {args.command}: needs {top}, from the {extra!r} extra: "
            f"pip install 'legcheck[{extra}]' (or, in a clone, scripts/setup)",
            file=sys.stderr,
        )
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
