"""The deployment's own certificate authority and the server certificate it signs."""

from __future__ import annotations

import datetime
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from botwarden.crypto.keyfile import write_private_file

CA_LIFETIME = datetime.timedelta(days=3650)
SERVER_LIFETIME = datetime.timedelta(days=397)


@dataclass(frozen=True)
class DeploymentCertificates:
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path


def create_deployment_certificates(
    tls_dir: Path, *, host: str = "127.0.0.1", extra_names: tuple[str, ...] = ()
) -> DeploymentCertificates:
    """Create a CA (EC P-256) and a server certificate for loopback, this host and ``host``."""

    tls_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "botwarden deployment CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    server_key = ec.generate_private_key(ec.SECP256R1())
    names = _subject_alternative_names(host, extra_names)
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "botwarden server")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + SERVER_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    paths = DeploymentCertificates(
        ca_cert=tls_dir / "ca.pem",
        ca_key=tls_dir / "ca.key",
        server_cert=tls_dir / "server.pem",
        server_key=tls_dir / "server.key",
    )
    write_private_file(paths.ca_key, _private_pem(ca_key))
    write_private_file(paths.server_key, _private_pem(server_key))
    paths.server_cert.write_bytes(
        server_cert.public_bytes(serialization.Encoding.PEM)
        + ca_cert.public_bytes(serialization.Encoding.PEM)
    )
    paths.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    return paths


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _subject_alternative_names(host: str, extra: tuple[str, ...]) -> list[x509.GeneralName]:
    wanted = ["localhost", "127.0.0.1", "::1", socket.gethostname(), host, *extra]
    names: list[x509.GeneralName] = []
    seen: set[str] = set()
    for name in wanted:
        if not name or name in seen or _is_unspecified(name):
            continue
        seen.add(name)
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            names.append(x509.DNSName(name))
    return names


def _is_unspecified(name: str) -> bool:
    """True for the wildcard addresses a server binds to, which name no host."""

    try:
        return ipaddress.ip_address(name).is_unspecified
    except ValueError:
        return False
