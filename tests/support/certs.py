"""A test PKI built with ``cryptography``: a root CA, an intermediate and the leaves the tests need.

The certificates look like ones a public CA would issue (BasicConstraints, KeyUsage,
ExtendedKeyUsage, SubjectAltName, SubjectKeyIdentifier and AuthorityKeyIdentifier), because
``cryptography.x509.verification`` enforces the CA/Browser-forum profile. Keys are 2048-bit RSA
and are generated once per test session (:func:`shared_pki` is cached).
"""

from __future__ import annotations

import base64
import functools
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ALEXA_NAME = "echo-api.amazon.com"
CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"
SKILL_ID = "amzn1.ask.skill.11111111-2222-4333-8444-verifiertest"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Leg Check Test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@dataclass(frozen=True)
class Issued:
    """A certificate with its private key."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def make_ca(
    common_name: str,
    key: rsa.RSAPrivateKey,
    *,
    issuer: Issued | None = None,
    not_before: datetime,
    not_after: datetime,
) -> Issued:
    """A root CA (no ``issuer``) or an intermediate CA signed by ``issuer``."""
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.cert.subject if issuer else _name(common_name))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.BasicConstraints(ca=True, path_length=None if issuer is None else 0), critical=True
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    signer = key
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        ).add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        signer = issuer.key
    return Issued(builder.sign(signer, hashes.SHA256()), key)


def make_leaf(
    issuer: Issued | None,
    key: rsa.RSAPrivateKey,
    *,
    dns_names: Iterable[str],
    not_before: datetime,
    not_after: datetime,
) -> Issued:
    """A TLS server certificate for ``dns_names``, signed by ``issuer`` (or by itself)."""
    names = list(dns_names)
    public = key.public_key()
    issuer_name = issuer.cert.subject if issuer else _name(names[0])
    issuer_public = issuer.key.public_key() if issuer else public
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(issuer_name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public), critical=False
        )
        .sign(issuer.key if issuer else key, hashes.SHA256())
    )
    return Issued(cert, key)


@dataclass(frozen=True)
class TestPKI:
    """Everything the verifier tests sign with. ``now`` is when the PKI was built (UTC)."""

    __test__ = False  # not a pytest test class

    now: datetime
    root: Issued
    intermediate: Issued
    leaf: Issued  # echo-api.amazon.com, valid from now - 1 day to now + 30 days
    other_root: Issued  # a CA nobody trusts
    leaves: dict[str, Issued] = field(default_factory=dict)

    @property
    def roots(self) -> list[x509.Certificate]:
        return [self.root.cert]

    def chain(self, leaf: Issued | None = None, *, intermediate: bool = True) -> bytes:
        """The PEM file Alexa's certificate URL would serve: leaf first, then intermediates."""
        pem = (leaf or self.leaf).pem
        return pem + self.intermediate.pem if intermediate else pem


@functools.cache
def shared_pki() -> TestPKI:
    """Build the test PKI once per test session."""
    now = datetime.now(UTC).replace(microsecond=0)
    year = timedelta(days=365)
    day = timedelta(days=1)
    root_key, inter_key, leaf_key, other_key, other_inter_key, spare_key = (
        _key() for _ in range(6)
    )
    root = make_ca(
        "Leg Check Test Root CA", root_key, not_before=now - year, not_after=now + 10 * year
    )
    inter = make_ca(
        "Leg Check Test Issuing CA",
        inter_key,
        issuer=root,
        not_before=now - year,
        not_after=now + 5 * year,
    )
    other_root = make_ca(
        "Untrusted Root CA", other_key, not_before=now - year, not_after=now + 10 * year
    )
    other_inter = make_ca(
        "Untrusted Issuing CA",
        other_inter_key,
        issuer=other_root,
        not_before=now - year,
        not_after=now + 5 * year,
    )
    leaf = make_leaf(
        inter,
        leaf_key,
        dns_names=["www.example.org", ALEXA_NAME],
        not_before=now - day,
        not_after=now + 30 * day,
    )
    leaves = {
        "wrong_san": make_leaf(
            inter,
            leaf_key,
            dns_names=["echo-api.amazon.com.example.org", "api.amazon.com"],
            not_before=now - day,
            not_after=now + 30 * day,
        ),
        "wildcard_san": make_leaf(
            inter,
            leaf_key,
            dns_names=["*.amazon.com"],
            not_before=now - day,
            not_after=now + 30 * day,
        ),
        "expired": make_leaf(
            inter, leaf_key, dns_names=[ALEXA_NAME], not_before=now - 60 * day, not_after=now - day
        ),
        "not_yet_valid": make_leaf(
            inter, leaf_key, dns_names=[ALEXA_NAME], not_before=now + day, not_after=now + 60 * day
        ),
        "self_signed": make_leaf(
            None, leaf_key, dns_names=[ALEXA_NAME], not_before=now - day, not_after=now + 30 * day
        ),
        "untrusted": make_leaf(
            other_inter,
            leaf_key,
            dns_names=[ALEXA_NAME],
            not_before=now - day,
            not_after=now + 30 * day,
        ),
        "other_key": make_leaf(
            inter, spare_key, dns_names=[ALEXA_NAME], not_before=now - day, not_after=now + 30 * day
        ),
        "short_lived": make_leaf(
            inter,
            leaf_key,
            dns_names=[ALEXA_NAME],
            not_before=now - day,
            not_after=now + timedelta(hours=1),
        ),
    }
    return TestPKI(now, root, inter, leaf, other_root, leaves)


def sign(key: rsa.RSAPrivateKey, body: bytes) -> str:
    """The ``Signature-256`` header value for ``body``: base64 of RSA PKCS#1 v1.5 over SHA-256."""
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def iso(moment: datetime) -> str:
    """An Alexa-style timestamp, e.g. ``2024-05-01T12:00:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def launch_envelope(
    timestamp: datetime,
    *,
    skill_id: str = SKILL_ID,
    request_type: str = "LaunchRequest",
    context_skill_id: str | None = None,
) -> dict[str, Any]:
    """A minimal, valid LaunchRequest envelope (or another request type) sent at ``timestamp``."""
    user = {"userId": "amzn1.ask.account.TESTUSER"}
    return {
        "version": "1.0",
        "session": {
            "new": True,
            "sessionId": f"amzn1.echo-api.session.{uuid.uuid4()}",
            "application": {"applicationId": skill_id},
            "user": user,
        },
        "context": {
            "System": {
                "application": {"applicationId": context_skill_id or skill_id},
                "user": user,
                "device": {"deviceId": "amzn1.ask.device.TEST", "supportedInterfaces": {}},
                "apiEndpoint": "https://api.amazonalexa.com",
            },
        },
        "request": {
            "type": request_type,
            "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
            "timestamp": iso(timestamp),
            "locale": "en-US",
        },
    }


def body_of(envelope: dict[str, Any]) -> bytes:
    return json.dumps(envelope).encode("utf-8")


def headers_for(body: bytes, key: rsa.RSAPrivateKey, url: str = CERT_URL) -> dict[str, str]:
    """The two headers Alexa sends with ``body``, signed with ``key``."""
    return {"SignatureCertChainUrl": url, "Signature-256": sign(key, body)}


class CountingFetcher:
    """An injectable certificate fetcher serving PEM bytes per URL and counting its calls."""

    def __init__(self, served: dict[str, bytes] | Callable[[str], bytes]) -> None:
        self.served = served
        self.calls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        if callable(self.served):
            return self.served(url)
        return self.served[url]


def forbid_network(monkeypatch: Any) -> None:
    """Make any connection or name lookup beyond loopback fail loudly (for autouse fixtures)."""
    import socket

    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def local_only(host: object) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise AssertionError(f"a test tried to reach the network: {host!r}")

    def connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple):
            local_only(address[0])
        real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        local_only(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
