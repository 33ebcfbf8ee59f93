"""One concept per module, each small enough to read: no module over 450 lines (the guide
aims at about 400), and the review window, which only wires, at most 450."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 450


def test_no_module_is_over_the_limit():
    long = {str(p.relative_to(ROOT)): n for top in ("inference", "viewer")
            for p in (ROOT / top).rglob("*.py")
            if (n := len(p.read_text().splitlines())) > LIMIT}
    assert long == {}


def test_there_is_no_utils_module():
    assert not [p for top in ("inference", "viewer") for p in (ROOT / top).rglob("utils.py")]
