"""Which live record node should own each camera: weighted rendezvous hashing within capacity.

Every node computes the same answer from the same inputs (the live nodes and the camera ids), so no node
has to be the leader. Rendezvous hashing keeps placement stable: when a node joins or leaves, only the
cameras whose best node changed move (about 1/n of them), never a reshuffle. The weight makes a node's
share follow its capacity; a node that is full passes the camera to its next-best node.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Iterable, Mapping

_SCALE = float(2**64)


def score(node: str, camera_id: str, capacity: int) -> float:
    """The node's bid for the camera; the highest bid wins (weighted rendezvous: -w / ln(h))."""
    digest = hashlib.blake2b(f"{node}\0{camera_id}".encode(), digest_size=8).digest()
    unit = (int.from_bytes(digest, "big") + 0.5) / _SCALE  # in (0, 1), never 0 or 1
    return -capacity / math.log(unit)


def place(camera_ids: Iterable[str], capacities: Mapping[str, int]) -> dict[str, str | None]:
    """Camera id -> node name, or None where every live node is full.

    ``capacities`` holds the live record nodes and how many cameras each may take. Cameras are
    considered in id order so that every node reaches the same result when capacity runs out.
    """
    return dict(_place(tuple(sorted(set(camera_ids))), tuple(sorted(capacities.items()))))


@functools.lru_cache(maxsize=8)  # every round asks again; the live nodes rarely change
def _place(camera_ids: tuple[str, ...], node_capacities: tuple[tuple[str, int], ...],
           ) -> dict[str, str | None]:
    capacities = dict(node_capacities)
    load = dict.fromkeys(capacities, 0)
    placed: dict[str, str | None] = {}
    for camera_id in camera_ids:
        ranked = sorted((node for node, capacity in capacities.items() if capacity > 0),
                        key=lambda node: (-score(node, camera_id, capacities[node]), node))
        chosen = next((node for node in ranked if load[node] < capacities[node]), None)
        if chosen is not None:
            load[chosen] += 1
        placed[camera_id] = chosen
    return placed
