"""AWS Lambda entry point: set the function's handler to ``lambda_function.lambda_handler``.

The store is configured by the function's environment (the CloudFormation
stack ``legcheck package`` writes sets both): ``LEGCHECK_DB=dynamodb:TABLE``
(or ``off``) and ``LEGCHECK_USER_KEY_SECRET``. Lambda's file system lasts only
as long as one function instance, so there is no file default here. A setting
that cannot work is logged on one line at cold start, and the function answers
anyway, without memory: the advice (and any call for help) is given, and what
needs the check-ins says they cannot be reached (see ``docs/faults.md``). A
function that failed to start would leave the runner with no answer at all.
"""

from typing import Any

from skill.app import default_skill, handle_event
from skill.store import Deployment

# At cold start, not at the first request: a setting that cannot work is logged here.
SKILL = default_skill(Deployment.LAMBDA)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One Alexa request in, its response out (see :func:`skill.app.handle_event`)."""
    return handle_event(event, context, SKILL)
