"""One base exception for Leg Check, with narrow subclasses.

Each message says what was expected and what came. The web boundary maps
them to HTTP status codes and logs them (see ``skill.web``).
"""

from __future__ import annotations


class LegCheckError(Exception):
    """Base class of every error Leg Check raises on purpose."""

    http_status = 500


class DataError(LegCheckError):
    """A data file (knowledge, locale strings, interaction model) is invalid."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems) or "invalid data")


class BadRequestError(LegCheckError):
    """The HTTP request is not a well-formed Alexa request envelope."""

    http_status = 400


class EnvelopeError(BadRequestError):
    """The ASK SDK could not read an event as a request envelope (the reason is in the message)."""


class PayloadTooLargeError(BadRequestError):
    """The request body is larger than the configured limit."""

    http_status = 413


class VerificationError(LegCheckError):
    """The request could not be proven to come from Alexa."""

    http_status = 400


class ConfigError(LegCheckError):
    """The skill or server was configured in a way that cannot work safely."""


class StoreError(LegCheckError):
    """The check-in store could not do what was asked; nothing stored was replaced."""


class StoreUnavailableError(StoreError):
    """The store could not be reached or answered with an error (a file, a table, a network)."""


class StoreBusyError(StoreUnavailableError):
    """Another writer held the store for longer than the busy timeout."""


class StoreConflictError(StoreError):
    """Concurrent writes for the same user kept conflicting, past the retry limit."""


class CorruptRecordError(StoreError):
    """A stored record cannot be read; it is never overwritten, only deleted."""


class AlexaApiError(LegCheckError):
    """A call to one of Alexa's service APIs (Reminders, Settings) could not be made."""


class InsecureEndpointError(AlexaApiError):
    """The API endpoint is neither https nor loopback http, so the access token is not sent."""


class AlexaApiTimeoutError(AlexaApiError):
    """An Alexa service API did not answer within the client's timeout."""


class AlexaApiUnreachableError(AlexaApiError):
    """An Alexa service API could not be reached (refused, reset, no route, a TLS failure)."""


class AlexaApiNotConfiguredError(ConfigError):
    """The skill was built without an API client, so it has no service client factory."""
