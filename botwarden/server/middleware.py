"""The outermost middleware: request ids, security headers, body limits and the last-resort 500."""

from __future__ import annotations

import time
import traceback
import uuid
from collections.abc import Collection

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from botwarden.logs import get_logger
from botwarden.server.headers import security_headers
from botwarden.server.problems import REQUEST_ID_KEY, internal_error_response, problem_response

MAX_BODY_BYTES = 1024 * 1024
REQUEST_ID_HEADER = "X-Request-ID"

log = get_logger(__name__)


class RequestContextMiddleware:
    """Give each request an id, bound its body, secure its headers and log one line for it.

    An exception nothing else handled is logged with the request id and
    answered with a bare 500 problem: no traceback, message or class name
    reaches the client, in debug mode neither.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        tls: bool,
        docs_paths: Collection[str] = (),
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.tls = tls
        self.docs_paths = frozenset(docs_paths)
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = uuid.uuid4().hex
        scope[REQUEST_ID_KEY] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False
        headers = security_headers(tls=self.tls, docs=scope["path"] in self.docs_paths)

        async def send_secured(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = int(message["status"])
                outgoing = MutableHeaders(scope=message)
                for name, value in headers.items():
                    outgoing[name] = value
                outgoing[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            if self._declared_too_large(scope):
                await self._too_large(scope)(scope, receive, send_secured)
            else:
                await self.app(scope, self._bounded(receive), send_secured)
        except Exception as error:
            _log_unhandled(error, request_id)
            if response_started:
                raise
            await internal_error_response(scope)(scope, receive, send_secured)
        finally:
            log.info(
                "request",
                request_id=request_id,
                method=scope["method"],
                path=scope["path"],
                status=status,
                client=client_address(scope),
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )

    def _too_large(self, scope: Scope) -> JSONResponse:
        return problem_response(
            scope,
            code="content-too-large",
            status=413,
            detail=f"the request body is larger than {self.max_body_bytes} bytes",
        )

    def _declared_too_large(self, scope: Scope) -> bool:
        length = Headers(scope=scope).get("content-length")
        return length is not None and length.isdigit() and int(length) > self.max_body_bytes

    def _bounded(self, receive: Receive) -> Receive:
        received = 0
        limit = self.max_body_bytes

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"the request body is larger than {limit} bytes")
            return message

        return bounded_receive


def _log_unhandled(error: Exception, request_id: str) -> None:
    # NOTE: the traceback is rendered here, as text without local variables,
    # so that no renderer configured later can print a frame's locals (a
    # passphrase among them) into the log.
    log.error(
        "unhandled_error",
        request_id=request_id,
        error_type=type(error).__name__,
        traceback="".join(traceback.format_exception(error)),
    )


def client_address(scope: Scope) -> str:
    """The peer's address as the server saw it (proxy headers are not trusted)."""

    client = scope.get("client")
    if not client:
        return "unknown"
    return str(client[0])
