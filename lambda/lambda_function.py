"""AWS Lambda entry point: set the function's handler to ``lambda_function.lambda_handler``.

The store is configured by the function's environment (the CloudFormation
stack ``legcheck package`` writes sets both): ``LEGCHECK_DB=dynamodb:TABLE``
(or ``off``) and ``LEGCHECK_USER_KEY_SECRET``. Lambda's file system lasts only
as long as one function instance, so there is no file default here: without
them the function refuses to start, with the reason in its log.
"""

from typing import Any

from skill.app import default_skill, handle_event
from skill.store import Deployment

# At cold start, not at the first request: a missing setting fails loudly here.
SKILL = default_skill(Deployment.LAMBDA)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One Alexa request in, its response out (see :func:`skill.app.handle_event`)."""
    return handle_event(event, context, SKILL)
