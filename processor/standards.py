"""Posture standards as data: the zone tables in ``processor/standards/*.toml``, loaded and checked.

A profile lists body parts (each one angle column of ``ANGLE_COLUMNS``), and per part the zones that
cover the whole angle axis without gaps or overlaps. Each zone has a level (acceptable / conditional /
unacceptable) and optional time rules: a maximum single hold (constant or interpolated on the hold's
median angle), a movement-frequency rule and a static-posture rule. The per-shift limits and the
citation of the source belong to the profile. No standard is a code branch.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from processor.model import ANGLE_COLUMNS

PROFILE_DIR = Path(__file__).with_name("standards")

LEVELS = ("acceptable", "conditional", "unacceptable")  # in order of severity
LEVEL_RANK = {name: i for i, name in enumerate(LEVELS)}


class StandardError(ValueError):
    """A profile is unknown or malformed; the message names the profile and the problem."""


@dataclass(frozen=True)
class FrequencyRule:
    per_min: float  # threshold: movements into the zone (episodes) per minute of analysed time
    below: str  # level when the frequency is below the threshold
    at_or_above: str


@dataclass(frozen=True)
class Zone:
    key: str
    level: str
    lo: float = -math.inf
    hi: float = math.inf
    lo_closed: bool = False
    hi_closed: bool = True
    # Longest acceptable single hold: [(angle, seconds), ...] interpolated; one point = constant.
    hold_limit: tuple[tuple[float, float], ...] = ()
    over_hold_level: str = "unacceptable"  # what a hold over the limit makes of the part
    frequency: FrequencyRule | None = None
    static_after_s: float | None = None  # a hold longer than this is a static posture...
    static_level: str | None = None  # ...rated at least this

    def contains(self, value: float) -> bool:
        lo_ok = value >= self.lo if self.lo_closed else value > self.lo
        hi_ok = value <= self.hi if self.hi_closed else value < self.hi
        return lo_ok and hi_ok

    def hold_limit_s(self, angle: float) -> float | None:
        """Longest acceptable hold at this angle, or None when the zone sets none."""
        if not self.hold_limit:
            return None
        if len(self.hold_limit) == 1:
            return self.hold_limit[0][1]
        xs = [a for a, _ in self.hold_limit]
        ys = [s for _, s in self.hold_limit]
        if angle <= xs[0]:
            return ys[0]
        if angle >= xs[-1]:
            return ys[-1]
        for (x0, y0), (x1, y1) in zip(self.hold_limit, self.hold_limit[1:]):
            if x0 <= angle <= x1:
                return y0 + (y1 - y0) * (angle - x0) / (x1 - x0)
        return ys[-1]  # unreachable: the points are sorted

    def interval_text(self) -> str:
        """The range as people write it, e.g. '(20, 60]' or '> 60'."""
        if self.lo == -math.inf and self.hi == math.inf:
            return "all"
        if self.lo == -math.inf:
            return f"{'≤' if self.hi_closed else '<'} {self.hi:g}°"
        if self.hi == math.inf:
            return f"{'≥' if self.lo_closed else '>'} {self.lo:g}°"
        return f"{'[' if self.lo_closed else '('}{self.lo:g}, {self.hi:g}{']' if self.hi_closed else ')'}°"


@dataclass(frozen=True)
class BodyPart:
    key: str
    column: str
    zones: tuple[Zone, ...]
    absolute: bool = False  # rate |angle| (side bend, twist: either side)
    note: str = ""
    note_cs: str = ""  # the note in Czech (the report's language)

    def zone_of(self, value: float) -> int | None:
        """Index of the zone holding ``value``; None for NaN (not measured)."""
        if value is None or math.isnan(value):
            return None
        v = abs(value) if self.absolute else value
        for i, zone in enumerate(self.zones):
            if zone.contains(v):
                return i
        raise AssertionError(f"{self.key}: {value} falls in no zone")  # validated at load


@dataclass(frozen=True)
class ShiftLimits:
    reference_hours: float = 8.0
    conditional_max_min: float | None = None  # per reference shift
    unacceptable_max_min: float | None = None  # None: no allowance (any time makes it unacceptable)
    combined_max_share: float | None = None  # conditional + unacceptable, share of the shift


@dataclass(frozen=True)
class Standard:
    name: str
    title: str
    title_cs: str
    source: str
    source_url: str
    parts: tuple[BodyPart, ...]
    shift_limits: ShiftLimits
    not_assessed: tuple[str, ...] = ()
    hold_min_s: float = 0.0  # holds shorter than this are not listed
    path: Path | None = field(default=None, compare=False)
    source_cs: str = ""  # the source in Czech (the report's language)
    not_assessed_cs: tuple[str, ...] = ()

    def part(self, key: str) -> BodyPart:
        for p in self.parts:
            if p.key == key:
                return p
        raise KeyError(key)


def available_standards() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


def load_standard(name: str) -> Standard:
    """Load a profile by name (``iso11226``, ``iso11226-shift``, ``en1005-4``, ``legacy``) or by file path.

    ``nv361`` is not a zone profile: the NV 361/2007 catalogue is evaluated by ``processor.nv361``."""
    path = Path(name)
    if path.suffix != ".toml":
        path = PROFILE_DIR / f"{name}.toml"
    if not path.is_file():
        raise StandardError(
            f"unknown standard {name!r}; choose one of: {', '.join(available_standards())}"
        )
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise StandardError(f"standard {path.name}: not valid TOML: {exc}") from None
    return parse_standard(raw, path)


def parse_standard(raw: dict, path: Path | None = None) -> Standard:
    where = path.name if path else raw.get("name", "<profile>")

    def fail(msg: str) -> StandardError:
        return StandardError(f"standard {where}: {msg}")

    for key in ("name", "title", "source"):
        if not raw.get(key):
            raise fail(f"missing {key!r}")
    sl = raw.get("shift_limits", {})
    unknown = set(sl) - {"reference_hours", "conditional_max_min", "unacceptable_max_min", "combined_max_share"}
    if unknown:
        raise fail(f"unknown shift_limits keys {sorted(unknown)}")
    limits = ShiftLimits(**sl)
    parts = []
    for p in raw.get("parts", []):
        pkey = p.get("key")
        if not pkey:
            raise fail("a part without a key")
        if p.get("column") not in ANGLE_COLUMNS:
            raise fail(f"part {pkey}: column {p.get('column')!r} is not an angle column")
        zones = tuple(_parse_zone(z, f"part {pkey}", fail) for z in p.get("zones", []))
        _check_cover(zones, f"part {pkey}", fail)
        parts.append(BodyPart(key=pkey, column=p["column"], zones=zones,
                              absolute=bool(p.get("absolute", False)), note=p.get("note", ""), note_cs=p.get("note_cs", "")))
    if not parts:
        raise fail("no parts")
    if len({p.key for p in parts}) != len(parts):
        raise fail("duplicate part keys")
    return Standard(
        name=raw["name"], title=raw["title"], title_cs=raw.get("title_cs", raw["title"]),
        source=raw["source"], source_cs=raw.get("source_cs", ""), source_url=raw.get("source_url", ""), parts=tuple(parts),
        shift_limits=limits, not_assessed=tuple(raw.get("not_assessed", ())), not_assessed_cs=tuple(raw.get("not_assessed_cs", ())),
        hold_min_s=float(raw.get("hold_min_s", 0.0)), path=path,
    )


def _parse_zone(z: dict, where: str, fail) -> Zone:
    key = z.get("key")
    known = {"key", "level", "lo", "hi", "lo_closed", "hi_closed", "hold_limit_s", "over_hold_level",
             "frequency", "static_after_s", "static_level"}
    if set(z) - known:
        raise fail(f"{where} zone {key}: unknown keys {sorted(set(z) - known)}")
    for lvl_key in ("level", "over_hold_level", "static_level"):
        if lvl_key in z and z[lvl_key] not in LEVELS:
            raise fail(f"{where} zone {key}: {lvl_key} must be one of {LEVELS}")
    if "level" not in z:
        raise fail(f"{where} zone {key}: missing level")
    hl = z.get("hold_limit_s", ())
    if isinstance(hl, (int, float)):
        hold = ((0.0, float(hl)),)
    else:
        hold = tuple((float(a), float(s)) for a, s in hl)
        if [a for a, _ in hold] != sorted(a for a, _ in hold):
            raise fail(f"{where} zone {key}: hold_limit_s points must be sorted by angle")
    freq = None
    if "frequency" in z:
        f = z["frequency"]
        if f.get("below") not in LEVELS or f.get("at_or_above") not in LEVELS or float(f.get("per_min", 0)) <= 0:
            raise fail(f"{where} zone {key}: frequency needs per_min > 0, below and at_or_above levels")
        freq = FrequencyRule(float(f["per_min"]), f["below"], f["at_or_above"])
    if ("static_after_s" in z) != ("static_level" in z):
        raise fail(f"{where} zone {key}: static_after_s and static_level go together")
    return Zone(
        key=key, level=z["level"],
        lo=float(z.get("lo", -math.inf)), hi=float(z.get("hi", math.inf)),
        lo_closed=bool(z.get("lo_closed", False)), hi_closed=bool(z.get("hi_closed", True)),
        hold_limit=hold, over_hold_level=z.get("over_hold_level", "unacceptable"), frequency=freq,
        static_after_s=z.get("static_after_s"), static_level=z.get("static_level"),
    )


def _check_cover(zones: tuple[Zone, ...], where: str, fail) -> None:
    """Zones, in order, must tile the real line: each boundary closed on exactly one side."""
    if not zones:
        raise fail(f"{where}: no zones")
    if zones[0].lo != -math.inf or zones[-1].hi != math.inf:
        raise fail(f"{where}: zones must start at -inf and end at +inf (omit lo/hi at the ends)")
    for a, b in zip(zones, zones[1:]):
        if a.hi != b.lo:
            raise fail(f"{where}: gap or overlap between zones {a.key} and {b.key}")
        if a.hi_closed == b.lo_closed:
            raise fail(f"{where}: boundary {a.hi:g} between {a.key} and {b.key} must be closed on exactly one side")
    for z in zones:
        if z.lo >= z.hi:
            raise fail(f"{where} zone {z.key}: empty range")
