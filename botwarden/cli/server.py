"""`botwarden server`, `botwarden unseal` and `botwarden ca`: running and reaching the API."""

# NOTE: FastAPI, uvicorn, httpx and cryptography are imported inside the
# commands that use them, so that `botwarden --help` and unrelated commands
# stay fast (P15).

from __future__ import annotations

import ipaddress
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from botwarden.cli.output import emit_json, json_option, prompt_hidden
from botwarden.config import Settings, is_loopback, load_settings
from botwarden.errors import BotwardenError, ConfigError, ServerError, WrongPassphraseError

if TYPE_CHECKING:
    import ssl

    import httpx
    from cryptography import x509

SEAL_STATUS_PATH = "/v1/sys/seal-status"
UNSEAL_PATH = "/v1/sys/unseal"
PROBLEM_BASE_URI = "https://botwarden.dev/problems/"
UNSEAL_TIMEOUT_SECONDS = 60.0


@click.command()
@click.option("--host", help="Address to listen on, instead of `[server] host` in config.toml.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="Port to listen on, instead of `[server] port` in config.toml.",
)
def server(host: str | None, port: int | None) -> None:
    """Serve the botwarden API over HTTPS on one port.

    The production safety check runs first: a prod deployment with debug on,
    or plain HTTP on a non-loopback address, refuses to start and says how
    to fix it. TLS uses the certificate `botwarden init` created (or
    `[server] cert_file` and `key_file`). With the passphrase key source the
    server starts sealed until `botwarden unseal`. Stop it with Ctrl+C.
    """

    from botwarden.server import serve

    settings = load_settings()
    listen = settings.server
    listen = replace(listen, host=host) if host else listen
    listen = replace(listen, port=port) if port else listen
    settings = replace(settings, server=listen)

    _log_requests()
    serve(settings)


@click.command()
@click.option(
    "--url",
    metavar="URL",
    help="The server's base URL  [default: https://HOST:PORT from config.toml]",
)
@click.option(
    "--ca",
    "ca_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CA certificate to trust  [default: the deployment's tls/ca.pem]",
)
@json_option
def unseal(url: str | None, ca_file: Path | None, as_json: bool) -> None:
    """Unseal a running server with the root key's passphrase.

    The passphrase is read from the terminal without echo (or one line of
    standard input when it is not a terminal); it is never taken from the
    command line or the environment. It goes to the server over HTTPS,
    verified against the deployment's CA (plain HTTP only to a loopback
    address). An unsealed server is left as is, without asking.
    """

    import httpx

    from botwarden.crypto import Sensitive

    settings = load_settings()
    base_url = (url or default_url(settings)).rstrip("/")
    _refuse_plain_http(base_url)

    with httpx.Client(
        base_url=base_url,
        verify=trust(settings, ca_file),
        timeout=UNSEAL_TIMEOUT_SECONDS,
        follow_redirects=False,
        trust_env=False,
    ) as client:
        already = not _request(client, "GET", SEAL_STATUS_PATH, base_url).get("sealed", True)
        if not already:
            passphrase = Sensitive(prompt_hidden("Passphrase"))
            answer = _request(
                client, "POST", UNSEAL_PATH, base_url, json={"passphrase": passphrase.reveal()}
            )
            if answer.get("sealed", True):
                raise ServerError(f"the server at {base_url} is still sealed")

    if as_json:
        emit_json({"url": base_url, "sealed": False, "already_unsealed": already})
    else:
        click.echo(f"{base_url} was already unsealed." if already else f"Unsealed {base_url}.")


@click.group()
def ca() -> None:
    """The deployment's certificate authority, which clients trust to reach the server."""


@ca.command("export")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the certificate to FILE instead of standard output.",
)
def export(output: Path | None) -> None:
    """Print the CA certificate (PEM) that clients need to verify the server.

    Only the certificate leaves: the CA's private key stays in the home. The
    SHA-256 fingerprint goes to standard error, to compare out of band.
    """

    from cryptography.hazmat.primitives import hashes, serialization

    settings = load_settings()
    certificate = _read_ca_certificate(settings.ca_cert_file)
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    fingerprint = certificate.fingerprint(hashes.SHA256()).hex(":").upper()

    if output is None:
        click.echo(pem.decode("ascii"), nl=False)
    else:
        output.write_bytes(pem)
        click.echo(f"Wrote the CA certificate to {output}.", err=True)
    click.echo(f"SHA-256 fingerprint: {fingerprint}", err=True)


def default_url(settings: Settings) -> str:
    """The URL of this deployment's server; a wildcard listen address means loopback."""

    host = _connectable(settings.server.host)
    host = f"[{host}]" if ":" in host else host
    scheme = "https" if settings.server.tls else "http"
    return f"{scheme}://{host}:{settings.server.port}"


def _connectable(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if not address.is_unspecified:
        return host
    return "::1" if address.version == 6 else "127.0.0.1"


def trust(settings: Settings, ca_file: Path | None) -> ssl.SSLContext:
    """Certificates to verify the server with: ``ca_file``, the deployment's CA, or the system's."""

    import ssl

    path = ca_file or (settings.ca_cert_file if settings.ca_cert_file.exists() else None)
    try:
        return ssl.create_default_context(cafile=str(path) if path else None)
    except (OSError, ssl.SSLError) as error:
        raise ConfigError(
            f"cannot load the CA certificate {path}: {error}",
            hint="Export it from the server's home with `botwarden ca export`.",
        ) from error


def _refuse_plain_http(base_url: str) -> None:
    import httpx

    try:
        parsed = httpx.URL(base_url)
    except httpx.InvalidURL as error:
        raise ConfigError(f"not a valid URL: {base_url}") from error

    if parsed.scheme not in {"http", "https"} or not parsed.host:
        raise ConfigError(f"not an http(s) URL: {base_url}", hint="Use https://HOST:PORT.")
    if parsed.scheme == "http" and not is_loopback(parsed.host):
        raise ConfigError(
            f"refusing to send the passphrase over plain HTTP to {parsed.host}",
            hint="Use the server's https:// URL.",
        )


def _request(
    client: httpx.Client, method: str, path: str, base_url: str, **kwargs: Any
) -> dict[str, Any]:
    import httpx

    try:
        response = client.request(method, path, **kwargs)
    except httpx.TimeoutException as error:
        raise ServerError(
            f"the server at {base_url} did not answer in time",
            hint="Check that it is running and not overloaded, then retry.",
        ) from error
    except httpx.HTTPError as error:
        raise _connection_error(error, base_url) from error

    body = _json_body(response)
    if response.is_success and body is not None:
        return body
    raise _problem_error(response, body, base_url)


def _json_body(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _connection_error(error: Exception, base_url: str) -> ServerError:
    if _caused_by_certificate(error):
        return ServerError(
            f"the server at {base_url} did not present a certificate this client trusts",
            hint="Pass the deployment's CA with --ca (see `botwarden ca export`), and use a "
            "host name or address the server certificate names.",
        )
    return ServerError(
        f"cannot reach the botwarden server at {base_url}",
        hint="Start it with `botwarden server`, or pass its address with --url.",
    )


def _caused_by_certificate(error: BaseException | None) -> bool:
    import ssl

    while error is not None:
        if isinstance(error, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(error):
            return True
        error = error.__cause__ or error.__context__
    return False


def _problem_error(
    response: httpx.Response, problem: dict[str, Any] | None, base_url: str
) -> BotwardenError:
    if problem is None:
        return ServerError(f"unexpected answer from {base_url}: HTTP {response.status_code}")

    code = str(problem.get("type", "")).removeprefix(PROBLEM_BASE_URI)
    detail = str(problem.get("detail", "the request failed"))
    hint = problem.get("hint") if isinstance(problem.get("hint"), str) else None
    if code == "wrong-passphrase":
        return WrongPassphraseError(detail, hint=hint)
    return ServerError(f"{base_url}: {detail}", hint=hint)


def _read_ca_certificate(path: Path) -> x509.Certificate:
    from cryptography import x509

    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"no CA certificate at {path}",
            hint="Run `botwarden init` to create the deployment's CA. A server that uses your "
            "own certificate is trusted through that certificate's issuer instead.",
        ) from None
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from error

    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError as error:
        raise ConfigError(
            f"{path} is not a PEM certificate",
            hint="Run `botwarden init` in a new home, or restore tls/ca.pem from a backup.",
        ) from error


def _log_requests() -> None:
    """Log at info (audit records, one line per request) unless BOTWARDEN_LOG_LEVEL says."""

    from botwarden.cli.output import configure_logging

    configure_logging(default_level="info")
