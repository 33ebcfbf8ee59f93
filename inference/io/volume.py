"""A CT volume: voxel array, geometry, modality and de-identified descriptive metadata."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

import numpy as np

from inference.io.geometry import Geometry
from inference.io.identity import Identity

_TOKENS = itertools.count(1)
INT16_MIN = np.iinfo(np.int16).min
INT16_MAX = np.iinfo(np.int16).max


@dataclass(frozen=True)
class SeriesMetadata:
    """Descriptive, non-identifying facts about where a volume came from.

    Holds no patient name, ID or birth date. ``patient_pseudonym`` is a salted hash
    that lets two series be compared for "same patient" without revealing who.
    """

    series_description: str = ""
    study_uid: str = ""
    series_uid: str = ""
    frame_of_reference_uid: str = ""
    acquisition_time: str = ""
    series_number: int | None = None
    manufacturer: str = ""
    convolution_kernel: str = ""
    patient_pseudonym: str = ""
    window_center: float | None = None
    window_width: float | None = None
    source_format: str = ""
    body_part: str = ""  # BodyPartExamined, upper case
    kvp: float | None = None
    contrast_agent: str = ""  # ContrastBolusAgent: set on a contrast-enhanced acquisition


@dataclass
class Volume:
    """Voxel array of shape (slices, rows, columns) placed in patient space by ``geometry``.

    CT values are Hounsfield units; stored as int16 whenever they fit, float32 otherwise.
    ``synthetic`` marks AI-generated images, which must always be labelled as such.
    """

    array: np.ndarray
    geometry: Geometry
    modality: str = "CT"
    metadata: SeriesMetadata = field(default_factory=SeriesMetadata)
    synthetic: bool = False
    provenance: dict = field(default_factory=dict)
    # Never reused, unlike id(): caches of derived pixels key on it (a freed volume's id can
    # come back for a new one, and a stale map would be served). replace() makes a new one.
    # Who the patient is, for the reading screen only (never logged, reported or exported).
    identity: Identity | None = field(default=None, repr=False, compare=False)
    token: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.array.ndim != 3:
            raise ValueError(f"a volume array must be 3-D, got shape {self.array.shape}")
        self.token = next(_TOKENS)

    @property
    def shape(self) -> tuple[int, int, int]:
        """Array shape (slices, rows, columns)."""
        return tuple(self.array.shape)  # type: ignore[return-value]

    @property
    def nbytes(self) -> int:
        """Memory held by the voxel array."""
        return int(self.array.nbytes)

    def index_to_world(self, ijk: np.ndarray | tuple[float, float, float]) -> np.ndarray:
        """(i, j, k) continuous index to LPS mm."""
        return self.geometry.index_to_world(ijk)

    def world_to_index(self, xyz: np.ndarray | tuple[float, float, float]) -> np.ndarray:
        """LPS mm to continuous (i, j, k) index."""
        return self.geometry.world_to_index(xyz)

    def value_at_world(self, xyz: np.ndarray | tuple[float, float, float]) -> float | None:
        """Voxel value (nearest neighbour) at a world position, or None outside the grid."""
        i, j, k = np.rint(self.world_to_index(xyz)).astype(int)
        nk, nj, ni = self.shape
        if 0 <= i < ni and 0 <= j < nj and 0 <= k < nk:
            return float(self.array[k, j, i])
        return None

    def axial(self, k: int) -> np.ndarray:
        """Slice k as a zero-copy view."""
        return self.array[k]

    def with_array(self, array: np.ndarray, **changes: object) -> Volume:
        """A new volume on the same grid holding ``array`` (no copy of the old voxels)."""
        if array.shape != self.array.shape:
            raise ValueError(f"shape {array.shape} does not match grid {self.array.shape}")
        return replace(self, array=array, **changes)


def hu_dtype(min_value: float, max_value: float, integral: bool) -> np.dtype:
    """The storage type for CT values: int16 when they are integers that fit, else float32."""
    if integral and min_value >= INT16_MIN and max_value <= INT16_MAX:
        return np.dtype(np.int16)
    return np.dtype(np.float32)
