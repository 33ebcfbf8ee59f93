"""A trust finding (one check's value against its threshold) and the verdict from them."""

from __future__ import annotations

from dataclasses import dataclass, field

CONSISTENT = "consistent"
REVIEW = "review with care"
REAL_RECOMMENDED = "real contrast recommended"
VERDICTS = (CONSISTENT, REVIEW, REAL_RECOMMENDED)

PASS, WARN, FAIL, NOT_MEASURED = "pass", "warn", "fail", "not measured"


@dataclass(frozen=True)
class Finding:
    """One check: what was measured, against what, and where (a voxel of the synthetic)."""

    check: str  # e.g. "phase", "hu: aorta", "unchanged: fat", "uncertainty", "flicker"
    status: str  # pass / warn / fail / not measured
    value: float | str | None
    threshold: str  # in words, e.g. "200 to 600 HU" or "|change| <= 20 HU"
    unit: str = "HU"
    text: str = ""  # one line a clinician reads
    where: tuple[int, int, int] | None = None  # (k, j, i) in the synthetic's array

    @property
    def flagged(self) -> bool:
        """True for a warning or a failure."""
        return self.status in (WARN, FAIL)

    def as_dict(self) -> dict:
        """Plain JSON values for a report."""
        return {"check": self.check, "status": self.status, "value": self.value,
                "threshold": self.threshold, "unit": self.unit, "text": self.text,
                "where": list(self.where) if self.where is not None else None}

    @classmethod
    def from_dict(cls, d: dict) -> Finding:
        """The inverse of as_dict (a report or a DICOM file read back)."""
        where = d.get("where")
        return cls(d["check"], d["status"], d.get("value"), d.get("threshold", ""),
                   d.get("unit", "HU"), d.get("text", ""),
                   tuple(int(v) for v in where) if where else None)


@dataclass
class TrustReport:
    """Every finding of one synthetic, and the verdict they give."""

    findings: list[Finding] = field(default_factory=list)
    target_phase: str = ""
    seconds: float = 0.0

    @property
    def verdict(self) -> str:
        """Any failure: real contrast recommended; any warning, or the phase unmeasured:
        review with care; else consistent."""
        statuses = {f.status for f in self.findings}
        if FAIL in statuses:
            return REAL_RECOMMENDED
        phase_unmeasured = any(f.check == "phase" and f.status == NOT_MEASURED
                               for f in self.findings)
        if WARN in statuses or phase_unmeasured or not self.findings:
            return REVIEW
        return CONSISTENT

    @property
    def flagged(self) -> list[Finding]:
        """The findings a user must be told of (failures first)."""
        return sorted((f for f in self.findings if f.flagged),
                      key=lambda f: (f.status != FAIL, f.check))

    def lines(self) -> list[str]:
        """One line per flagged check, the verdict last (what the CLI prints)."""
        return [f"trust check {f.check}: {f.text}" for f in self.flagged] + [self.headline()]

    def headline(self) -> str:
        """The one line under a SYNTHETIC banner."""
        n = len(self.flagged)
        tail = f" ({n} check{'s' if n != 1 else ''} flagged)" if n else ""
        return f"Trust verdict: {self.verdict}{tail}"

    def comment(self) -> str:
        """A short text for a DICOM ImageComments (64 characters per value are not a limit
        there: ImageComments is LT, up to 10240 characters)."""
        parts = [f"{f.check} {f.status}" for f in self.flagged]
        return f"Trust verdict: {self.verdict}" + (f" ({'; '.join(parts)})" if parts else "")

    def counts(self) -> dict[str, int]:
        """How many checks ended in each status."""
        out = {PASS: 0, WARN: 0, FAIL: 0, NOT_MEASURED: 0}
        for f in self.findings:
            out[f.status] = out.get(f.status, 0) + 1
        return out

    def as_dict(self) -> dict:
        """What the run report and a batch row hold."""
        return {"verdict": self.verdict, "target_phase": self.target_phase,
                "counts": self.counts(), "findings": [f.as_dict() for f in self.findings],
                "seconds": round(self.seconds, 3)}

    @classmethod
    def from_dict(cls, d: dict | None) -> TrustReport | None:
        """A report's trust section read back (None where it has none)."""
        if not d:
            return None
        return cls([Finding.from_dict(f) for f in d.get("findings", [])],
                   d.get("target_phase", ""), float(d.get("seconds", 0.0)))
