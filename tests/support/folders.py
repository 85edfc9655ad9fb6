"""Folders and files this process cannot write, for the tests of what is refused at start-up.

For an ordinary user, taking away the write permission is enough. Root writes whatever the
mode says, so for root the folder or file is also made immutable (``chattr +i``, which needs
``CAP_LINUX_IMMUTABLE`` and a file system with the flag, such as ext4 or XFS). Either way it
is proven unwritable before it is handed out, and made writable again afterwards, so the
test's temporary folder can be removed.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _writable(path: Path) -> bool:
    try:
        if path.is_dir():
            probe = path / ".probe"
            probe.touch()
            probe.unlink()
        else:
            os.close(os.open(path, os.O_RDWR))
    except OSError:
        return False
    return True


def _chattr(flag: str, path: Path) -> None:
    try:
        subprocess.run(["chattr", flag, str(path)], check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or exc
        raise AssertionError(
            f"as root, a test needs `chattr {flag}` to make {path} unwritable: {detail}"
        ) from exc


@contextmanager
def unwritable(path: Path) -> Iterator[Path]:
    """``path`` (an existing file, or a folder, made if missing) unwritable while in use."""
    if not path.exists():
        path.mkdir(parents=True)
    mode = path.stat().st_mode & 0o777
    path.chmod(mode & ~0o222)
    root = os.geteuid() == 0
    try:
        if root:
            _chattr("+i", path)
        assert not _writable(path), f"{path} could not be made unwritable here"
        yield path
    finally:
        if root:
            subprocess.run(["chattr", "-i", str(path)], check=False, capture_output=True)
        path.chmod(mode)
