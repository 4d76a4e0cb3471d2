"""`serve`: what it refuses before it listens."""

from __future__ import annotations

import socket
import ssl
from dataclasses import replace
from pathlib import Path

import pytest

from botwarden.config import Settings, load_settings
from botwarden.crypto.tls import create_deployment_certificates
from botwarden.errors import ServerError, UnsafeConfigError
from botwarden.server import serve
from botwarden.server.run import _tls_context


def on_port(settings: Settings, port: int) -> Settings:
    return replace(settings, server=replace(settings.server, host="127.0.0.1", port=port))


def test_prod_with_debug_is_refused_before_anything_else(home: Path) -> None:
    settings = load_settings({"BOTWARDEN_HOME": str(home), "BOTWARDEN_DEBUG": "true"})

    with pytest.raises(UnsafeConfigError, match=r"debug is on: set `debug = false`"):
        serve(settings)

    assert not home.exists()


def test_prod_on_plain_http_off_loopback_is_refused(home: Path) -> None:
    settings = load_settings({"BOTWARDEN_HOME": str(home), "BOTWARDEN_HOST": "0.0.0.0"})  # noqa: S104
    settings = replace(settings, server=replace(settings.server, tls=False))

    with pytest.raises(UnsafeConfigError, match=r"tls = true"):
        serve(settings)


def test_missing_certificate_is_refused_with_a_hint(home: Path) -> None:
    settings = load_settings({"BOTWARDEN_HOME": str(home), "BOTWARDEN_DEPLOYMENT": "dev"})

    with pytest.raises(ServerError, match="does not exist") as caught:
        serve(settings)

    assert "botwarden init" in caught.value.hint


def test_a_key_that_does_not_match_the_certificate_is_refused(
    file_settings: Settings, tmp_path: Path
) -> None:
    other = create_deployment_certificates(tmp_path / "other")
    mismatched = replace(
        file_settings,
        server=replace(
            file_settings.server,
            cert_file=file_settings.server_cert_file,
            key_file=other.server_key,
        ),
    )

    with pytest.raises(ServerError, match="cannot load the TLS certificate"):
        serve(mismatched)


def test_a_port_in_use_is_a_server_error(file_settings: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(ServerError, match=f"cannot listen on 127.0.0.1 port {port}") as caught:
            serve(on_port(file_settings, port))

    assert "--port" in caught.value.hint


def test_tls_below_1_2_is_never_negotiated(file_settings: Settings) -> None:
    def default() -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        return context

    context = _tls_context(None, default)  # type: ignore[arg-type]

    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
