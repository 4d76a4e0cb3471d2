"""A witness that POSTs each checkpoint as JSON to an HTTPS endpoint."""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from botwarden.audit.canonical import canonical_json
from botwarden.audit.witnesses.interface import Witness, WitnessError
from botwarden.errors import InvalidInputError

if TYPE_CHECKING:
    import httpx

DEFAULT_TIMEOUT_SECONDS = 10.0


class HttpWitness(Witness):
    """Checkpoints POSTed to ``url`` as ``{"origin", "size", "note"}``; any 2xx answer counts.

    ``latest`` asks ``read_url`` (``GET read_url?origin=…``, answered with the
    same JSON object, or 404 when it holds nothing); without one it is None.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        ca_file: Path | None = None,
        read_url: str | None = None,
    ) -> None:
        import httpx

        self.name = witness_url_name(url)
        if read_url is not None:
            witness_url_name(read_url)
        if not timeout > 0:
            raise InvalidInputError(f"the timeout of {self.name} must be a positive number")
        self.url = url
        self.read_url = read_url

        # NOTE: redirects are not followed (a checkpoint goes where it was
        # configured to), and proxy or CA variables from the environment are
        # ignored: what a witness trusts comes from botwarden's configuration.
        self._client = httpx.Client(
            verify=_tls_context(ca_file),
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"user-agent": "botwarden-witness"},
        )

    def publish(self, origin: str, size: int, note: str) -> None:
        body = canonical_json({"note": note, "origin": origin, "size": size})
        response = self._request(
            "POST", self.url, content=body, headers={"content-type": "application/json"}
        )
        if not response.is_success:
            raise WitnessError(
                f"{self.name} refused the checkpoint with HTTP {response.status_code}"
            )

    def latest(self, origin: str) -> str | None:
        if self.read_url is None:
            return None
        response = self._request("GET", self.read_url, params={"origin": origin})
        if response.status_code == 404:
            return None
        if not response.is_success:
            raise WitnessError(f"{self.name} answered HTTP {response.status_code} when read")
        try:
            held = response.json()
        except ValueError:
            held = None
        if not isinstance(held, dict) or held.get("origin") != origin:
            raise WitnessError(f"{self.name} answered with something other than a checkpoint")
        note = held.get("note")
        if not isinstance(note, str):
            raise WitnessError(f"{self.name} answered with something other than a checkpoint")
        return note

    def _request(self, method: str, url: str, **options: Any) -> httpx.Response:
        import httpx

        try:
            return self._client.request(method, url, **options)
        except httpx.HTTPError as error:
            reason = str(error) or type(error).__name__
            raise WitnessError(f"{self.name} is unreachable: {reason}") from error

    def close(self) -> None:
        self._client.close()


def witness_url_name(url: str) -> str:
    """The URL of an HTTP witness as messages show it; raise ``InvalidInputError`` if unsafe.

    NOTE: the name leaves out any query, which could carry a token; a URL with
    a user name or password is refused for the same reason. Plain ``http`` is
    accepted for loopback addresses only: elsewhere the witness would be
    unauthenticated and anyone on the path could answer in its place.
    """

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        raise InvalidInputError("an HTTP witness URL is malformed") from None
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidInputError("an HTTP witness URL must start with https:// and name a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidInputError(
            "an HTTP witness URL must not hold a user name or password",
            hint="Credentials in URLs end up in logs; give the witness a URL without them.",
        )
    if parts.scheme == "http" and not _is_loopback(host):
        raise InvalidInputError(
            f"the HTTP witness {host} must be reached over https://",
            hint="Plain http:// is accepted for loopback addresses only.",
        )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc}{parts.path}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _tls_context(ca_file: Path | None) -> ssl.SSLContext:
    try:
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as error:
        raise InvalidInputError(f"cannot load the CA file {ca_file}: {error}") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
