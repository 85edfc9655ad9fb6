"""AWS Lambda entry point: set the function's handler to ``lambda_function.lambda_handler``.

Lambda's file system is read-only except /tmp, so earlier check-ins are kept
there unless ``LEGCHECK_DB`` says otherwise (set it to ``off`` to keep none).
"""

import os

os.environ.setdefault("LEGCHECK_DB", "/tmp/legcheck/checkins.sqlite3")

from skill.app import lambda_handler  # noqa: E402

__all__ = ["lambda_handler"]
