"""Caches of derived pixels never serve a map of a volume that is gone: keyed on a token no
volume ever reuses, where id() comes back for a new object."""

import numpy as np

from inference.io.geometry import Geometry
from inference.io.volume import Volume
from viewer.pixels.enhancement import SubtractionCache

GRID = Geometry((0, 0, 0), (1, 1, 1))


def test_a_new_volume_at_a_freed_volumes_id_gets_its_own_map():
    cache = SubtractionCache()
    base = Volume(np.zeros((2, 4, 4), np.int16), GRID)
    first = Volume(np.full((2, 4, 4), 100, np.int16), GRID)
    assert int(cache.get(base, first).max()) == 100
    del first
    # CPython usually hands a new object the freed one's memory, and so its id(); whether it
    # does depends on the allocator, so make forty (a cache keyed on id() served a stale map
    # whenever one came back) and check each gets its own map.
    for value in range(101, 140):
        other = Volume(np.full((2, 4, 4), value, np.int16), GRID)
        assert int(cache.get(base, other).max()) == value
        del other
    assert cache.computed == 40


def test_every_volume_and_every_copy_has_its_own_token():
    from dataclasses import replace

    a = Volume(np.ones((2, 4, 4), np.int16), GRID)
    b = replace(a, array=a.array + 1)
    c = a.with_array(a.array)
    assert len({a.token, b.token, c.token}) == 3
