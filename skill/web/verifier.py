"""Prove that a request comes from Alexa, as Amazon requires of skills hosted as a web service.

Amazon's official verifier (``ask-sdk-webservice-support``) cannot be imported on current Linux:
its chain (certvalidator, oscrypto) fails on OpenSSL 3. This module makes the same documented
checks with the ``cryptography`` package:

1. ``SignatureCertChainUrl``: scheme ``https`` and host ``s3.amazonaws.com`` (case-insensitive),
   port 443 if one is given, and a path that begins with ``/echo.api/`` once ``.`` and ``..`` are
   normalised (case-sensitive). See :func:`validate_cert_url`.
2. The PEM chain at that URL (downloaded with a short timeout and a size limit, cached by URL
   until its first certificate expires; a failure is remembered for :data:`FAILURE_CACHE_TTL`;
   threads that need the same URL share one download, and different URLs never wait on each
   other): the signing certificate is within its validity dates,
   names ``echo-api.amazon.com`` among its subject alternative names, and leads to a trusted root
   (``cryptography.x509.verification``, with the certifi roots by default).
3. ``Signature-256``: base64 of an RSA PKCS#1 v1.5 SHA-256 signature over the raw body bytes.
4. ``request.timestamp``, an ISO 8601 string (as Amazon documents it; never a number), within
   150 seconds of now (an hour for ``AlexaSkillEvent.*`` requests).
5. The skill id in the request matches the configured one.

:class:`RequestVerifier` runs them in that order; each failure raises a narrow subclass of
:class:`skill.errors.VerificationError` whose message says what was expected and what came.
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
import posixpath
import re
import ssl
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import certifi
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509 import DNSName, verification

from skill.errors import VerificationError
from skill.limits import JsonLimitError, load_json

log = logging.getLogger("legcheck.verifier")

CERT_URL_HEADER = "SignatureCertChainUrl"
SIGNATURE_HEADER = "Signature-256"
CERT_URL_SCHEME = "https"
CERT_URL_HOST = "s3.amazonaws.com"
CERT_URL_PORT = 443
CERT_URL_PATH_PREFIX = "/echo.api/"
ALEXA_CERT_NAME = "echo-api.amazon.com"
TIMESTAMP_TOLERANCE = timedelta(seconds=150)
SKILL_EVENT_TOLERANCE = timedelta(hours=1)
SKILL_EVENT_PREFIX = "AlexaSkillEvent."
DOWNLOAD_TIMEOUT_SECONDS = 3.0
MAX_CHAIN_BYTES = 64 * 1024
MAX_CACHED_CHAINS = 16
# How long a failed download or an untrusted chain is remembered for its URL: a flood of
# requests naming one bad URL costs one download per period, not one each.
FAILURE_CACHE_TTL = timedelta(seconds=30)
MAX_CACHED_FAILURES = 1024
# How long a request waits for another thread's download of the same chain before giving up.
SHARED_DOWNLOAD_WAIT_SECONDS = 3 * DOWNLOAD_TIMEOUT_SECONDS
# The timestamps Alexa sends, e.g. 2024-05-01T12:00:00Z or 2024-05-01T12:00:00.123+02:00.
TIMESTAMP_PATTERN = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d{1,9}))?"
    r"(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII,
)
EARLIEST_YEAR, LATEST_YEAR = 2000, 2999

CertFetcher = Callable[[str], bytes]
Clock = Callable[[], datetime]


class CertificateUrlError(VerificationError):
    """The ``SignatureCertChainUrl`` header is missing or is not one of Amazon's URLs."""

    check = "certificate URL"


class CertificateChainError(VerificationError):
    """The certificate chain could not be downloaded, read or trusted."""

    check = "certificate chain"


class SignatureError(VerificationError):
    """The ``Signature-256`` header is missing, malformed or does not match the body."""

    check = "signature"


class TimestampError(VerificationError):
    """``request.timestamp`` is missing, unreadable or too far from now."""

    check = "timestamp"


class SkillIdError(VerificationError):
    """The request is for another skill than the configured one."""

    check = "skill id"


class EnvelopeError(VerificationError):
    """A correctly signed body is not a JSON request envelope."""

    check = "envelope"


def _quoted(value: object, limit: int = 200) -> str:
    """``repr`` of untrusted text, cut to ``limit`` characters so that a log line stays one line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@functools.lru_cache(maxsize=256)  # pure; only URLs that pass are remembered
def validate_cert_url(url: str) -> str:
    """Check a ``SignatureCertChainUrl`` by Amazon's rules and return its canonical form.

    The canonical form is ``https://s3.amazonaws.com`` with the normalised path (and the query,
    if any); it is what gets downloaded and the key of the cache.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise CertificateUrlError(
            f"expected an https://s3.amazonaws.com/echo.api/ URL, got {_quoted(url)} ({exc})"
        ) from exc
    if parts.scheme.lower() != CERT_URL_SCHEME:
        raise CertificateUrlError(
            f"expected certificate URL scheme 'https', got {_quoted(parts.scheme)} "
            f"in {_quoted(url)}"
        )
    if (parts.hostname or "").lower() != CERT_URL_HOST:
        raise CertificateUrlError(
            f"expected certificate URL host 's3.amazonaws.com', got {_quoted(parts.hostname)} "
            f"in {_quoted(url)}"
        )
    if parts.username is not None or parts.password is not None:
        raise CertificateUrlError(
            f"expected a certificate URL without user information, got {_quoted(url)}"
        )
    if port is not None and port != CERT_URL_PORT:
        raise CertificateUrlError(
            f"expected certificate URL port 443 (or none), got {port} in {_quoted(url)}"
        )
    # posixpath.normpath keeps exactly two leading slashes ("//x"); such a path can never start
    # with "/echo.api/", so it is refused below, as it should be.
    path = posixpath.normpath(parts.path) if parts.path else ""
    if not path.startswith(CERT_URL_PATH_PREFIX):
        raise CertificateUrlError(
            f"expected a certificate URL path beginning with '/echo.api/' (case-sensitive, "
            f"after normalising '.' and '..'), got {_quoted(path)} from {_quoted(url)}"
        )
    return urlunsplit((CERT_URL_SCHEME, CERT_URL_HOST, path, parts.query, ""))


def download_chain(
    url: str,
    *,
    timeout: float = DOWNLOAD_TIMEOUT_SECONDS,
    max_bytes: int = MAX_CHAIN_BYTES,
    ssl_context: ssl.SSLContext | None = None,
) -> bytes:
    """Download the PEM chain at ``url`` within ``timeout`` seconds and ``max_bytes`` bytes.

    The URL is not checked here (:class:`RequestVerifier` checks it first), so tests can point
    this at a plain-HTTP server on 127.0.0.1. HTTPS uses the certifi roots. Every failure is a
    :class:`CertificateChainError`.
    """
    context = ssl_context or ssl.create_default_context(cafile=certifi.where())
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"User-Agent": "legcheck-verifier"})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as reply:
            length = reply.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) > max_bytes:
                raise CertificateChainError(
                    f"expected a certificate chain of at most {max_bytes} bytes at {_quoted(url)}, "
                    f"got Content-Length {int(length)}"
                )
            data = bytearray()
            while True:
                if time.monotonic() > deadline:
                    raise CertificateChainError(
                        f"expected the certificate chain at {_quoted(url)} within {timeout:g} s, "
                        "the download took longer"
                    )
                chunk = reply.read(min(16 * 1024, max_bytes + 1 - len(data)))
                if not chunk:
                    break
                data += chunk
                if len(data) > max_bytes:
                    raise CertificateChainError(
                        f"expected a certificate chain of at most {max_bytes} bytes at "
                        f"{_quoted(url)}, got more"
                    )
    except CertificateChainError:
        raise
    except (OSError, ValueError, urllib.error.URLError) as exc:  # timeouts are OSErrors
        raise CertificateChainError(
            f"expected to download the certificate chain from {_quoted(url)}, got an error: "
            f"{_quoted(str(exc))}"
        ) from exc
    return bytes(data)


_certifi_lock = threading.Lock()
_certifi_roots: list[x509.Certificate] | None = None


def certifi_roots() -> list[x509.Certificate]:
    """The certifi root store, read once (on first use) and shared."""
    global _certifi_roots
    with _certifi_lock:
        if _certifi_roots is None:
            with open(certifi.where(), "rb") as handle:
                pem = handle.read()
            # One root in the Mozilla store has a non-positive serial number, which cryptography
            # loads with a deprecation warning; it is a trust anchor, not ours to judge.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CryptographyDeprecationWarning)
                _certifi_roots = x509.load_pem_x509_certificates(pem)
        return _certifi_roots


@dataclass(frozen=True)
class _TrustedChain:
    key: rsa.RSAPublicKey
    expires: datetime  # the earliest Not After in the chain as sent


@dataclass(frozen=True)
class _Failure:
    error: VerificationError  # what went wrong, raised again (as a new error) until ``until``
    until: datetime


class _Download:
    """One download of a chain in progress; threads that need the same URL wait on it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.trusted: _TrustedChain | None = None
        self.error: VerificationError | None = None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_timestamp(raw: object) -> datetime:
    """``request.timestamp`` as an aware UTC datetime, or a :class:`TimestampError` saying why not.

    Amazon documents it as an ISO 8601 string, such as ``2024-05-01T12:00:00Z``: a date and a
    time of day, optional fractions of a second, and ``Z``, an offset or (taken as UTC) nothing.
    Anything else is refused: numbers (epoch seconds or milliseconds, which only a long-retired
    test simulator ever sent) whether as numbers or as strings, dates without a time, other
    spellings, and years outside 2000 to 2999, which no clock of Alexa's can mean and which
    could not even be converted to UTC at the edges of the calendar.
    """
    expected = "expected request.timestamp as an ISO 8601 string such as 2024-05-01T12:00:00Z"
    if not isinstance(raw, str):
        kind = (
            "a number"
            if isinstance(raw, int | float) and not isinstance(raw, bool)
            else (_quoted(raw, 60))
        )
        raise TimestampError(f"{expected}, got {kind}")
    match = TIMESTAMP_PATTERN.fullmatch(raw)
    if match is None:
        raise TimestampError(f"{expected}, got {_quoted(raw, 60)}")
    year = int(raw[:4])
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise TimestampError(
            f"expected request.timestamp between the years {EARLIEST_YEAR} and {LATEST_YEAR}, "
            f"got {_quoted(raw, 60)}"
        )
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    zone = match["zone"] or ""
    zone = "+00:00" if zone in ("", "Z") else (zone if len(zone) != 5 else f"{zone[:3]}:{zone[3:]}")
    if len(zone) == 3:
        zone += ":00"
    try:
        moment = datetime.fromisoformat(f"{match['date']}T{match['time']}.{fraction}{zone}")
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # a 31st of February, an hour 25, an offset 99
        raise TimestampError(f"{expected}, got {_quoted(raw, 60)} ({exc})") from exc


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, looked up case-insensitively even in a plain dict."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, item in headers.items():
        if key.lower() == lowered:
            return item
    return None


class RequestVerifier:
    """Make every check Amazon requires of a request to a skill hosted as a web service.

    ``skill_id`` is the skill's application id; ``None`` skips that check (allowed only when the
    caller says so, see ``skill.web.create_app``). ``fetcher`` downloads a chain (url -> PEM
    bytes), ``trust_roots`` replace the certifi roots, ``clock`` returns the aware time now: all
    three are injectable for tests. Verified chains are cached by canonical URL until the first
    of their certificates expires; a URL whose download or chain failed is refused without a new
    download for ``failure_ttl``. Safe to share between threads: threads that need the same URL
    share one download, and downloads of different URLs run side by side, so a request whose
    chain is cached never waits on anyone's download.
    """

    def __init__(
        self,
        skill_id: str | None,
        *,
        fetcher: CertFetcher | None = None,
        trust_roots: Sequence[x509.Certificate] | None = None,
        clock: Clock | None = None,
        timestamp_tolerance: timedelta = TIMESTAMP_TOLERANCE,
        skill_event_tolerance: timedelta = SKILL_EVENT_TOLERANCE,
        failure_ttl: timedelta = FAILURE_CACHE_TTL,
    ) -> None:
        self.skill_id = skill_id
        self.fetcher: CertFetcher = fetcher or download_chain
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.timestamp_tolerance = timestamp_tolerance
        self.skill_event_tolerance = skill_event_tolerance
        self._roots = list(trust_roots) if trust_roots is not None else None
        self._store: verification.Store | None = None
        self.failure_ttl = failure_ttl
        self._cache: OrderedDict[str, _TrustedChain] = OrderedDict()
        self._failures: OrderedDict[str, _Failure] = OrderedDict()
        self._downloads: dict[str, _Download] = {}  # by canonical URL, while in progress
        self._lock = threading.Lock()  # guards the three above and _store; never held to fetch

    # -- the whole check ------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        """Raise a :class:`VerificationError` subclass unless the request provably is Alexa's.

        Returns the envelope, parsed (within :mod:`skill.limits`' bounds) once it is trusted.
        """
        url = _header(headers, CERT_URL_HEADER)
        if not url:
            raise CertificateUrlError(
                f"expected a {CERT_URL_HEADER} header, got "
                f"{'an empty one' if url is not None else 'none'}"
            )
        signature = _header(headers, SIGNATURE_HEADER)
        if not signature:
            raise SignatureError(
                f"expected a {SIGNATURE_HEADER} header (base64 RSA SHA-256), got "
                f"{'an empty one' if signature is not None else 'none'}"
            )
        now = _utc(self.clock())
        key = self.trusted_key(url, now)
        self.verify_signature(key, signature, body)
        data = self._load(body)
        self.verify_timestamp(data, now)
        self.verify_skill_id(data)
        return data

    # -- the certificate URL and chain ----------------------------------------------------------

    def trusted_key(self, url: str, now: datetime) -> rsa.RSAPublicKey:
        """The signing key of the chain at ``url``: cached, shared, or freshly downloaded.

        No lock is held while downloading: the first thread to need a URL downloads it, later
        ones wait for that download (and its outcome, good or bad), and threads that need other
        URLs go their own way.
        """
        canonical = validate_cert_url(url)
        with self._lock:
            trusted = self._cached(canonical, now)
            if trusted is not None:
                return trusted.key
            failure = self._failures.get(canonical)
            if failure is not None:
                if now < failure.until:
                    raise type(failure.error)(
                        f"{failure.error} (remembered for {self.failure_ttl.total_seconds():g} s; "
                        "not downloaded again yet)"
                    )
                del self._failures[canonical]
            download = self._downloads.get(canonical)
            leader = download is None
            if download is None:
                download = self._downloads[canonical] = _Download()
        if not leader:
            return self._wait_for(download, canonical)
        try:
            trusted = self._download_and_check(canonical, now)
        except VerificationError as exc:
            with self._lock:
                self._failures[canonical] = _Failure(exc, now + self.failure_ttl)
                self._failures.move_to_end(canonical)
                while len(self._failures) > MAX_CACHED_FAILURES:
                    self._failures.popitem(last=False)
            download.error = exc
            raise
        else:
            with self._lock:
                self._cache[canonical] = trusted
                self._cache.move_to_end(canonical)
                while len(self._cache) > MAX_CACHED_CHAINS:
                    self._cache.popitem(last=False)
            download.trusted = trusted
            log.info(
                "trusted the certificate chain at %s until %s",
                canonical,
                trusted.expires.isoformat(),
            )
            return trusted.key
        finally:
            with self._lock:
                del self._downloads[canonical]
            download.done.set()

    def _download_and_check(self, canonical: str, now: datetime) -> _TrustedChain:
        try:
            pem = self.fetcher(canonical)
        except VerificationError:
            raise
        except Exception as exc:  # an injected fetcher may raise anything
            raise CertificateChainError(
                f"expected to download the certificate chain from {_quoted(canonical)}, got "
                f"{type(exc).__name__}: {_quoted(str(exc))}"
            ) from exc
        try:
            return self.check_chain(pem, now, source=canonical)
        except VerificationError:
            raise
        except Exception as exc:  # a certificate cryptography can load but not inspect
            raise CertificateChainError(
                f"expected a certificate chain that can be checked at {_quoted(canonical)}, got "
                f"{type(exc).__name__}: {_quoted(str(exc))}"
            ) from exc

    @staticmethod
    def _wait_for(download: _Download, canonical: str) -> rsa.RSAPublicKey:
        """The outcome of another thread's download of the same URL."""
        if not download.done.wait(SHARED_DOWNLOAD_WAIT_SECONDS):
            raise CertificateChainError(
                f"expected the certificate chain from {_quoted(canonical)} within "
                f"{SHARED_DOWNLOAD_WAIT_SECONDS:g} s, another request's download of it is "
                "still going"
            )
        if download.trusted is not None:
            return download.trusted.key
        error = download.error or CertificateChainError(
            f"expected the certificate chain from {_quoted(canonical)}, its download ended "
            "without one"
        )
        raise type(error)(str(error))

    def _cached(self, canonical: str, now: datetime) -> _TrustedChain | None:
        """The trusted chain cached for ``canonical``, unless expired; call with ``_lock`` held."""
        entry = self._cache.get(canonical)
        if entry is None:
            return None
        if now >= entry.expires:
            del self._cache[canonical]
            return None
        return entry

    def _trust_store(self) -> verification.Store:
        with self._lock:
            if self._store is None:
                roots = self._roots if self._roots is not None else certifi_roots()
                self._store = verification.Store(roots)
            return self._store

    def check_chain(self, pem: bytes, now: datetime, *, source: str = "the chain") -> _TrustedChain:
        """Read a PEM chain (signing certificate first) and check it as Amazon requires."""
        try:
            certs = x509.load_pem_x509_certificates(pem)
        except ValueError as exc:
            raise CertificateChainError(
                f"expected PEM certificates at {_quoted(source)}, got unreadable data ({exc})"
            ) from exc
        leaf, intermediates = certs[0], certs[1:]
        not_before, not_after = leaf.not_valid_before_utc, leaf.not_valid_after_utc
        if not not_before <= now <= not_after:
            raise CertificateChainError(
                f"expected the signing certificate to be valid at {now.isoformat()}, "
                f"it is valid from {not_before.isoformat()} to {not_after.isoformat()}"
            )
        try:
            san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            names = san.get_values_for_type(x509.DNSName)
        except x509.ExtensionNotFound:
            names = []
        if ALEXA_CERT_NAME not in names:
            raise CertificateChainError(
                f"expected {ALEXA_CERT_NAME!r} among the signing certificate's subject "
                f"alternative names, got {_quoted(names)}"
            )
        key = leaf.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise CertificateChainError(f"expected an RSA signing key, got {type(key).__name__}")
        verifier = (
            verification.PolicyBuilder()
            .store(self._trust_store())
            .time(now)
            .build_server_verifier(DNSName(ALEXA_CERT_NAME))
        )
        try:
            verifier.verify(leaf, intermediates)
        except verification.VerificationError as exc:
            raise CertificateChainError(
                f"expected a chain from {leaf.subject.rfc4514_string()!r} to a trusted root "
                f"CA, got: {_quoted(str(exc), 300)}"
            ) from exc
        expires = min(cert.not_valid_after_utc for cert in certs)
        return _TrustedChain(key, expires)

    # -- the signature, the timestamp and the skill id ------------------------------------------

    @staticmethod
    def verify_signature(key: rsa.RSAPublicKey, signature_b64: str, body: bytes) -> None:
        """Check ``Signature-256`` against the raw body bytes exactly as received."""
        try:
            signature = base64.b64decode("".join(signature_b64.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SignatureError(
                f"expected {SIGNATURE_HEADER} to be base64, got {_quoted(signature_b64, 60)}"
            ) from exc
        try:
            key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as exc:
            raise SignatureError(
                f"expected {SIGNATURE_HEADER} to be the certificate's RSA SHA-256 signature of "
                f"the {len(body)}-byte body, it does not match"
            ) from exc

    @staticmethod
    def _load(body: bytes) -> dict[str, Any]:
        try:
            data = load_json(body)
        except JsonLimitError as exc:
            raise EnvelopeError(f"expected a JSON request envelope: {exc}") from exc
        if not isinstance(data, dict):
            raise EnvelopeError(f"expected a JSON object, got {type(data).__name__}")
        if not isinstance(data.get("request"), dict):
            raise EnvelopeError(
                "expected a 'request' object in the envelope, got "
                f"{type(data.get('request')).__name__}"
            )
        return data

    def verify_timestamp(self, data: Mapping[str, Any], now: datetime) -> None:
        """``request.timestamp`` within 150 s of ``now`` (an hour for AlexaSkillEvent.*)."""
        request = data.get("request")
        request = request if isinstance(request, dict) else {}
        stamp = parse_timestamp(request.get("timestamp"))
        request_type = request.get("type")
        tolerance = (
            self.skill_event_tolerance
            if isinstance(request_type, str) and request_type.startswith(SKILL_EVENT_PREFIX)
            else self.timestamp_tolerance
        )
        drift = abs((now - stamp).total_seconds())
        if drift > tolerance.total_seconds():
            raise TimestampError(
                f"expected request.timestamp within {tolerance.total_seconds():g} s of "
                f"{now.isoformat()}, got {_quoted(request.get('timestamp'))} ({drift:.0f} s away)"
            )

    def verify_skill_id(self, data: Mapping[str, Any]) -> None:
        """Every application id in the request equals the configured skill id."""
        if self.skill_id is None:
            return
        found = [
            value
            for value in (
                _value_at(data, "session", "application", "applicationId"),
                _value_at(data, "context", "System", "application", "applicationId"),
            )
            if value is not None
        ]
        if not found:
            raise SkillIdError(
                f"expected application id {self.skill_id!r}, got none in "
                "session.application or context.System.application"
            )
        for value in found:
            if value != self.skill_id:
                raise SkillIdError(
                    f"expected application id {self.skill_id!r}, got {_quoted(value)}"
                )


def _value_at(data: Mapping[str, Any], *path: str) -> Any:
    """The value at ``path`` in nested mappings, or None where the path leaves them."""
    node: Any = data
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def request_id_of(body: bytes) -> str | None:
    """``request.requestId`` of a body for the log, when it can be read; never raises.

    The body is not yet trusted, so the id is cut to 120 characters and anything unprintable
    (a newline that would forge a log line, say) becomes ``?``.
    """
    try:
        value = _value_at(load_json(body), "request", "requestId")
    except JsonLimitError:
        return None
    if not isinstance(value, str):
        return None
    return "".join(ch if ch.isprintable() else "?" for ch in value[:120])
