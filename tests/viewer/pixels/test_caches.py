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
    plus_100, plus_300 = (np.full((2, 4, 4), v, np.int16) for v in (100, 300))
    first = Volume(plus_100, GRID)
    assert int(cache.get(base, first).max()) == 100
    old_id = id(first)
    del first
    second = Volume(plus_300, GRID)  # CPython gives it the freed volume's memory, and id
    assert id(second) == old_id  # the situation a cache keyed on id() served a stale map in
    assert int(cache.get(base, second).max()) == 300
    assert cache.computed == 2


def test_every_volume_and_every_copy_has_its_own_token():
    from dataclasses import replace

    a = Volume(np.ones((2, 4, 4), np.int16), GRID)
    b = replace(a, array=a.array + 1)
    c = a.with_array(a.array)
    assert len({a.token, b.token, c.token}) == 3
