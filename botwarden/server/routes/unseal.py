"""`/v1/sys`: the seal status and unsealing with the root key's passphrase."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from botwarden.crypto import Sensitive
from botwarden.server.middleware import client_address
from botwarden.server.models import SealStatus, UnsealRequest
from botwarden.server.openapi import problem_responses
from botwarden.server.seal import SealState, seal_state

SEAL_STATUS_PATH = "/v1/sys/seal-status"
UNSEAL_PATH = "/v1/sys/unseal"

router = APIRouter(tags=["sys"])


@router.get(SEAL_STATUS_PATH, summary="Whether the server is sealed")
async def seal_status(state: Annotated[SealState, Depends(seal_state)]) -> SealStatus:
    return SealStatus(sealed=state.sealed)


@router.post(
    UNSEAL_PATH,
    summary="Unseal with the root key's passphrase",
    responses=problem_responses(403, 422, 429, 500),
)
def unseal(
    body: UnsealRequest,
    request: Request,
    state: Annotated[SealState, Depends(seal_state)],
) -> SealStatus:
    """Load the root key sealed under a passphrase.

    Every attempt is audited. After five wrong passphrases from one address
    within a minute, that address gets 429 until the oldest failure is a
    minute old. An unsealed server answers 200 without checking.
    """

    passphrase = Sensitive(body.passphrase.get_secret_value())
    state.unseal(passphrase, client=client_address(request.scope))
    return SealStatus(sealed=state.sealed)
