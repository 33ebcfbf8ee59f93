"""Reader-study protocols: TOML (or JSON) files checked by a JSON Schema, then by meaning."""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema

from inference.errors import StudyProtocolError
from inference.files.names import RULE, name_problem
from inference.io.loader import input_problem
from inference.resources import resource

SHOWS_SYNTHETIC = ("noncontrast+synthetic", "synthetic", "real_or_synthetic")
SHOWS_REAL = ("real", "real_or_synthetic")
SCORE_TYPES = ("confidence", "likert")



@dataclass(frozen=True)
class Question:
    """One question of an arm's form."""

    id: str
    type: str
    text: str
    required: bool = True
    options: tuple[str, ...] = ()
    points: int = 5
    labels: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""


@dataclass(frozen=True)
class Lesion:
    """A reference-standard lesion: where it is and how close a mark must be."""

    position_mm: tuple[float, float, float]
    radius_mm: float = 10.0
    weight: float = 1.0


@dataclass(frozen=True)
class Case:
    """One case: its series (paths resolved), truth and lesions."""

    id: str
    noncontrast: Path
    synthetic: Path | None = None  # None: synthesise when the study is prepared
    real: Path | None = None
    truth: int | None = None
    lesions: tuple[Lesion, ...] = ()


@dataclass(frozen=True)
class Arm:
    """A reading condition: what is shown, how it hangs, and what is asked."""

    id: str
    show: str
    questions: tuple[str, ...]
    label: str = ""
    blinded: bool = False
    layout: str = "1x3"
    preset: str = "abdomen"
    overlay_visible: bool = True
    overlay_toggle: bool = True


@dataclass(frozen=True)
class Check:
    """A consistency rule between two answers of one reading: when ``when`` is given the
    value ``equals``, ``then`` must lie within its bounds; otherwise the reader is warned
    (``warn``) or must explain in the text question ``comment`` (``comment``)."""

    when: str
    equals: object
    then: str
    at_most: float | None
    at_least: float | None
    action: str
    message: str
    comment: str | None = None

    def applies(self, questions: tuple[str, ...]) -> bool:
        """Whether an arm asking ``questions`` asks both answers."""
        return self.when in questions and self.then in questions

    def fails(self, answers: dict) -> bool:
        """Whether these answers contradict each other (an answer not given yet does not)."""
        if answers.get(self.when, _UNSET) != self.equals:
            return False
        value = answers.get(self.then)
        if isinstance(value, dict):
            value = value.get("confidence")
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        return ((self.at_most is not None and value > self.at_most)
                or (self.at_least is not None and value < self.at_least))


_UNSET = object()


@dataclass
class Protocol:
    """A validated protocol plus the hash that every result row carries."""

    name: str
    seed: int
    design: str
    washout_days: int
    idle_seconds: int
    roc_question: str | None
    readers: tuple[str, ...]
    cases: tuple[Case, ...]
    arms: tuple[Arm, ...]
    questions: dict[str, Question]
    raw: dict = field(repr=False, default_factory=dict)
    root: Path = Path(".")
    checks: tuple[Check, ...] = ()
    trust_overrides: dict[str, str] = field(default_factory=dict)  # case id -> reason

    @property
    def hash(self) -> str:
        """SHA-256 of the protocol's canonical JSON (formatting and key order do not count)."""
        return protocol_hash(self.raw)

    def arm(self, arm_id: str) -> Arm:
        """The arm with this id."""
        return next(a for a in self.arms if a.id == arm_id)

    def case(self, case_id: str) -> Case:
        """The case with this id."""
        return next(c for c in self.cases if c.id == case_id)


def protocol_hash(raw: dict) -> str:
    """Hash of a protocol's content."""
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


MAX_PROTOCOL_BYTES = 5_000_000


def _decode(data: bytes, name: str) -> str:
    # Editors on Windows save UTF-16 with a byte-order mark; accept it, refuse other encodings.
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StudyProtocolError([f"{name} is not UTF-8 text (byte {exc.start}): save it as "
                                  "UTF-8"]) from exc


def read_raw(path: str | Path) -> dict:
    """Parse a protocol file (TOML, or JSON) without checking it."""
    path = Path(path)
    name = path.name[:80]
    try:
        if path.stat().st_size > MAX_PROTOCOL_BYTES:
            raise StudyProtocolError([f"{name} is too large for a protocol "
                                      f"(over {MAX_PROTOCOL_BYTES // 1_000_000} MB)"])
        text = _decode(path.read_bytes(), name)
    except OSError as exc:
        raise StudyProtocolError([f"cannot read {name}: {exc.strerror}"]) from exc
    try:
        raw = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise StudyProtocolError([f"{name} is not valid {path.suffix.lstrip('.').upper()}: "
                                  f"{exc}"]) from exc
    except RecursionError as exc:
        raise StudyProtocolError([f"{name} is nested too deeply to be a protocol"]) from exc
    if not isinstance(raw, dict):
        raise StudyProtocolError([f"{name} must hold a table (object) at the top level"])
    return raw


def _schema_problems(raw: dict) -> list[str]:
    schema = json.loads(resource("schemas", "study_protocol.schema.json").read_text())
    problems = []
    for err in sorted(jsonschema.Draft202012Validator(schema).iter_errors(raw),
                      key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(str(p)[:40] for p in err.absolute_path) or "(top level)"
        message = err.message if len(err.message) <= 160 else err.message[:150] + "... (cut)"
        if err.validator == "pattern" and list(err.absolute_path)[-1:] == ["id"]:
            # An id names a folder or a file: say the rule, not the regular expression.
            message = f"{str(err.instance)[:70]!r} cannot be an id: use {RULE}"
        problems.append(f"{where}: {message}")
    return problems


def _meaning_problems(raw: dict, root: Path) -> list[str]:
    """Mistakes the schema cannot see. Long on purpose: one short check per rule, in the
    order a protocol is written, so every rule can be read in one place."""
    problems = []
    questions = {q["id"]: q for q in raw["questions"]}
    case_ids = {c["id"] for c in raw["cases"]}
    problems += [f"trust_overrides: {cid!r} is not a case of this study"
                 for cid in sorted(set(raw.get("trust_overrides", {})) - case_ids)]
    for kind, items in (("reader", raw["readers"]), ("case", raw["cases"]),
                        ("arm", raw["arms"]), ("question", raw["questions"])):
        ids = [i["id"] for i in items]
        for dup in sorted({i for i in ids if ids.count(i) > 1}):
            problems.append(f"{kind} id {dup!r} is used more than once")
        for i in ids:
            if (why := name_problem(i)) is not None:
                problems.append(f"{kind} id {i[:70]!r} cannot be used: {why}")
    for q in raw["questions"]:
        if q["type"] in ("single_choice", "multiple_choice") and len(q.get("options", [])) < 2:
            problems.append(f"question {q['id']!r} ({q['type']}) needs at least two options")
        if q["type"] == "likert":
            points = q.get("points", 5)
            if q.get("labels") and len(q["labels"]) != points:
                problems.append(f"question {q['id']!r}: {len(q['labels'])} labels for a "
                                f"{points}-point scale")
        lo, hi = q.get("minimum"), q.get("maximum")
        if lo is not None and hi is not None and lo >= hi:
            problems.append(f"question {q['id']!r}: minimum must be below maximum")
    for arm in raw["arms"]:
        for qid in arm["questions"]:
            if qid not in questions:
                problems.append(f"arm {arm['id']!r} asks unknown question {qid!r}")
        turing = arm["show"] == "real_or_synthetic"
        asks_turing = any(questions.get(q, {}).get("type") == "real_vs_synthetic"
                          for q in arm["questions"])
        if turing and arm.get("blinded") is False:
            problems.append(f"arm {arm['id']!r} asks real or synthetic but is not blinded: the "
                            "answer would be on screen")
        if turing and not asks_turing:
            problems.append(f"arm {arm['id']!r} shows real or synthetic but asks no "
                            "real_vs_synthetic question")
    shows = {a["show"] for a in raw["arms"]}
    for case in raw["cases"]:
        for key in ("noncontrast", "synthetic", "real"):
            value = case.get(key)
            if not value:
                continue
            if not _exists(root / value):
                problems.append(f"case {case['id']!r}: {key} path {value[:80]!r} does not "
                                "exist or cannot be opened")
            elif (why := input_problem(root / value)) is not None:
                problems.append(f"case {case['id']!r}: {key} path {value[:80]!r} {why}")
        for n, lesion in enumerate(case.get("lesions", []), 1):
            values = [*lesion.get("position_mm", []), lesion.get("radius_mm", 1.0),
                      lesion.get("weight", 1.0)]
            if not all(math.isfinite(v) for v in values):
                problems.append(f"case {case['id']!r}: lesion {n} has a value that is not a "
                                "finite number")
        if shows & set(SHOWS_REAL) and not case.get("real"):
            problems.append(f"case {case['id']!r} has no real contrast scan, but an arm "
                            "shows one")
    problems += _check_problems(raw, questions)
    presets = window_presets()
    for arm in raw["arms"]:
        if "preset" in arm and arm["preset"] not in presets:
            problems.append(f"arm {arm['id']!r}: preset {arm['preset'][:40]!r} is not a window "
                            f"preset (one of {', '.join(presets)})")
    study = raw["study"]
    roc = study.get("roc_question")
    if roc is not None:
        if roc not in questions:
            problems.append(f"study.roc_question {roc!r} is not a question")
        elif questions[roc]["type"] not in SCORE_TYPES:
            problems.append(f"study.roc_question {roc!r} must be a confidence or likert "
                            "question")
        elif questions[roc].get("required", True) is False:
            # One rule for a missing score: there is none. Every ROC reading is scored.
            problems.append(f"study.roc_question {roc!r} must be required: a reading without "
                            "its score could only be guessed at")
        missing = [c["id"] for c in raw["cases"] if "truth" not in c]
        if missing:
            problems.append(f"cases without truth (needed for ROC): {', '.join(missing)}")
    if study.get("design", "independent") == "sequential" and study.get("washout_days", 0):
        problems.append("a sequential design reads all arms of a case together: "
                        "washout_days must be 0")
    return problems


def _check_problems(raw: dict, questions: dict) -> list[str]:
    """Consistency rules must name questions that exist and can be compared."""
    problems = []
    for n, check in enumerate(raw.get("checks", ()), 1):
        when, then = check["when"]["question"], check["then"]["question"]
        for q in (when, then):
            if q not in questions:
                problems.append(f"checks {n}: {q!r} is not a question")
        if then in questions and questions[then]["type"] not in (
                "confidence", "likert", "numeric", "real_vs_synthetic"):
            problems.append(f"checks {n}: {then!r} has no number to bound")
        if "at_most" not in check["then"] and "at_least" not in check["then"]:
            problems.append(f"checks {n}: give at_most or at_least for {then!r}")
        if check.get("action") == "comment":
            comment = check.get("comment")
            if comment not in questions or questions[comment]["type"] != "text":
                problems.append(f"checks {n}: a comment rule needs 'comment' naming a text "
                                "question")
            else:
                arms = [a["id"] for a in raw["arms"]
                        if when in a["questions"] and then in a["questions"]
                        and comment not in a["questions"]]
                if arms:
                    problems.append(f"checks {n}: arm(s) {', '.join(arms)} ask {when!r} and "
                                    f"{then!r} but not the comment {comment!r}")
    return problems


def window_presets() -> list[str]:
    """The window presets an arm may name."""
    data = json.loads(resource("presets", "window_presets.json").read_text())
    return [p["key"] for p in data["presets"]]


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte...
        return False


def load_protocol(path: str | Path) -> Protocol:
    """Read and check a protocol; raises StudyProtocolError listing every problem found."""
    path = Path(path)
    raw = _manifest_cases(read_raw(path), path.parent)
    return parse_protocol(raw, path.parent)


def _manifest_cases(raw: dict, root: Path) -> dict:
    """``cases = "manifest.csv"``: the cases of a manifest (CSV or JSONL, as `batch` reads it
    and `catalog export` writes it), written out into the protocol, so that the study keeps
    them whatever later happens to the file."""
    named = raw.get("cases")
    if not isinstance(named, str):
        return raw
    from inference.batch.manifest import ManifestError, read_manifest

    try:
        specs = read_manifest(root / named)
    except ManifestError as exc:
        raise StudyProtocolError([f"cases: {exc}"]) from exc
    return {**raw, "cases": [{"id": c.case_id, "noncontrast": c.noncontrast,
                              **({"real": c.real} if c.real else {})} for c in specs]}


def parse_protocol(raw: dict, root: Path) -> Protocol:
    """Check an already parsed protocol whose relative paths start at ``root``."""
    problems = _schema_problems(raw)
    if problems:
        raise StudyProtocolError(problems)
    problems = _meaning_problems(raw, root)
    if problems:
        raise StudyProtocolError(problems)
    s = raw["study"]
    questions = {q["id"]: Question(
        q["id"], q["type"], q["text"], q.get("required", True), tuple(q.get("options", ())),
        q.get("points", 5), tuple(q.get("labels", ())), q.get("minimum"), q.get("maximum"),
        q.get("unit", "")) for q in raw["questions"]}
    cases = tuple(Case(
        c["id"], root / c["noncontrast"],
        root / c["synthetic"] if c.get("synthetic") else None,
        root / c["real"] if c.get("real") else None, c.get("truth"),
        tuple(Lesion(tuple(le["position_mm"]), le.get("radius_mm", 10.0),
                     le.get("weight", 1.0)) for le in c.get("lesions", ())))
        for c in raw["cases"])
    arms = tuple(Arm(
        a["id"], a["show"], tuple(a["questions"]), a.get("label", a["id"]),
        a.get("blinded", a["show"] in ("real", "synthetic", "real_or_synthetic")),
        a.get("layout", "1x3"), a.get("preset", "abdomen"), a.get("overlay_visible", True),
        a.get("overlay_toggle", True)) for a in raw["arms"])
    checks = tuple(Check(c["when"]["question"], c["when"]["equals"], c["then"]["question"],
                         c["then"].get("at_most"), c["then"].get("at_least"),
                         c.get("action", "warn"), c["message"], c.get("comment"))
                   for c in raw.get("checks", ()))
    return Protocol(s["name"], s["seed"], s.get("design", "independent"),
                    s.get("washout_days", 0), s.get("idle_seconds", 60), s.get("roc_question"),
                    tuple(r["id"] for r in raw["readers"]), cases, arms, questions, raw, root,
                    checks, dict(raw.get("trust_overrides", {})))
