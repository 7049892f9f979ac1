"""The audit log, for auditors and operators: entries, proofs, checkpoints, the keys to check them with.

What a third party needs to check one entry (docs/audit.md): the entry's bytes, its inclusion proof and a
signed checkpoint, with the log's verifier key (``GET /audit/keys``). Hashes are standard base64.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from iprisk.accounts import Grant
from iprisk.errors import InvalidValue, NotFound
from iprisk.node import Node
from iprisk.web.auth import get_node, require
from iprisk.web.params import MAX_INDEX

router = APIRouter(prefix="/audit", tags=["audit"])
NodeDep = Annotated[Node, Depends(get_node)]
_MAX_PAGE = 1000


class Keys(BaseModel):
    log: str = Field(description="The log's verifier key (C2SP vkey): checks its checkpoints.")
    witness: str = Field(description="This node's witness key: checks its cosignatures of the peer's log.")


class Checkpoint(BaseModel):
    size: int
    note: str = Field(description="C2SP signed note: origin, size, root hash; signature lines.")


class Entry(BaseModel):
    index: int
    entry: str = Field(description="The entry's canonical JSON, exactly the bytes hashed (UTF-8).")


class Proof(BaseModel):
    index: int
    size: int
    proof: list[str] = Field(description="RFC 9162 inclusion proof, base64 hashes.")
    checkpoint: str | None = Field(description="The signed checkpoint of that size, if one was signed.")


class Consistency(BaseModel):
    old_size: int
    new_size: int
    proof: list[str] = Field(description="RFC 9162 consistency proof, base64 hashes.")


def _b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode("ascii") for h in hashes]


@router.get("/keys", response_model=Keys, summary="The keys that check the log and its cosignatures")
def keys(grant: Annotated[Grant, require("audit.read")], node: NodeDep) -> Keys:
    return Keys(log=node.audit_keys.log.verifier.vkey, witness=node.audit_keys.witness.verifier.vkey)


@router.get("/checkpoints", response_model=list[Checkpoint], summary="Every signed checkpoint, by size")
def checkpoints(grant: Annotated[Grant, require("audit.read")], node: NodeDep) -> list[Checkpoint]:
    with Session(node.engine) as session:
        notes = node.audit.log(session).store.checkpoints()
    return [Checkpoint(size=int(n.split("\n")[1]), note=n) for n in notes]


@router.post("/checkpoints", response_model=Checkpoint, summary="Sign a checkpoint of the log now")
def sign_checkpoint(grant: Annotated[Grant, require("audit.checkpoint")], node: NodeDep) -> Checkpoint:
    with Session(node.engine) as session, session.begin():
        note = node.audit.checkpoint(session)
    return Checkpoint(size=int(note.split("\n")[1]), note=note)


@router.get("/entries", response_model=list[Entry], summary="Entries, oldest first, a page at a time")
def entries(
    grant: Annotated[Grant, require("audit.read")],
    node: NodeDep,
    start: Annotated[int, Query(ge=0, le=MAX_INDEX)] = 0,
    limit: Annotated[int, Query(ge=1, le=_MAX_PAGE)] = 100,
) -> list[Entry]:
    with Session(node.engine) as session:
        found = node.audit.log(session).store.entries(start, start + limit)
    return [Entry(index=start + i, entry=e.decode("utf-8")) for i, e in enumerate(found)]


@router.get("/entries/{index}/proof", response_model=Proof, summary="Inclusion proof of one entry")
def inclusion(
    index: Annotated[int, PathParam(ge=0, le=MAX_INDEX)],
    grant: Annotated[Grant, require("audit.read")],
    node: NodeDep,
    size: Annotated[
        int | None, Query(ge=1, le=MAX_INDEX, description="Tree size (default: the latest checkpoint's).")
    ] = None,
) -> Proof:
    with Session(node.engine) as session:
        log = node.audit.log(session)
        if size is None:
            notes = log.store.checkpoints()
            size = int(notes[-1].split("\n")[1]) if notes else log.size
        if not index < size <= log.size:
            raise NotFound("audit entry", f"{index} in a tree of size {size} (the log has {log.size})")
        return Proof(index=index, size=size, proof=_b64(log.inclusion_proof(index, size)),
                     checkpoint=log.store.checkpoint(size))  # fmt: skip


@router.get("/consistency", response_model=Consistency, summary="Consistency proof between two sizes")
def consistency(
    grant: Annotated[Grant, require("audit.read")],
    node: NodeDep,
    old: Annotated[int, Query(ge=1, le=MAX_INDEX)],
    new: Annotated[int, Query(ge=1, le=MAX_INDEX)],
) -> Consistency:
    with Session(node.engine) as session:
        log = node.audit.log(session)
        if not old <= new <= log.size:
            raise InvalidValue(f"sizes {old}..{new}: need old <= new <= {log.size}")
        return Consistency(old_size=old, new_size=new, proof=_b64(log.consistency_proof(old, new)))
