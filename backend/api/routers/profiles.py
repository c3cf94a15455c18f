"""`/profiles`: the render recipes the farm can run."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from backend.api.deps import CurrentPrincipal, Services
from backend.tasks.schemas.common import PublicModel

router = APIRouter(tags=["profiles"])


class ProfileConstant(PublicModel):
    name: str
    value: str
    description: str = ""
    choices: list[str] = []


class ProfilePublic(PublicModel):
    name: str
    description: str
    constants: list[ProfileConstant]


@router.get("/profiles")
def list_profiles(services: Services, _: CurrentPrincipal) -> list[str]:
    return services.profiles.names()


@router.get("/profiles/{name}")
def get_profile(name: str, services: Services, _: CurrentPrincipal) -> ProfilePublic:
    profile = services.profiles.get(name)
    if profile is None:
        raise HTTPException(404, f"no profile {name!r}; available: {', '.join(services.profiles.names())}")
    return ProfilePublic(
        name=profile.name,
        description=profile.description,
        constants=[
            ProfileConstant(name=c.name, value=c.default, description=c.description, choices=list(c.choices))
            for c in profile.constants
        ],
    )
