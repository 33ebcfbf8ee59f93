"""A reader that answers as fast as it can, printing each answer once it is committed.

Run as a real process by the crash tests and killed with SIGKILL at random moments.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

from inference.readerstudy.store import Interaction, StudyStore, WashoutError


def value_for(case: str, question: str) -> object:
    """The answer this reader gives (deterministic, so a resumed run gives the same)."""
    n = int(case.split("-")[1])
    return {"aneurysm": n % 2 == 1, "confidence": 10 * n, "quality": 1 + n % 5,
            "which": {"choice": "real" if n % 3 else "synthetic", "confidence": 5 * n},
            "lesions": [{"position_mm": [float(n), 0.0, 0.0], "confidence": n}],
            "comment": f"case {n}"}[question]


def main(folder: str, reader: str, days_later: str = "0") -> int:
    # ``days_later`` moves "today" past every washout, so one run can read every session.
    today = date.today() + timedelta(days=int(days_later))
    store = StudyStore(Path(folder))
    store.login(reader)
    while True:
        try:
            r = store.next_reading(reader, today)
        except WashoutError:
            print("WASHOUT", flush=True)
            return 0
        if r is None:
            print("DONE", flush=True)
            return 0
        store.start(r)
        for q in store.protocol.arm(r.arm).questions:
            store.save_answer(r, q, value_for(r.case, q))
            print(f"ANSWER {r.session} {r.position} {q}", flush=True)
        store.finish(r, Interaction(1.0, 1, 1, 0))
        print(f"FINISHED {r.session} {r.position}", flush=True)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
