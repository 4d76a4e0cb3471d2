"""Running the API under uvicorn: the safety check, the listening socket and TLS."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, MutableMapping

import uvicorn

from botwarden import audit
from botwarden.audit.log import open_audit_log
from botwarden.config import Settings, check_production_safety
from botwarden.errors import ServerError
from botwarden.logs import get_logger
from botwarden.server.app import create_app

log = get_logger(__name__)


def serve(settings: Settings, *, environ: MutableMapping[str, str] | None = None) -> None:
    """Serve the API on ``settings.server`` until interrupted.

    (1) refuse an unsafe production configuration before anything else;
    (2) load the certificate and key when TLS is on, so a bad pair fails early;
    (3) bind the one port;
    (4) open the audit log as its writer, offering its socket to other local
        processes (or through another server's socket), and close it last, which
        writes a final checkpoint;
    (5) build the application, which unlocks the vault unless it is sealed;
    (6) serve TLS 1.2 or later, without uvicorn's access log: the application
        logs one line per request, without its query string.
    """

    # (1)
    check_production_safety(settings)

    # (2)
    if settings.server.tls:
        _check_certificate(settings)

    # (3)
    listener = _listen(settings.server.host, settings.server.port)

    # (4)
    audit_log = open_audit_log(settings, serve=True)
    audit.install(audit_log)

    try:
        # (5)
        app = create_app(settings, environ=environ)

        # (6)
        config = uvicorn.Config(
            app,
            ssl_certfile=settings.server_cert_file if settings.server.tls else None,
            ssl_keyfile=settings.server_key_file if settings.server.tls else None,
            ssl_context_factory=_tls_context if settings.server.tls else None,
            access_log=False,
            log_config=None,
            server_header=False,
            proxy_headers=False,
            lifespan="on",
        )
        _announce(settings, sealed=app.state.seal.sealed)
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        listener.close()
        audit.uninstall()
        audit_log.close()


def _check_certificate(settings: Settings) -> None:
    cert, key = settings.server_cert_file, settings.server_key_file
    for path in (cert, key):
        if not path.is_file():
            raise ServerError(
                f"the TLS file {path} does not exist",
                hint="Run `botwarden init` to create the deployment's certificates, or set "
                "`[server] cert_file` and `key_file` in config.toml to your own.",
            )

    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as error:
        raise ServerError(
            f"cannot load the TLS certificate {cert} with the key {key}",
            hint="Check that both are PEM files and that the key belongs to the certificate.",
        ) from error


def _announce(settings: Settings, *, sealed: bool) -> None:
    scheme = "https" if settings.server.tls else "http"
    host = settings.server.host
    log.info(
        "server_listening",
        url=f"{scheme}://{f'[{host}]' if ':' in host else host}:{settings.server.port}",
        sealed=sealed,
        deployment=settings.deployment,
    )
    if not settings.server.tls:
        log.warning("server_plain_http", host=host)


def _tls_context(_config: uvicorn.Config, default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    context = default()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _listen(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except OSError as error:
        raise ServerError(
            f"cannot resolve the listen address {host}: {error.strerror}",
            hint="Set `[server] host` or --host to an address of this machine.",
        ) from error

    listener = socket.socket(family, kind, proto)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
    except OSError as error:
        listener.close()
        raise ServerError(
            f"cannot listen on {host} port {port}: {error.strerror}",
            hint="Stop the process using that port, or choose another with --port.",
        ) from error
    return listener
