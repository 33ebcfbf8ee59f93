"""Analytic abdomen anatomy in patient LPS millimetres; a seed varies sizes and positions."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from inference.phantom.labels import Tissue

# x: patient left (+), y: posterior (+), z: superior (+); origin at the body centre.


@dataclass(frozen=True)
class Anatomy:
    """Sizes and positions (mm) of one phantom 'patient'."""

    body_axes: tuple[float, float] = (160.0, 115.0)
    subcutaneous_fat: float = 18.0
    muscle_wall: float = 11.0
    liver_center: tuple[float, float, float] = (-72.0, -5.0, 95.0)
    liver_axes: tuple[float, float, float] = (78.0, 80.0, 75.0)
    spleen_center: tuple[float, float, float] = (85.0, 45.0, 95.0)
    spleen_axes: tuple[float, float, float] = (30.0, 45.0, 50.0)
    kidney_centers: tuple[tuple[float, float, float], ...] = ((68.0, 55.0, 25.0),
                                                              (-68.0, 55.0, 12.0))
    kidney_axes: tuple[float, float, float] = (26.0, 20.0, 52.0)
    aorta_xy: tuple[float, float] = (12.0, 28.0)
    aorta_radius: float = 11.0
    aneurysm_z: tuple[float, float] = (-95.0, -5.0)
    aneurysm_extra_radius: float = 15.0
    lumen_extra_radius: float = 3.0
    bifurcation_z: float = -112.0
    ivc_xy: tuple[float, float] = (-24.0, 30.0)
    spine_xy: tuple[float, float] = (0.0, 62.0)
    disc_period: float = 36.0
    bowel: tuple[tuple[float, ...], ...] = field(default_factory=tuple)
    texture: tuple[tuple[float, ...], ...] = field(default_factory=tuple)

    @staticmethod
    def create(seed: int = 0, vary: bool = False) -> Anatomy:
        """The phantom for ``seed``: seed 0 without ``vary`` is the fixed demo patient."""
        rng = np.random.default_rng(seed)
        base = Anatomy()

        def j(v: float, rel: float = 0.08) -> float:
            return float(v * (1 + rel * rng.uniform(-1, 1))) if vary else float(v)

        def jt(t: tuple[float, ...], rel: float = 0.08) -> tuple[float, ...]:
            return tuple(j(v, rel) for v in t)

        def shift(t: tuple[float, ...], mm: float) -> tuple[float, ...]:
            return tuple(float(v + (rng.uniform(-mm, mm) if vary else 0.0)) for v in t)

        bowel = []
        for _ in range(12):
            c = (rng.uniform(-75, 75), rng.uniform(-85, -15), rng.uniform(-120, 50))
            r = rng.uniform(14, 24)
            gas = rng.uniform() < 0.5
            bowel.append((*c, r, float(gas)))
        texture = tuple(
            (*rng.normal(size=3) / 1.0, rng.uniform(18, 60), rng.uniform(0, 2 * np.pi))
            for _ in range(6)
        )
        return Anatomy(
            body_axes=jt(base.body_axes, 0.1),
            subcutaneous_fat=j(base.subcutaneous_fat, 0.4),
            muscle_wall=j(base.muscle_wall, 0.2),
            liver_center=shift(base.liver_center, 6),
            liver_axes=jt(base.liver_axes),
            spleen_center=shift(base.spleen_center, 6),
            spleen_axes=jt(base.spleen_axes),
            kidney_centers=tuple(shift(c, 6) for c in base.kidney_centers),
            kidney_axes=jt(base.kidney_axes),
            aorta_xy=shift(base.aorta_xy, 3),
            aorta_radius=j(base.aorta_radius, 0.1),
            aneurysm_z=shift(base.aneurysm_z, 12),
            aneurysm_extra_radius=j(base.aneurysm_extra_radius, 0.35),
            lumen_extra_radius=j(base.lumen_extra_radius, 0.5),
            bifurcation_z=j(base.bifurcation_z, 0.05),
            ivc_xy=shift(base.ivc_xy, 3),
            spine_xy=shift(base.spine_xy, 2),
            bowel=tuple(bowel),
            texture=texture,
        )

    def texture_field(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Smooth zero-mean pattern in [-1, 1], fixed to the anatomy (it moves with the patient)."""
        out = np.zeros(np.broadcast_shapes(x.shape, y.shape, z.shape), dtype=np.float32)
        for kx, ky, kz, wavelength, phase in self.texture:
            norm = np.sqrt(kx * kx + ky * ky + kz * kz) or 1.0
            k = 2 * np.pi / wavelength / norm
            out += np.sin(k * (kx * x + ky * y + kz * z) + phase)
        return out / max(1, len(self.texture)) * 2.0

    def aorta_truth(self) -> dict:
        """The aneurysm's largest diameters (mm) where its bulge peaks: outer wall (the sac)
        and lumen, both circles in the axial plane, where the centreline runs straight."""
        return {"aorta_max_diameter_mm": round(2 * (self.aorta_radius
                                                    + self.aneurysm_extra_radius), 3),
                "lumen_max_diameter_mm": round(2 * (self.aorta_radius * 0.95
                                                    + self.lumen_extra_radius), 3),
                "aneurysm_peak_z_mm": round(sum(self.aneurysm_z) / 2, 3)}

    def aneurysm_bump(self, z: np.ndarray) -> np.ndarray:
        """0..1 profile of the aneurysm's bulge along z."""
        z0, z1 = self.aneurysm_z
        t = np.clip((z - z0) / (z1 - z0), 0.0, 1.0)
        return np.sin(np.pi * t) ** 2

    def labels(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Tissue label at each point (arrays broadcast together), later structures on top.

        Long on purpose: one line per organ, painted in anatomical order.
        """
        shape = np.broadcast_shapes(x.shape, y.shape, z.shape)
        lab = np.zeros(shape, dtype=np.uint8)
        zmin, zmax = float(z.min()), float(z.max())

        def ellipse(cx: float, cy: float, a: float, b: float) -> np.ndarray:
            return ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 <= 1.0

        def ellipsoid(c: tuple[float, ...], axes: tuple[float, ...],
                      scale: float = 1.0) -> np.ndarray | bool:
            # Most structures miss most slabs entirely: skip the full-size arithmetic then.
            if c[2] - axes[2] * scale > zmax or c[2] + axes[2] * scale < zmin:
                return False
            return (((x - c[0]) / (axes[0] * scale)) ** 2 + ((y - c[1]) / (axes[1] * scale)) ** 2
                    + ((z - c[2]) / (axes[2] * scale)) ** 2) <= 1.0

        a, b = self.body_axes
        inside = np.broadcast_to(ellipse(0, 0, a, b), shape)
        lab[inside] = Tissue.FAT
        s, m = self.subcutaneous_fat, self.muscle_wall
        wall = np.broadcast_to(ellipse(0, 0, a - s, b - s * 0.8), shape)
        lab[wall] = Tissue.MUSCLE
        visceral = np.broadcast_to(ellipse(0, 0, a - s - m, b - (s + m) * 0.8), shape)
        lab[visceral] = Tissue.FAT

        sx, sy = self.spine_xy
        # Lung bases behind the liver dome, paraspinal and psoas muscles.
        for side in (-1, 1):
            lab[ellipsoid((side * 72.0, 35.0, 185.0), (62.0, 60.0, 65.0)) & visceral] = Tissue.LUNG
            lab[np.broadcast_to(ellipse(sx + side * 32, sy + 36, 22, 17), shape)] = Tissue.MUSCLE
            psoas_r = 6.0 + np.clip((40.0 - z) / 150.0, 0.0, 1.0) * 12.0
            psoas = ((x - (sx + side * 33)) ** 2 + (y - (sy - 4)) ** 2 <= psoas_r ** 2) & (z < 45)
            lab[psoas] = Tissue.MUSCLE

        lab[ellipsoid(self.liver_center, self.liver_axes) & visceral] = Tissue.LIVER
        lab[ellipsoid(self.spleen_center, self.spleen_axes) & visceral] = Tissue.SPLEEN
        for c in self.kidney_centers:
            lab[ellipsoid(c, self.kidney_axes)] = Tissue.KIDNEY_CORTEX
            lab[ellipsoid(c, self.kidney_axes, 0.68)] = Tissue.KIDNEY_MEDULLA
            hilum = (c[0] - np.sign(c[0]) * self.kidney_axes[0] * 0.45, c[1] - 4, c[2])
            lab[ellipsoid(hilum, self.kidney_axes, 0.4)] = Tissue.FAT
            pelvis = (c[0] - np.sign(c[0]) * self.kidney_axes[0] * 0.3, c[1] - 2, c[2])
            lab[ellipsoid(pelvis, self.kidney_axes, 0.22)] = Tissue.URINE

        for bx, by, bz, r, gas in self.bowel:
            loop = ellipsoid((bx, by, bz), (r, r * 0.8, r * 1.3)) & visceral
            lab[loop & (lab == Tissue.FAT)] = Tissue.BOWEL
            if gas:
                # Gas rises anteriorly (negative y) in a supine patient.
                pocket = ellipsoid((bx, by - r * 0.35, bz), (r * 0.6, r * 0.35, r * 0.8))
                lab[pocket & (lab == Tissue.BOWEL)] = Tissue.BOWEL_GAS

        # Inferior vena cava to the right of the aorta.
        ix, iy = self.ivc_xy
        ivc = np.broadcast_to(ellipse(ix, iy, 12, 9), shape) & (z > self.bifurcation_z - 5)
        lab[ivc] = Tissue.IVC

        self._vessels(lab, x, y, z)
        self._spine(lab, x, y, z)

        table = (np.abs(x) < 190) & (y > b + 8) & (y < b + 15)
        lab[np.broadcast_to(table, shape)] = Tissue.TABLE
        return lab

    def _vessels(self, lab: np.ndarray, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> None:
        ax, ay = self.aorta_xy
        bump = self.aneurysm_bump(z)
        r_out = self.aorta_radius + self.aneurysm_extra_radius * bump
        # The sac bulges anteriorly and to the left, away from the spine.
        cx = ax + 3.0 * bump
        cy = ay - 0.6 * self.aneurysm_extra_radius * bump
        r_lumen = self.aorta_radius * 0.95 + self.lumen_extra_radius * bump
        lx = cx - 2.5 * bump
        ly = cy + 0.45 * (r_out - r_lumen)
        above = z >= self.bifurcation_z
        sac = (((x - cx) ** 2 + (y - cy) ** 2) <= r_out ** 2) & above
        lumen = (((x - lx) ** 2 + (y - ly) ** 2) <= r_lumen ** 2) & above
        lab[sac] = Tissue.THROMBUS
        lab[lumen] = Tissue.AORTA_LUMEN
        # Common iliac arteries diverge below the bifurcation.
        depth = np.clip(self.bifurcation_z - z, 0.0, None)
        for side in (-1, 1):
            icx = ax + side * (depth * 0.5 + 2.0)
            icy = ay + depth * 0.12
            iliac = ((x - icx) ** 2 + (y - icy) ** 2 <= 7.0 ** 2) & (z < self.bifurcation_z + 4)
            lab[iliac] = Tissue.AORTA_LUMEN
        # Renal arteries from the aorta to each kidney hilum.
        for kx, ky, kz in self.kidney_centers:
            lo, hi = sorted((ax, kx - np.sign(kx) * self.kidney_axes[0] * 0.5))
            t = np.clip((x - lo) / max(hi - lo, 1e-3), 0, 1)
            yline = ay + (ky - ay) * (t if kx > ax else 1 - t)
            renal = (x >= lo) & (x <= hi) & ((y - yline) ** 2 + (z - (kz + 8)) ** 2 <= 3.2 ** 2)
            lab[renal & (lab != Tissue.KIDNEY_CORTEX)] = Tissue.AORTA_LUMEN

    def _spine(self, lab: np.ndarray, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> None:
        sx, sy = self.spine_xy
        shape = lab.shape
        body_r = ((x - sx) / 21.0) ** 2 + ((y - sy) / 17.0) ** 2
        cortex = np.broadcast_to(body_r <= 1.0, shape)
        core = np.broadcast_to(body_r <= 0.78, shape)
        phase = np.mod(z, self.disc_period)
        disc = np.broadcast_to((phase > self.disc_period - 7.0), shape)
        lab[cortex] = Tissue.BONE_CORTICAL
        lab[core] = Tissue.BONE_CANCELLOUS
        lab[cortex & disc] = Tissue.DISC
        canal = (x - sx) ** 2 + (y - (sy + 27)) ** 2 <= 8.5 ** 2
        ring = (x - sx) ** 2 + (y - (sy + 27)) ** 2 <= 13.0 ** 2
        spinous = (np.abs(x - sx) <= 4.0) & (y > sy + 35) & (y < sy + 62)
        posterior = np.broadcast_to((ring | spinous) & ~canal, shape) & ~disc
        lab[posterior] = Tissue.BONE_CORTICAL
        lab[np.broadcast_to(canal, shape)] = Tissue.CSF
