"""``/apikeys``: list, create and revoke API keys (admin role), like ``filiere apikey``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from filiere.api.deps import AdminKey, KeysDep
from filiere.api.routers._params import NOT_FOUND
from filiere.api.security import ApiKey, Role

router = APIRouter(prefix="/apikeys", tags=["apikeys"])


class KeyInfo(BaseModel):
    """A key's public record (never the key nor its hash)."""

    id: str
    role: Role
    name: str
    created_at: str
    revoked_at: str | None


class NewKey(KeyInfo):
    key: str = Field(description="The key itself: shown once, not stored.")


class KeyRequest(BaseModel):
    role: Role
    name: str = Field("", max_length=200, description="What the key is for.")


def _info(k: ApiKey) -> KeyInfo:
    return KeyInfo(
        id=k.id, role=k.role, name=k.name, created_at=k.created_at, revoked_at=k.revoked_at
    )


@router.get("", summary="List API keys")
def list_keys(keys: KeysDep, _key: AdminKey) -> list[KeyInfo]:
    """Every key, revoked ones included, oldest first."""
    return [_info(k) for k in keys.list()]


@router.post("", status_code=201, summary="Create an API key")
def create_key(keys: KeysDep, _key: AdminKey, body: KeyRequest) -> NewKey:
    """A new key with a role; the answer is the only time the key is shown."""
    record, token = keys.create(body.role, name=body.name)
    return NewKey(**_info(record).model_dump(), key=token)


@router.delete("/{key_id}", summary="Revoke an API key", responses=NOT_FOUND)
def revoke_key(
    keys: KeysDep,
    _key: AdminKey,
    key_id: Annotated[str, Path(min_length=1, max_length=64, description="The key's id.")],
) -> KeyInfo:
    """Revoke a key at once (it stays listed, with `revoked_at`)."""
    return _info(keys.revoke(key_id))
