"""Per-reader reading lists: randomised from a recorded seed, split Latin-square style."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from inference.readerstudy.protocol import Protocol


@dataclass(frozen=True)
class Reading:
    """One case read in one arm, at a place in a reader's session."""

    reader: str
    session: int  # 1-based
    position: int  # 1-based within the session
    case: str
    arm: str
    shown: str  # what is displayed: the arm's `show`, or for a Turing arm "real"/"synthetic"


def reader_seed(study_seed: int, reader: str) -> int:
    """The seed of one reader's lists, derived from the study seed (recorded with them)."""
    digest = hashlib.sha256(f"{study_seed}:{reader}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def assign(protocol: Protocol) -> dict[str, list[Reading]]:
    """Reading lists for every reader.

    Independent design: cases are split into as many groups as there are arms and the arms
    rotate over groups from session to session (a Latin square, shifted per reader), so each
    session holds every case once, in one arm, and every case is read in every arm by the end.
    Sequential design: one session; each case is read in all arms one after another.
    """
    arms = [a.id for a in protocol.arms]
    shows = {a.id: a.show for a in protocol.arms}
    cases = [c.id for c in protocol.cases]
    out = {}
    for r_index, reader in enumerate(protocol.readers):
        rng = np.random.default_rng(reader_seed(protocol.seed, reader))
        sessions: list[list[tuple[str, str]]] = []
        if protocol.design == "sequential":
            order = [cases[i] for i in rng.permutation(len(cases))]
            sessions.append([(c, a) for c in order for a in arms])
        else:
            shuffled = [cases[i] for i in rng.permutation(len(cases))]
            group = {c: n % len(arms) for n, c in enumerate(shuffled)}
            for s in range(len(arms)):
                items = [(c, arms[(group[c] + s + r_index) % len(arms)]) for c in cases]
                sessions.append([items[i] for i in rng.permutation(len(items))])
        # Turing arms: half real, half synthetic, in a random order per reader and arm.
        turing = {}
        for arm in arms:
            if shows[arm] == "real_or_synthetic":
                n = sum(1 for items in sessions for _c, a in items if a == arm)
                shown = (["real", "synthetic"] * (n // 2 + 1))[:n]
                turing[arm] = [shown[i] for i in rng.permutation(n)]
        readings = []
        for s, items in enumerate(sessions, 1):
            for pos, (case, arm) in enumerate(items, 1):
                shown = turing[arm].pop() if arm in turing else shows[arm]
                readings.append(Reading(reader, s, pos, case, arm, shown))
        out[reader] = readings
    return out
