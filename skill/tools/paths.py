"""Where the tooling finds what lives in a clone, not in the shipped package.

The runtime reads only its own package's data (``skill/data``); the repository's root and the
source article beside the clone mean something to the tooling and the tests alone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The clone's top folder (``pyproject.toml``, ``skill/``, ``interaction_model/``, ...)."""

ARTICLE_ENV = "LEGCHECK_ARTICLE"
"""Where the source article is, when not at the knowledge file's ``article.path``."""


def article_path(
    data: Mapping[str, Any], override: Path | None = None, env: Mapping[str, str] | None = None
) -> Path:
    """Where to read the source article: ``override`` (``--article PATH``), else the
    ``LEGCHECK_ARTICLE`` environment variable, else ``article.path`` in the knowledge data
    (relative to the repository, ``../shared/seed/...``: beside the clone, not in it).

    ``legcheck validate``, ``legcheck package`` and every test that reads the article find it
    here, so they agree on where it is."""
    if override is not None:
        return override
    named = (os.environ if env is None else env).get(ARTICLE_ENV)
    if named:
        return Path(named)
    return (REPO_ROOT / str(data["article"]["path"])).resolve()
