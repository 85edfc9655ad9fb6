"""The web console: a page on the development server to talk to the skill, like the Test tab
of Amazon's developer console, offline.

``add_console(app)`` registers it on an app made by :func:`skill.web.create_app` with request
verification off: ``legcheck serve --no-verify`` (which ``scripts/run`` starts) does, the
production app never does (GET /console there is 404). It is tooling, so the runtime never
imports it and the Lambda zip holds none of it.

- ``GET /console``: the page (``static/console.html``); ``GET /console/static/<file>``: its
  script and style, and Amazon's APL renderer (``apl-viewhost-web``, which ``scripts/setup``
  installs with npm beside this package), a plain-text 404 where one is missing.
- ``/console/api/...``: the JSON API the page drives (:mod:`skill.tools.console.api`), over
  console sessions (:mod:`skill.tools.console.sessions`), each a simulator
  :class:`~skill.tools.simulator.conversation.Conversation` with the server's own skill
  object: the same language understanding, envelopes and checks as ``legcheck simulate`` and
  the conversation tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask import Flask

from skill.errors import ConfigError
from skill.tools.console.api import BACKEND_KEY, console
from skill.tools.console.sessions import ConsoleBackend
from skill.tools.envelopes import DEFAULT_SKILL_ID
from skill.tools.paths import REPO_ROOT

if TYPE_CHECKING:
    from skill.settings import Settings

CONVERSATIONS_DIR = REPO_ROOT / "tests" / "conversations"
"""The conversation tests the console can load by name (absent from an installed copy)."""


def add_console(app: Flask) -> ConsoleBackend:
    """Register the console's page and API on ``app``, a development app (verification off)
    with its skill object in ``app.config["LEGCHECK_SKILL"]``; its backend.

    Raises :class:`ConfigError` for an app that verifies requests: the console talks to the
    skill without Alexa's signature, so it belongs on the loopback development server only.
    """
    if app.config.get("LEGCHECK_VERIFY", True):
        raise ConfigError(
            "expected a development app (LEGCHECK_VERIFY false, legcheck serve --no-verify) "
            "for the console; got one that verifies requests: the console is never served "
            "in production"
        )
    skill = app.config.get("LEGCHECK_SKILL")
    if skill is None:
        raise ConfigError("expected the app's skill object in LEGCHECK_SKILL; got none")
    skill_id = app.config.get("LEGCHECK_SKILL_ID") or DEFAULT_SKILL_ID
    backend = ConsoleBackend(skill, skill_id, CONVERSATIONS_DIR)
    app.extensions[BACKEND_KEY] = backend
    app.register_blueprint(console)
    return backend


def development_app(
    settings: Settings | None = None, config: Mapping[str, Any] | None = None
) -> Flask:
    """The app ``legcheck serve --no-verify`` serves: :func:`skill.web.create_app` with request
    verification off, and the console registered (:func:`add_console`).

    Its skill is built here from ``settings`` (default: :meth:`Settings.load` for local
    development), with the store they name and reminders when ``LEGCHECK_REMINDERS=on``: each
    call builds its own (``skill.app.default_skill`` keeps one a process, whatever the
    settings), so tests can serve two differently set up in one process. ``config`` adds to or
    overrides the app's config (``LEGCHECK_SKILL``: a skill object of the caller's own).
    """
    from skill.web import create_app

    given = dict(config or {})
    if given.get("LEGCHECK_SKILL") is None:
        from skill.app import build_skill
        from skill.history import retention
        from skill.knowledge import load_knowledge
        from skill.settings import Settings
        from skill.store import Deployment, open_store

        if settings is None:
            settings = Settings.load(Deployment.LOCAL)
        store = open_store(settings.store, retention(load_knowledge()))
        given["LEGCHECK_SKILL"] = build_skill(store, reminders=settings.reminders)
    if settings is not None:
        given.setdefault("LEGCHECK_SETTINGS", settings)
    app = create_app({**given, "LEGCHECK_VERIFY": False})
    add_console(app)
    return app


__all__ = ["ConsoleBackend", "add_console", "development_app"]
