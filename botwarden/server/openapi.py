"""The OpenAPI document, with problem responses under their own media type."""

from __future__ import annotations

import http
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from botwarden.server.models import Problem
from botwarden.server.problems import PROBLEM_MEDIA_TYPE

JSON_MEDIA_TYPE = "application/json"


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Route ``responses`` entries saying that ``statuses`` answer with a problem."""

    return {
        status: {
            "model": Problem,
            "content": {PROBLEM_MEDIA_TYPE: {}},
            "description": http.HTTPStatus(status).phrase,
        }
        for status in statuses
    }


def install_openapi(app: FastAPI) -> None:
    """Generate the document once, moving each error schema to application/problem+json."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            _move_problem_schemas(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _move_problem_schemas(document: dict[str, Any]) -> None:
    for path in document.get("paths", {}).values():
        for operation in path.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                if PROBLEM_MEDIA_TYPE in content and JSON_MEDIA_TYPE in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop(JSON_MEDIA_TYPE)
