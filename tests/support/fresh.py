"""A script run in a fresh Python process, for what only a new interpreter shows: which
modules an import pulls in, and whether a cold start answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def environment(**settings: str) -> dict[str, str]:
    """This process's environment without any ``LEGCHECK_`` setting, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGCHECK_")}
    env.update(settings)
    return env


def run_python(
    script: str,
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> Any:
    """Run ``script`` with ``args`` in a new interpreter (this one's) in ``cwd``; what it
    printed, read as JSON. Fails the test with the script's stderr when it does not succeed."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=cwd,
        env=dict(env) if env is not None else environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
