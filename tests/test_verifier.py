"""RequestVerifier: every check Amazon requires, each proven to refuse, on a test PKI."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from skill.errors import VerificationError
from skill.web.verifier import (
    FAILURE_CACHE_TTL,
    CertificateChainError,
    CertificateUrlError,
    EnvelopeError,
    RequestVerifier,
    SignatureError,
    SkillIdError,
    TimestampError,
    certifi_roots,
    download_chain,
    parse_timestamp,
    request_id_of,
    validate_cert_url,
)
from tests.support.certs import (
    CERT_URL,
    SKILL_ID,
    CountingFetcher,
    Issued,
    TestPKI,
    body_of,
    headers_for,
    launch_envelope,
    make_ca,
    make_leaf,
    sign,
)

pytestmark = pytest.mark.usefixtures("no_network")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(pki: TestPKI) -> Clock:
    return Clock(pki.now)


def make_verifier(
    pki: TestPKI,
    clock: Clock,
    fetcher: Callable[[str], bytes] | None = None,
    skill_id: str | None = SKILL_ID,
) -> RequestVerifier:
    return RequestVerifier(
        skill_id,
        fetcher=fetcher or CountingFetcher({CERT_URL: pki.chain()}),
        trust_roots=pki.roots,
        clock=clock,
    )


def signed(
    pki: TestPKI, envelope: dict[str, object], leaf: Issued | None = None, url: str = CERT_URL
) -> tuple[dict[str, str], bytes]:
    body = body_of(envelope)
    return headers_for(body, (leaf or pki.leaf).key, url), body


# -- the certificate URL --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        # Amazon's valid examples
        "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
        # scheme and host compare case-insensitively; '.' segments normalise away
        "HTTPS://S3.AmazonAWS.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/./echo-api-cert.pem",
    ],
)
def test_amazons_valid_certificate_urls_are_accepted(url: str) -> None:
    assert validate_cert_url(url) == "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"


@pytest.mark.parametrize(
    "url,what",
    [
        # Amazon's invalid examples
        ("http://s3.amazonaws.com/echo.api/echo-api-cert.pem", "scheme"),
        ("https://notamazon.com/echo.api/echo-api-cert.pem", "host"),
        ("https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/invalid.path/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem", "port"),
        # and a few more a forger might try
        ("https://s3.amazonaws.com/echo.api/../attacker/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com//echo.api/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/echo.api", "path"),
        ("https://s3.amazonaws.com", "path"),
        ("https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert.pem", "host"),
        ("https://s3.amazonaws.com@evil.example/echo.api/echo-api-cert.pem", "host"),
        ("https://user@s3.amazonaws.com/echo.api/echo-api-cert.pem", "user information"),
        ("https://s3.amazonaws.com:99999/echo.api/echo-api-cert.pem", "URL"),
        ("https://s3.amazonaws.com:abc/echo.api/echo-api-cert.pem", "URL"),
        ("ftp://s3.amazonaws.com/echo.api/echo-api-cert.pem", "scheme"),
        ("/echo.api/echo-api-cert.pem", "scheme"),
    ],
)
def test_invalid_certificate_urls_are_refused(url: str, what: str) -> None:
    with pytest.raises(CertificateUrlError, match="expected") as caught:
        validate_cert_url(url)
    assert what in str(caught.value)


def test_a_refused_url_is_never_fetched(pki: TestPKI, clock: Clock) -> None:
    fetcher = CountingFetcher({CERT_URL: pki.chain()})
    verifier = make_verifier(pki, clock, fetcher)
    url = "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem"
    headers, body = signed(pki, launch_envelope(clock.now), url=url)
    with pytest.raises(CertificateUrlError):
        verifier.verify(headers, body)
    assert fetcher.calls == []


# -- a genuine request ----------------------------------------------------------------------------


def test_a_genuine_request_passes(pki: TestPKI, clock: Clock) -> None:
    fetcher = CountingFetcher({CERT_URL: pki.chain()})
    headers, body = signed(pki, launch_envelope(clock.now))
    make_verifier(pki, clock, fetcher).verify(headers, body)
    assert fetcher.calls == [CERT_URL]


def test_headers_are_found_whatever_their_case(pki: TestPKI, clock: Clock) -> None:
    headers, body = signed(pki, launch_envelope(clock.now))
    lowered = {name.lower(): value for name, value in headers.items()}
    make_verifier(pki, clock).verify(lowered, body)


def test_the_downloaded_url_is_the_canonical_one(pki: TestPKI, clock: Clock) -> None:
    fetcher = CountingFetcher(lambda url: pki.chain())
    url = "HTTPS://s3.amazonaws.com:443/echo.api/../echo.api/echo-api-cert-test.pem"
    headers, body = signed(pki, launch_envelope(clock.now), url=url)
    make_verifier(pki, clock, fetcher).verify(headers, body)
    assert fetcher.calls == [CERT_URL]


# -- the certificate chain ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "leaf_name,reason",
    [
        ("wrong_san", "'echo-api.amazon.com' among the signing certificate's subject alternative"),
        ("wildcard_san", "'echo-api.amazon.com' among"),
        ("expired", "expected the signing certificate to be valid at"),
        ("not_yet_valid", "expected the signing certificate to be valid at"),
        ("self_signed", "expected a chain from"),
        ("untrusted", "expected a chain from"),
    ],
)
def test_a_bad_signing_certificate_is_refused(
    pki: TestPKI, clock: Clock, leaf_name: str, reason: str
) -> None:
    leaf = pki.leaves[leaf_name]
    fetcher = CountingFetcher({CERT_URL: pki.chain(leaf, intermediate=leaf_name != "self_signed")})
    if leaf_name == "untrusted":  # serve its own (untrusted) issuer instead of ours
        fetcher = CountingFetcher({CERT_URL: leaf.pem})
    headers, body = signed(pki, launch_envelope(clock.now), leaf=leaf)
    with pytest.raises(CertificateChainError) as caught:
        make_verifier(pki, clock, fetcher).verify(headers, body)
    assert reason in str(caught.value)


def test_a_chain_without_its_intermediate_does_not_reach_the_root(
    pki: TestPKI, clock: Clock
) -> None:
    fetcher = CountingFetcher({CERT_URL: pki.chain(intermediate=False)})
    headers, body = signed(pki, launch_envelope(clock.now))
    with pytest.raises(CertificateChainError, match="to a trusted root CA"):
        make_verifier(pki, clock, fetcher).verify(headers, body)


@pytest.mark.parametrize("served", [b"", b"not a certificate", b"-----BEGIN CERTIFICATE-----\nAA"])
def test_unreadable_chains_are_refused(pki: TestPKI, clock: Clock, served: bytes) -> None:
    headers, body = signed(pki, launch_envelope(clock.now))
    with pytest.raises(CertificateChainError, match="expected PEM certificates"):
        make_verifier(pki, clock, CountingFetcher({CERT_URL: served})).verify(headers, body)


def _leaf_under_intermediate(pki: TestPKI, not_after: datetime) -> bytes:
    """A chain whose leaf is valid for 30 days but whose intermediate ends at ``not_after``."""
    inter = make_ca(
        "Leg Check Test Short CA",
        pki.intermediate.key,
        issuer=pki.root,
        not_before=pki.now - timedelta(days=400),
        not_after=not_after,
    )
    leaf = make_leaf(
        inter,
        pki.leaf.key,
        dns_names=["echo-api.amazon.com"],
        not_before=pki.now - timedelta(days=1),
        not_after=pki.now + timedelta(days=30),
    )
    return leaf.pem + inter.pem


def test_an_expired_intermediate_is_refused(pki: TestPKI, clock: Clock) -> None:
    # The leaf is fine on its own; the verifier must still judge the whole chain at "now".
    chain = _leaf_under_intermediate(pki, pki.now - timedelta(days=1))
    headers, body = signed(pki, launch_envelope(clock.now))
    with pytest.raises(CertificateChainError, match="to a trusted root CA"):
        make_verifier(pki, clock, CountingFetcher({CERT_URL: chain})).verify(headers, body)


def test_a_non_rsa_signing_key_is_refused(pki: TestPKI, clock: Clock) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = make_leaf(
        pki.intermediate,
        key,  # type: ignore[arg-type]
        dns_names=["echo-api.amazon.com"],
        not_before=pki.now - timedelta(days=1),
        not_after=pki.now + timedelta(days=9),
    )
    body = body_of(launch_envelope(clock.now))
    headers = {"SignatureCertChainUrl": CERT_URL, "Signature-256": "AAAA"}
    with pytest.raises(CertificateChainError, match="expected an RSA signing key"):
        make_verifier(pki, clock, CountingFetcher({CERT_URL: pki.chain(leaf)})).verify(
            headers, body
        )


def test_a_failed_download_is_a_chain_error(pki: TestPKI, clock: Clock) -> None:
    def fail(url: str) -> bytes:
        raise CertificateChainError(f"expected to download {url}, got a timeout")

    headers, body = signed(pki, launch_envelope(clock.now))
    with pytest.raises(CertificateChainError, match="got a timeout"):
        make_verifier(pki, clock, fail).verify(headers, body)


def test_the_certifi_roots_are_the_default_and_do_not_trust_the_test_ca(
    pki: TestPKI, clock: Clock
) -> None:
    roots = certifi_roots()
    assert len(roots) > 50
    assert certifi_roots() is roots  # read once
    verifier = RequestVerifier(
        SKILL_ID, fetcher=CountingFetcher({CERT_URL: pki.chain()}), clock=clock
    )
    headers, body = signed(pki, launch_envelope(clock.now))
    with pytest.raises(CertificateChainError, match="to a trusted root CA"):
        verifier.verify(headers, body)


# -- the signature --------------------------------------------------------------------------------


def test_missing_headers_are_refused(pki: TestPKI, clock: Clock) -> None:
    headers, body = signed(pki, launch_envelope(clock.now))
    verifier = make_verifier(pki, clock)
    with pytest.raises(CertificateUrlError, match="expected a SignatureCertChainUrl header, got"):
        verifier.verify({"Signature-256": headers["Signature-256"]}, body)
    with pytest.raises(SignatureError, match="expected a Signature-256 header .* got none"):
        verifier.verify({"SignatureCertChainUrl": CERT_URL}, body)
    with pytest.raises(SignatureError, match="got an empty one"):
        verifier.verify({"SignatureCertChainUrl": CERT_URL, "Signature-256": ""}, body)


def test_the_retired_sha1_signature_header_is_not_enough(pki: TestPKI, clock: Clock) -> None:
    headers, body = signed(pki, launch_envelope(clock.now))
    old = {"SignatureCertChainUrl": CERT_URL, "Signature": headers["Signature-256"]}
    with pytest.raises(SignatureError, match="Signature-256"):
        make_verifier(pki, clock).verify(old, body)


def test_a_signature_that_is_not_base64_is_refused(pki: TestPKI, clock: Clock) -> None:
    headers, body = signed(pki, launch_envelope(clock.now))
    headers["Signature-256"] = "not base64!"
    with pytest.raises(SignatureError, match="expected Signature-256 to be base64"):
        make_verifier(pki, clock).verify(headers, body)


def test_a_signature_by_another_key_is_refused(pki: TestPKI, clock: Clock) -> None:
    # The chain served is genuine, but the body was signed with a key it does not certify.
    headers, body = signed(pki, launch_envelope(clock.now), leaf=pki.leaves["other_key"])
    with pytest.raises(SignatureError, match="does not match"):
        make_verifier(pki, clock).verify(headers, body)


def test_a_changed_body_is_refused(pki: TestPKI, clock: Clock) -> None:
    headers, body = signed(pki, launch_envelope(clock.now))
    tampered = body.replace(SKILL_ID.encode(), SKILL_ID.encode()[:-1] + b"X")
    with pytest.raises(SignatureError, match="does not match"):
        make_verifier(pki, clock).verify(headers, tampered)


def test_the_signature_covers_the_raw_bytes_not_the_parsed_json(pki: TestPKI, clock: Clock) -> None:
    envelope = launch_envelope(clock.now)
    raw = json.dumps(envelope, indent=3).encode()  # unusual spacing, as sent
    headers = headers_for(raw, pki.leaf.key)
    verifier = make_verifier(pki, clock)
    verifier.verify(headers, raw)
    with pytest.raises(SignatureError):  # the same JSON, re-serialised, is not what was signed
        verifier.verify(headers, json.dumps(json.loads(raw)).encode())


def test_a_signed_body_that_is_not_json_is_refused(pki: TestPKI, clock: Clock) -> None:
    body = b"{not json"
    headers = headers_for(body, pki.leaf.key)
    with pytest.raises(EnvelopeError, match="expected a JSON request envelope"):
        make_verifier(pki, clock).verify(headers, body)
    body = b"[1]"
    with pytest.raises(EnvelopeError, match="expected a JSON object, got list"):
        make_verifier(pki, clock).verify(headers_for(body, pki.leaf.key), body)


# -- the timestamp --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_type,age,ok",
    [
        ("LaunchRequest", 0, True),
        ("LaunchRequest", 149, True),
        ("LaunchRequest", -149, True),
        ("LaunchRequest", 151, False),
        ("LaunchRequest", -151, False),
        ("IntentRequest", 3600, False),
        ("AlexaSkillEvent.SkillEnabled", 1800, True),
        ("AlexaSkillEvent.SkillPermissionAccepted", 3599, True),
        ("AlexaSkillEvent.SkillDisabled", 3601, False),
    ],
)
def test_the_timestamp_must_be_recent(
    pki: TestPKI, clock: Clock, request_type: str, age: int, ok: bool
) -> None:
    envelope = launch_envelope(clock.now - timedelta(seconds=age), request_type=request_type)
    headers, body = signed(pki, envelope)
    verifier = make_verifier(pki, clock)
    if ok:
        verifier.verify(headers, body)
    else:
        with pytest.raises(TimestampError, match=r"expected request.timestamp within .* got"):
            verifier.verify(headers, body)


@pytest.mark.parametrize("stamp", [None, 1714564800, "yesterday", ""])
def test_an_unreadable_timestamp_is_refused(pki: TestPKI, clock: Clock, stamp: object) -> None:
    envelope = launch_envelope(clock.now)
    envelope["request"]["timestamp"] = stamp
    headers, body = signed(pki, envelope)
    with pytest.raises(TimestampError, match="expected request.timestamp as an ISO 8601 string"):
        make_verifier(pki, clock).verify(headers, body)


@pytest.mark.parametrize(
    "stamp,reason",
    [
        ("9999-12-31T23:59:59-01:00", "between the years 2000 and 2999"),
        ("9999-12-31T23:59:59Z", "between the years 2000 and 2999"),
        ("0001-01-01T00:00:00+01:00", "between the years 2000 and 2999"),
        ("1999-12-31T23:59:59Z", "between the years 2000 and 2999"),
        ("1714564800000", "ISO 8601 string"),  # epoch milliseconds, as a string
        (1714564800000, "got a number"),  # and as a number
        (1714564800.5, "got a number"),
        (True, "ISO 8601 string"),
        (["2024-05-01T12:00:00Z"], "ISO 8601 string"),
        ("2024-05-01", "ISO 8601 string"),
        ("2024-05-01 12:00:00Z", "ISO 8601 string"),
        ("2024-05-01T12:00Z", "ISO 8601 string"),
        ("2024-05-01T12:00:00Z junk", "ISO 8601 string"),
        ("20240501T120000Z", "ISO 8601 string"),
        ("２０２４-05-01T12:00:00Z", "ISO 8601 string"),  # full-width digits are not ASCII digits
        ("2024-02-30T12:00:00Z", "day is out of range"),
        ("2024-05-01T25:00:00Z", "hour must be in"),
        ("2024-05-01T12:00:00+99:00", "ISO 8601 string"),
    ],
)
def test_a_timestamp_out_of_any_sane_range_is_a_clear_refusal(
    pki: TestPKI, clock: Clock, stamp: object, reason: str
) -> None:
    envelope = launch_envelope(clock.now)
    envelope["request"]["timestamp"] = stamp
    headers, body = signed(pki, envelope)
    with pytest.raises(TimestampError, match="expected request.timestamp") as caught:
        make_verifier(pki, clock).verify(headers, body)
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


def test_parse_timestamp_reads_every_form_alexa_uses() -> None:
    moment = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    for stamp in (
        "2024-05-01T12:00:00Z",
        "2024-05-01T12:00:00",
        "2024-05-01T12:00:00+00:00",
        "2024-05-01T14:00:00+02:00",
        "2024-05-01T14:00:00+0200",
        "2024-05-01T14:00:00+02",
        "2024-05-01T07:00:00-05:00",
    ):
        assert parse_timestamp(stamp) == moment, stamp
    assert parse_timestamp("2024-05-01T12:00:00.123456789Z") == moment.replace(microsecond=123456)
    assert parse_timestamp("2024-05-01T12:00:00.5Z") == moment.replace(microsecond=500000)
    assert parse_timestamp("2999-12-31T23:59:59-01:00").year == 3000  # in range, converts


def test_fractional_and_offset_timestamps_are_read(pki: TestPKI, clock: Clock) -> None:
    verifier = make_verifier(pki, clock)
    for stamp in (
        clock.now.strftime("%Y-%m-%dT%H:%M:%S.123Z"),
        clock.now.astimezone(UTC).replace(tzinfo=None).isoformat(),
        (clock.now + timedelta(hours=2))
        .replace(tzinfo=UTC)
        .isoformat()
        .replace("+00:00", "+02:00"),
    ):
        envelope = launch_envelope(clock.now)
        envelope["request"]["timestamp"] = stamp
        headers, body = signed(pki, envelope)
        verifier.verify(headers, body)


# -- the skill id ---------------------------------------------------------------------------------


def test_another_skills_request_is_refused(pki: TestPKI, clock: Clock) -> None:
    headers, body = signed(pki, launch_envelope(clock.now, skill_id="amzn1.ask.skill.other"))
    with pytest.raises(
        SkillIdError, match=f"expected application id '{SKILL_ID}', got 'amzn1.ask.skill.other'"
    ):
        make_verifier(pki, clock).verify(headers, body)


def test_the_context_application_id_is_checked_too(pki: TestPKI, clock: Clock) -> None:
    envelope = launch_envelope(clock.now, context_skill_id="amzn1.ask.skill.other")
    headers, body = signed(pki, envelope)
    with pytest.raises(SkillIdError, match="amzn1.ask.skill.other"):
        make_verifier(pki, clock).verify(headers, body)


def test_a_request_with_only_a_context_application_id_passes(pki: TestPKI, clock: Clock) -> None:
    envelope = launch_envelope(clock.now)
    del envelope["session"]
    headers, body = signed(pki, envelope)
    make_verifier(pki, clock).verify(headers, body)


def test_a_request_without_any_application_id_is_refused(pki: TestPKI, clock: Clock) -> None:
    envelope = launch_envelope(clock.now)
    del envelope["session"], envelope["context"]
    headers, body = signed(pki, envelope)
    with pytest.raises(SkillIdError, match="got none"):
        make_verifier(pki, clock).verify(headers, body)


def test_no_configured_skill_id_accepts_any(pki: TestPKI, clock: Clock) -> None:
    headers, body = signed(pki, launch_envelope(clock.now, skill_id="amzn1.ask.skill.other"))
    make_verifier(pki, clock, skill_id=None).verify(headers, body)


# -- the cache ------------------------------------------------------------------------------------


def test_the_chain_is_fetched_once_for_many_requests(pki: TestPKI, clock: Clock) -> None:
    fetcher = CountingFetcher({CERT_URL: pki.chain()})
    verifier = make_verifier(pki, clock, fetcher)
    for _ in range(3):
        headers, body = signed(pki, launch_envelope(clock.now))
        verifier.verify(headers, body)
    # an equivalent spelling of the URL is the same cache entry
    odd = "https://S3.amazonaws.com:443/echo.api/./echo-api-cert-test.pem"
    headers, body = signed(pki, launch_envelope(clock.now), url=odd)
    verifier.verify(headers, body)
    assert fetcher.calls == [CERT_URL]


def test_a_cached_chain_still_checks_each_signature(pki: TestPKI, clock: Clock) -> None:
    verifier = make_verifier(pki, clock)
    headers, body = signed(pki, launch_envelope(clock.now))
    verifier.verify(headers, body)
    with pytest.raises(SignatureError):
        verifier.verify(headers, body + b" ")


def test_a_failed_chain_is_remembered_briefly(pki: TestPKI, clock: Clock) -> None:
    served = [pki.chain(pki.leaves["wrong_san"]), b"garbage", pki.chain()]
    fetcher = CountingFetcher(lambda url: served[len(fetcher.calls) - 1])
    verifier = make_verifier(pki, clock, fetcher)
    headers, body = signed(pki, launch_envelope(clock.now))
    with pytest.raises(CertificateChainError, match="subject alternative names"):
        verifier.verify(headers, body)
    with pytest.raises(CertificateChainError, match="remembered for 30 s"):
        verifier.verify(headers, body)  # not downloaded again yet
    assert len(fetcher.calls) == 1
    clock.now += FAILURE_CACHE_TTL
    headers, body = signed(pki, launch_envelope(clock.now))
    with pytest.raises(CertificateChainError, match="expected PEM certificates"):
        verifier.verify(headers, body)
    assert len(fetcher.calls) == 2
    clock.now += FAILURE_CACHE_TTL + timedelta(seconds=1)
    headers, body = signed(pki, launch_envelope(clock.now))
    verifier.verify(headers, body)
    verifier.verify(headers, body)
    assert len(fetcher.calls) == 3


def test_a_failed_download_is_remembered_briefly(pki: TestPKI, clock: Clock) -> None:
    calls: list[str] = []

    def flaky(url: str) -> bytes:
        calls.append(url)
        if len(calls) == 1:
            raise CertificateChainError("expected a chain, got a timeout")
        return pki.chain()

    verifier = make_verifier(pki, clock, flaky)
    headers, body = signed(pki, launch_envelope(clock.now))
    with pytest.raises(CertificateChainError, match="got a timeout$"):
        verifier.verify(headers, body)
    clock.now += FAILURE_CACHE_TTL - timedelta(seconds=1)
    headers, body = signed(pki, launch_envelope(clock.now))
    with pytest.raises(CertificateChainError, match=r"got a timeout \(remembered for 30 s"):
        verifier.verify(headers, body)
    assert len(calls) == 1
    clock.now += timedelta(seconds=1)
    headers, body = signed(pki, launch_envelope(clock.now))
    verifier.verify(headers, body)
    assert len(calls) == 2


def test_failures_are_remembered_per_url(pki: TestPKI, clock: Clock) -> None:
    bad_urls = [f"https://s3.amazonaws.com/echo.api/bad-{i}.pem" for i in range(3)]
    fetcher = CountingFetcher(lambda url: pki.chain() if url == CERT_URL else b"garbage")
    verifier = RequestVerifier(
        SKILL_ID,
        fetcher=fetcher,
        trust_roots=pki.roots,
        clock=clock,
        failure_ttl=timedelta(seconds=45),
    )
    for _ in range(2):
        for url in bad_urls:
            headers, body = signed(pki, launch_envelope(clock.now), url=url)
            with pytest.raises(CertificateChainError):
                verifier.verify(headers, body)
    headers, body = signed(pki, launch_envelope(clock.now))
    verifier.verify(headers, body)  # the good URL is not tarred by the bad ones
    assert fetcher.calls == [*bad_urls, CERT_URL]


def test_the_remembered_failures_are_bounded(
    pki: TestPKI, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import skill.web.verifier as verifier_module

    monkeypatch.setattr(verifier_module, "MAX_CACHED_FAILURES", 2)
    fetcher = CountingFetcher(lambda url: b"garbage")
    verifier = make_verifier(pki, clock, fetcher)
    urls = [f"https://s3.amazonaws.com/echo.api/bad-{i}.pem" for i in range(3)]
    for url in [*urls, urls[0]]:  # the first was forgotten to make room for the third
        headers, body = signed(pki, launch_envelope(clock.now), url=url)
        with pytest.raises(CertificateChainError):
            verifier.verify(headers, body)
    assert fetcher.calls == [*urls, urls[0]]


def test_the_chain_is_fetched_again_once_the_leaf_expires(pki: TestPKI, clock: Clock) -> None:
    short = pki.leaves["short_lived"]  # expires an hour after pki.now
    served = [pki.chain(short), pki.chain()]
    fetcher = CountingFetcher(lambda url: served[len(fetcher.calls) - 1])
    verifier = make_verifier(pki, clock, fetcher)
    headers, body = signed(pki, launch_envelope(clock.now), leaf=short)
    verifier.verify(headers, body)
    clock.now += timedelta(minutes=30)
    headers, body = signed(pki, launch_envelope(clock.now), leaf=short)
    verifier.verify(headers, body)
    assert len(fetcher.calls) == 1
    clock.now += timedelta(minutes=31)  # past the short-lived leaf's Not After
    headers, body = signed(pki, launch_envelope(clock.now))
    verifier.verify(headers, body)
    assert len(fetcher.calls) == 2


def test_the_cache_ends_with_the_first_certificate_of_the_chain_to_expire(
    pki: TestPKI, clock: Clock
) -> None:
    fetcher = CountingFetcher(
        {CERT_URL: _leaf_under_intermediate(pki, pki.now + timedelta(hours=1))}
    )
    verifier = make_verifier(pki, clock, fetcher)
    headers, body = signed(pki, launch_envelope(clock.now))
    verifier.verify(headers, body)
    clock.now += timedelta(minutes=59)
    headers, body = signed(pki, launch_envelope(clock.now))
    verifier.verify(headers, body)
    assert len(fetcher.calls) == 1
    clock.now += timedelta(minutes=2)  # the intermediate has expired: fetch again, and refuse
    headers, body = signed(pki, launch_envelope(clock.now))
    with pytest.raises(CertificateChainError):
        verifier.verify(headers, body)
    assert len(fetcher.calls) == 2


def test_an_expired_cached_chain_is_not_used(pki: TestPKI, clock: Clock) -> None:
    short = pki.leaves["short_lived"]
    fetcher = CountingFetcher({CERT_URL: pki.chain(short)})
    verifier = make_verifier(pki, clock, fetcher)
    headers, body = signed(pki, launch_envelope(clock.now), leaf=short)
    verifier.verify(headers, body)
    clock.now += timedelta(hours=2)
    headers, body = signed(pki, launch_envelope(clock.now), leaf=short)
    with pytest.raises(CertificateChainError, match="to be valid at"):
        verifier.verify(headers, body)
    assert len(fetcher.calls) == 2


def test_threads_verifying_at_once_share_one_download(pki: TestPKI, clock: Clock) -> None:
    def slow(url: str) -> bytes:
        time.sleep(0.05)
        return pki.chain()

    fetcher = CountingFetcher(slow)
    verifier = make_verifier(pki, clock, fetcher)
    requests = [signed(pki, launch_envelope(clock.now)) for _ in range(8)]
    requests[3] = (requests[3][0], requests[3][1] + b" ")  # one forgery among them
    outcomes: list[object] = [None] * len(requests)
    start = threading.Barrier(len(requests))

    def run(index: int) -> None:
        start.wait()
        try:
            verifier.verify(*requests[index])
            outcomes[index] = "ok"
        except VerificationError as exc:
            outcomes[index] = type(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert outcomes == ["ok"] * 3 + [SignatureError] + ["ok"] * 4
    assert fetcher.calls == [CERT_URL]


class GatedFetcher:
    """A fetcher whose downloads of chosen URLs hang until released (or for at most 3 s).

    ``started`` and ``finished`` record, in order, the URLs whose download began and ended, so
    tests prove who waited for whom by ordering, not by the clock.
    """

    def __init__(self, pki: TestPKI, gated: set[str], *, serve_gated: bytes = b"garbage") -> None:
        self.pki = pki
        self.gated = gated
        self.serve_gated = serve_gated
        self.release = threading.Event()
        self.started: list[str] = []
        self.finished: list[str] = []
        self.all_started = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, url: str) -> bytes:
        with self._lock:
            self.started.append(url)
            if self.gated <= set(self.started):
                self.all_started.set()
        try:
            if url in self.gated:
                self.release.wait(3)  # "sleeps 3 s" unless the test lets it go sooner
                return self.serve_gated
            return self.pki.chain()
        finally:
            with self._lock:
                self.finished.append(url)


def _in_threads(
    work: Callable[[int], object], count: int
) -> tuple[list[threading.Thread], list[object]]:
    outcomes: list[object] = [None] * count

    def run(index: int) -> None:
        try:
            outcomes[index] = work(index)
        except VerificationError as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    return threads, outcomes


def test_a_flood_of_bad_urls_never_holds_up_a_genuine_request(pki: TestPKI, clock: Clock) -> None:
    bad_urls = [f"https://s3.amazonaws.com/echo.api/flood-{i}.pem" for i in range(5)]
    fetcher = GatedFetcher(pki, set(bad_urls))
    verifier = make_verifier(pki, clock, fetcher)
    headers, body = signed(pki, launch_envelope(clock.now))
    verifier.verify(headers, body)  # the genuine chain is now cached
    flood = [signed(pki, launch_envelope(clock.now), url=url) for url in bad_urls]
    threads, outcomes = _in_threads(lambda i: verifier.verify(*flood[i]), len(flood))
    try:
        assert fetcher.all_started.wait(10), fetcher.started
        headers, body = signed(pki, launch_envelope(clock.now))
        verifier.verify(headers, body)  # answered while all five downloads still hang
        assert fetcher.finished == [CERT_URL]
    finally:
        fetcher.release.set()
        for thread in threads:
            thread.join(10)
    assert all(isinstance(o, CertificateChainError) for o in outcomes), outcomes
    assert sorted(fetcher.finished[1:]) == sorted(bad_urls)


def test_different_urls_download_side_by_side(pki: TestPKI, clock: Clock) -> None:
    slow_url = "https://s3.amazonaws.com/echo.api/slow.pem"
    fetcher = GatedFetcher(pki, {slow_url}, serve_gated=pki.chain())
    verifier = make_verifier(pki, clock, fetcher)
    slow = signed(pki, launch_envelope(clock.now), url=slow_url)
    threads, outcomes = _in_threads(lambda _i: verifier.verify(*slow), 1)
    try:
        assert fetcher.all_started.wait(10)
        headers, body = signed(pki, launch_envelope(clock.now))
        verifier.verify(headers, body)  # a chain not cached yet, downloaded meanwhile
        assert fetcher.finished == [CERT_URL]
    finally:
        fetcher.release.set()
        threads[0].join(10)
    assert isinstance(outcomes[0], dict)
    assert fetcher.finished == [CERT_URL, slow_url]


def test_threads_needing_one_url_share_its_failure(pki: TestPKI, clock: Clock) -> None:
    bad_url = "https://s3.amazonaws.com/echo.api/shared-failure.pem"
    fetcher = GatedFetcher(pki, {bad_url})
    verifier = make_verifier(pki, clock, fetcher)
    request = signed(pki, launch_envelope(clock.now), url=bad_url)
    threads, outcomes = _in_threads(lambda _i: verifier.verify(*request), 6)
    try:
        assert fetcher.all_started.wait(10)
    finally:
        fetcher.release.set()
        for thread in threads:
            thread.join(10)
    assert fetcher.started == [bad_url]  # one download for all six
    assert all(
        isinstance(o, CertificateChainError) and "expected PEM certificates" in str(o)
        for o in outcomes
    ), outcomes


def test_a_waiting_thread_gives_up_on_a_download_that_hangs(
    pki: TestPKI, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import skill.web.verifier as verifier_module

    monkeypatch.setattr(verifier_module, "SHARED_DOWNLOAD_WAIT_SECONDS", 0.05)
    hung_url = "https://s3.amazonaws.com/echo.api/hung.pem"
    fetcher = GatedFetcher(pki, {hung_url}, serve_gated=pki.chain())
    verifier = make_verifier(pki, clock, fetcher)
    request = signed(pki, launch_envelope(clock.now), url=hung_url)
    threads, outcomes = _in_threads(lambda _i: verifier.verify(*request), 1)
    try:
        assert fetcher.all_started.wait(10)
        with pytest.raises(CertificateChainError, match="another request's download of it"):
            verifier.verify(*request)
    finally:
        fetcher.release.set()
        threads[0].join(10)
    assert isinstance(outcomes[0], dict)  # the download itself still finished and is cached
    verifier.verify(*request)
    assert fetcher.started == [hung_url]


# -- the real downloader, against a local plain-HTTP server --------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[bytes, bool]] = {}  # path -> (body, send Content-Length)
    release = threading.Event()

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        try:
            if self.path == "/slow":
                self.send_response(200)
                self.send_header("Content-Length", "100")
                self.end_headers()
                self.wfile.write(b"-----BEGIN")
                self.wfile.flush()
                self.release.wait(5)
                return
            if self.path not in self.routes:
                self.send_error(404)
                return
            body, with_length = self.routes[self.path]
            self.send_response(200)
            if with_length:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up first, as the timeout test intends

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def local_server(pki: TestPKI) -> Iterator[str]:
    _Handler.release.clear()
    _Handler.routes = {
        "/echo.api/chain.pem": (pki.chain(), True),
        "/big": (b"x" * (64 * 1024 + 1), True),
        "/big-unannounced": (b"x" * (64 * 1024 + 1), False),
    }
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        _Handler.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_the_downloader_fetches_a_chain(local_server: str, pki: TestPKI) -> None:
    assert download_chain(f"{local_server}/echo.api/chain.pem") == pki.chain()


def test_the_downloader_refuses_an_announced_oversized_chain(local_server: str) -> None:
    with pytest.raises(CertificateChainError, match="at most 65536 bytes .* Content-Length 65537"):
        download_chain(f"{local_server}/big")


def test_the_downloader_stops_reading_an_oversized_chain(local_server: str) -> None:
    with pytest.raises(CertificateChainError, match="at most 65536 bytes .* got more"):
        download_chain(f"{local_server}/big-unannounced")


def test_the_downloader_gives_up_after_its_timeout(local_server: str) -> None:
    started = time.monotonic()
    with pytest.raises(CertificateChainError, match="expected"):
        download_chain(f"{local_server}/slow", timeout=0.3)
    assert time.monotonic() - started < 2


def test_the_downloader_reports_http_and_connection_errors(local_server: str) -> None:
    with pytest.raises(CertificateChainError, match="404"):
        download_chain(f"{local_server}/missing")
    closed = local_server.rsplit(":", 1)[0] + ":9"  # discard port, nothing listens
    with pytest.raises(CertificateChainError, match="expected to download"):
        download_chain(f"{closed}/echo.api/chain.pem", timeout=1)


def test_a_verifier_with_the_real_downloader_checks_the_url_first(
    pki: TestPKI, clock: Clock, local_server: str
) -> None:
    # The default fetcher would only ever be asked for https://s3.amazonaws.com/echo.api/...;
    # a local URL is refused before any download.
    verifier = RequestVerifier(SKILL_ID, trust_roots=pki.roots, clock=clock)
    headers, body = signed(
        pki, launch_envelope(clock.now), url=f"{local_server}/echo.api/chain.pem"
    )
    with pytest.raises(CertificateUrlError, match="scheme"):
        verifier.verify(headers, body)


def test_the_real_downloader_feeds_the_verifier(
    pki: TestPKI, clock: Clock, local_server: str
) -> None:
    def via_local_server(url: str) -> bytes:  # the test hook: serve Amazon's path locally
        assert url == CERT_URL
        return download_chain(f"{local_server}/echo.api/chain.pem", timeout=1)

    verifier = RequestVerifier(
        SKILL_ID, fetcher=via_local_server, trust_roots=pki.roots, clock=clock
    )
    headers, body = signed(pki, launch_envelope(clock.now))
    verifier.verify(headers, body)


# -- helpers --------------------------------------------------------------------------------------


def test_request_id_of_reads_what_it_can() -> None:
    assert request_id_of(b'{"request": {"requestId": "amzn1.x"}}') == "amzn1.x"
    assert request_id_of(b"{not json") is None
    assert request_id_of(b'{"request": []}') is None
    assert request_id_of(b"\xff") is None
    forged = json.dumps({"request": {"requestId": "x\nrefused request: fake" + "y" * 500}})
    shown = request_id_of(forged.encode())
    assert shown is not None and "\n" not in shown and len(shown) == 120


def test_a_fetcher_that_raises_anything_is_a_chain_error(pki: TestPKI, clock: Clock) -> None:
    def broken(url: str) -> bytes:
        raise RuntimeError("boom")

    headers, body = signed(pki, launch_envelope(clock.now))
    with pytest.raises(CertificateChainError, match="got RuntimeError: 'boom'"):
        make_verifier(pki, clock, broken).verify(headers, body)


def test_every_error_names_its_check() -> None:
    for cls in (
        CertificateUrlError,
        CertificateChainError,
        SignatureError,
        TimestampError,
        SkillIdError,
        EnvelopeError,
    ):
        assert issubclass(cls, VerificationError)
        assert cls.http_status == 400
        assert isinstance(cls.check, str)


def test_sign_helper_matches_the_header_format(pki: TestPKI) -> None:
    import base64

    assert len(base64.b64decode(sign(pki.leaf.key, b"x"))) == 256  # a 2048-bit RSA signature


def test_a_chain_that_breaks_the_checker_is_a_chain_error(
    pki: TestPKI, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def odd(self: RequestVerifier, pem: bytes, now: datetime, *, source: str = "") -> None:
        raise ValueError("error parsing asn1 value: duplicate extension")

    monkeypatch.setattr(RequestVerifier, "check_chain", odd)
    headers, body = signed(pki, launch_envelope(clock.now))
    with pytest.raises(CertificateChainError, match="can be checked .* ValueError: 'error pars"):
        make_verifier(pki, clock).verify(headers, body)


def test_verify_returns_the_envelope_it_read(pki: TestPKI, clock: Clock) -> None:
    envelope = launch_envelope(clock.now)
    headers, body = signed(pki, envelope)
    assert make_verifier(pki, clock).verify(headers, body) == envelope


@pytest.mark.parametrize(
    "body,reason",
    [
        (b'{"request": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested at most 64 deep"),
        (b'{"request": {"timestamp": NaN}}', "got NaN"),
        (b'{"request": {}, "x": ' + b"1" * 100 + b"}", "at most 64 digits"),
    ],
)
def test_a_signed_body_beyond_the_json_bounds_is_an_envelope_error(
    pki: TestPKI, clock: Clock, body: bytes, reason: str
) -> None:
    with pytest.raises(EnvelopeError, match=reason):
        make_verifier(pki, clock).verify(headers_for(body, pki.leaf.key), body)


def test_request_id_of_survives_hostile_bodies() -> None:
    assert request_id_of(b"[" * 100000) is None
    assert request_id_of(b'{"request": {"requestId": "a"}, "x": NaN}') is None
