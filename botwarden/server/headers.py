"""The security headers every response carries."""

from __future__ import annotations

from collections.abc import Mapping

JSON_CSP = "default-src 'none'; frame-ancestors 'none'"

# The interactive API documentation (debug only) loads its script and style
# from the CDN that FastAPI's page refers to, and fetches the OpenAPI document.
DOCS_CSP = (
    "default-src 'none'; frame-ancestors 'none'; connect-src 'self'; "
    "img-src 'self' data: https://fastapi.tiangolo.com; "
    "script-src 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src https://cdn.jsdelivr.net"
)

HSTS = "max-age=31536000"


def security_headers(*, tls: bool, docs: bool = False) -> Mapping[str, str]:
    """The headers for one response; ``docs`` relaxes the policy for the debug docs page."""

    headers = {
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Content-Security-Policy": DOCS_CSP if docs else JSON_CSP,
    }
    if tls:
        headers["Strict-Transport-Security"] = HSTS
    return headers
