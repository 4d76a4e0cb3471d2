"""The request and response bodies of the API, as pydantic models."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

MAX_PASSPHRASE_CHARACTERS = 1024


class Health(BaseModel):
    """Whether the process serves requests, and whether it is sealed."""

    status: Literal["ok"] = "ok"
    sealed: bool
    version: str


class SealStatus(BaseModel):
    """Whether the root key has been loaded into this server process."""

    sealed: bool


class UnsealRequest(BaseModel):
    """The passphrase that opens the sealed root key; never logged nor echoed."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    passphrase: SecretStr = Field(min_length=1, max_length=MAX_PASSPHRASE_CHARACTERS)


class ValidationIssue(BaseModel):
    loc: list[str]
    type: str
    msg: str


class Problem(BaseModel):
    """An RFC 9457 problem details document."""

    type: str = Field(examples=["https://botwarden.dev/problems/sealed"])
    title: str
    status: int
    detail: str
    request_id: str
    hint: str | None = None
    errors: list[ValidationIssue] | None = None
