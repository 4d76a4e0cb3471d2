"""The deployment CA and server certificate made at `init`."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from botwarden.crypto.tls import create_deployment_certificates


def test_the_server_certificate_is_signed_by_the_ca_for_the_right_names(tmp_path: Path) -> None:
    paths = create_deployment_certificates(tmp_path, host="0.0.0.0", extra_names=("bots.example",))  # noqa: S104

    ca = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    server = x509.load_pem_x509_certificates(paths.server_cert.read_bytes())[0]
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value

    server.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert "bots.example" in names.get_values_for_type(x509.DNSName)
    addresses = names.get_values_for_type(x509.IPAddress)
    assert ipaddress.ip_address("127.0.0.1") in addresses
    assert ipaddress.ip_address("0.0.0.0") not in addresses  # noqa: S104
    assert isinstance(ca.public_key(), ec.EllipticCurvePublicKey)


def test_private_keys_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    paths = create_deployment_certificates(tmp_path)

    assert stat.S_IMODE(paths.ca_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.server_key.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" not in paths.ca_cert.read_bytes() + paths.server_cert.read_bytes()
