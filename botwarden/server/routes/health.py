"""`GET /healthz`: whether the process serves requests, open to everyone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from botwarden import __version__
from botwarden.server.models import Health
from botwarden.server.seal import SealState, seal_state

HEALTH_PATH = "/healthz"

router = APIRouter(tags=["health"])


@router.get(HEALTH_PATH, summary="Liveness and seal state")
async def health(state: Annotated[SealState, Depends(seal_state)]) -> Health:
    """Answers while sealed too; it needs no credentials and reveals no configuration."""

    return Health(sealed=state.sealed, version=__version__)
