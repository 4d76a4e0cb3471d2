"""Error responses as RFC 9457 problem details, and the handlers that produce them."""

from __future__ import annotations

import http
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import Scope

from botwarden.errors import BotwardenError
from botwarden.logs import get_logger

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE_URI = "https://botwarden.dev/problems/"
REQUEST_ID_KEY = "botwarden.request_id"

# The HTTP status of each error code a client may see. Any other BotwardenError
# is a fault of the server: it answers 500 with a generic detail.
PUBLIC_STATUSES: dict[str, int] = {
    "invalid-input": 400,
    "wrong-passphrase": 403,
    "not-found": 404,
    "conflict": 409,
    "too-many-attempts": 429,
    "sealed": 503,
}

# Problem codes for HTTP errors raised by the framework rather than by botwarden.
HTTP_CODES: dict[int, str] = {
    404: "not-found",
    405: "method-not-allowed",
    413: "content-too-large",
    422: "invalid-request",
    500: "internal-error",
}

TITLES: dict[str, str] = {
    "sealed": "Server is sealed",
    "too-many-attempts": "Too many attempts",
    "invalid-request": "Request failed validation",
    "internal-error": "Internal server error",
}

INTERNAL_DETAIL = "the server could not complete the request"
VALIDATION_DETAIL = "the request did not pass validation"

log = get_logger(__name__)


def problem_type(code: str) -> str:
    """The stable URI that names a problem ``code``."""

    return PROBLEM_BASE_URI + code


def problem_title(code: str) -> str:
    return TITLES.get(code) or code.replace("-", " ").capitalize()


def request_id_of(scope: Scope) -> str:
    """The id the request-context middleware gave this request."""

    return str(scope.get(REQUEST_ID_KEY, ""))


def problem_response(
    scope: Scope,
    *,
    code: str,
    status: int,
    detail: str,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """A problem+json response; ``extensions`` add members after the standard ones."""

    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": problem_title(code),
        "status": status,
        "detail": detail,
        "request_id": request_id_of(scope),
        **(extensions or {}),
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def error_response(scope: Scope, error: BotwardenError) -> JSONResponse:
    """The problem for one of botwarden's errors; server faults keep their message in the log."""

    status = PUBLIC_STATUSES.get(error.code)
    if status is None:
        log.error(
            "request_failed",
            request_id=request_id_of(scope),
            code=error.code,
            error=error.message,
        )
        return problem_response(scope, code="internal-error", status=500, detail=INTERNAL_DETAIL)

    extensions: dict[str, Any] = {"hint": error.hint} if error.hint else {}
    retry_after = getattr(error, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if isinstance(retry_after, int) else None
    return problem_response(
        scope,
        code=error.code,
        status=status,
        detail=error.message,
        headers=headers,
        extensions=extensions,
    )


def internal_error_response(scope: Scope) -> JSONResponse:
    return problem_response(scope, code="internal-error", status=500, detail=INTERNAL_DETAIL)


def public_validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Where and why validation failed, without the submitted values.

    NOTE: the framework's own report carries each rejected ``input`` (and a
    ``ctx`` that can quote it); a rejected passphrase would be echoed back and
    could land in a proxy's log, so only location, type and message remain.
    """

    public: list[dict[str, Any]] = []
    for error in errors:
        if not isinstance(error, Mapping):
            continue
        public.append(
            {
                "loc": [str(part) for part in error.get("loc", ())],
                "type": str(error.get("type", "")),
                "msg": str(error.get("msg", "")),
            }
        )
    return public


async def handle_botwarden_error(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, BotwardenError):
        return internal_error_response(request.scope)
    return error_response(request.scope, error)


async def handle_http_exception(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, HTTPException):
        return internal_error_response(request.scope)

    status = error.status_code
    code = HTTP_CODES.get(status) or _slug(status)
    detail = error.detail if isinstance(error.detail, str) else http.HTTPStatus(status).phrase
    return problem_response(
        request.scope, code=code, status=status, detail=detail, headers=error.headers
    )


async def handle_validation_error(request: Request, error: Exception) -> JSONResponse:
    errors = error.errors() if isinstance(error, RequestValidationError) else []
    return problem_response(
        request.scope,
        code="invalid-request",
        status=422,
        detail=VALIDATION_DETAIL,
        extensions={"errors": public_validation_errors(errors)},
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error the application answers a problem+json document."""

    app.add_exception_handler(BotwardenError, handle_botwarden_error)
    app.add_exception_handler(HTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)


def _slug(status: int) -> str:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        return f"http-{status}"
    return phrase.lower().replace(" ", "-").replace("'", "")
