"""A self-signed TLS certificate for the loopback endpoint, generated once and reused.

The certificate names ``localhost``, ``127.0.0.1`` and ``::1`` and is its own CA, so a client
validates HTTPS with ``cert_validation=<cert path>`` instead of switching validation off (the
orchestrator must never learn to do that). It is kept in a caller-given directory so restarts
keep the same trust anchor; a missing, unreadable, expiring or wrong-named pair is regenerated.
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["CERT_FILE", "KEY_FILE", "EndpointCertificate", "ensure_certificate"]

log = logging.getLogger("orchestrator.sandbox.wsman")

CERT_FILE = "wsman-endpoint-cert.pem"
KEY_FILE = "wsman-endpoint-key.pem"
_DNS_NAMES = ("localhost",)
_IP_ADDRESSES = ("127.0.0.1", "::1")
_LIFETIME = datetime.timedelta(days=825)
_RENEW_BEFORE = datetime.timedelta(days=7)


@dataclass(frozen=True)
class EndpointCertificate:
    cert_path: Path
    key_path: Path


def ensure_certificate(cert_dir: Path) -> EndpointCertificate:
    """Return the certificate in ``cert_dir``, creating (or renewing) it when needed."""
    cert_dir.mkdir(parents=True, exist_ok=True)
    pair = EndpointCertificate(cert_dir / CERT_FILE, cert_dir / KEY_FILE)
    if _usable(pair):
        log.debug("reusing endpoint certificate %s", pair.cert_path)
        return pair
    _generate(pair)
    log.info("generated self-signed endpoint certificate %s", pair.cert_path)
    return pair


def _usable(pair: EndpointCertificate) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(pair.cert_path.read_bytes())
        key = serialization.load_pem_private_key(pair.key_path.read_bytes(), password=None)
    except (OSError, ValueError):
        return False
    if cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        return False
    if cert.not_valid_after_utc - _RENEW_BEFORE < datetime.datetime.now(datetime.UTC):
        return False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    dns = set(san.get_values_for_type(x509.DNSName))
    return set(_IP_ADDRESSES) <= ips and set(_DNS_NAMES) <= dns


def _generate(pair: EndpointCertificate) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailbox-orchestrator sandbox endpoint")])
    now = datetime.datetime.now(datetime.UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + _LIFETIME)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(n) for n in _DNS_NAMES]
                + [x509.IPAddress(ipaddress.ip_address(a)) for a in _IP_ADDRESSES]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_private(pair.key_path, key_pem)
    _write_private(pair.cert_path, cert.public_bytes(serialization.Encoding.PEM))


def _write_private(path: Path, data: bytes) -> None:
    """Write via a temporary file and an atomic replace, so a concurrent reader never sees half a file."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.chmod(0o600)  # on Windows this only clears "read-only"; the directory ACL protects the key
    tmp.replace(path)
