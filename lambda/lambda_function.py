"""AWS Lambda entry point: set the function's handler to ``lambda_function.lambda_handler``.

The store is configured by the function's environment (the CloudFormation
stack ``legcheck package`` writes sets both): ``LEGCHECK_DB=dynamodb:TABLE``
(or ``off``) and ``LEGCHECK_USER_KEY_SECRET``. Lambda's file system lasts only
as long as one function instance, so there is no file default here: without
them the function refuses to start, with the reason in its log.
"""

from skill.app import default_skill, lambda_handler
from skill.store import Deployment

# At cold start, not at the first request: a missing setting fails loudly here.
default_skill(Deployment.LAMBDA)

__all__ = ["lambda_handler"]
