"""The NV 361/2007 Sb. posture catalogue (příloha č. 5, část C) as data: ``catalogue.csv`` beside this file.

One row per posture the regulation names (52 rows in six body parts). The legal columns (``id``,
``part``, ``class`` N/PP, ``work`` static/dynamic, ``frequency``, ``from_video``, ``text_cs`` verbatim,
``text_en``, ``angle_rule``) come from ``shared/nv361/catalogue.csv``; the last four columns say how
the product measures the row: the ``signal`` (``processor.nv361.signals``), its ``zone``, an optional
``condition`` on the episode and the ``support`` the row needs (``unsupported:trunk`` applies unless the
video is marked trunk-supported, ``supported:trunk`` only when it is).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

CATALOGUE_CSV = Path(__file__).with_name("catalogue.csv")
STANDARD_NAME = "nv361"
TITLE = {"en": "NV 361/2007 Sb., Annex 5 part C — working postures", "cs": "NV č. 361/2007 Sb., příloha č. 5 část C — pracovní polohy"}
SOURCE = {
    "en": "Nařízení vlády č. 361/2007 Sb. (consolidated text from 1 Jan 2024), příloha č. 5, část C (the posture "
          "catalogue) and část D, tabulka č. 8 (work-time correction); vyhláška č. 432/2003 Sb. (categories); "
          "Metodika hodnocení pracovních poloh (SZÚ Praha 2001).",
    "cs": "Nařízení vlády č. 361/2007 Sb. (úplné znění od 1. 1. 2024), příloha č. 5, část C (katalog pracovních "
          "poloh) a část D, tabulka č. 8 (korekce na dobu výkonu práce); vyhláška č. 432/2003 Sb. (kategorie); "
          "Metodika hodnocení pracovních poloh (SZÚ Praha 2001).",
}
SOURCE_URL = "https://www.zakonyprolidi.cz/cs/2007-361"
PARTS = ("trunk", "head_neck", "arm_right", "arm_left", "legs", "other")
SUPPORT_KINDS = ("trunk", "head", "arm")
CONDITIONS = ("", "side_gt20", "high_le40", "low_ge-15")


class CatalogueError(ValueError):
    """The catalogue file is malformed; names the row and the problem."""


@dataclass(frozen=True)
class CatalogueRow:
    id: str
    part: str
    row_class: str  # "N" or "PP"
    work: str  # "static" or "dynamic"
    frequency: str  # ">=2/min", "<2/min" or "" (static rows)
    from_video: str  # "yes", "partly", "no"
    text_cs: str  # the legal text, verbatim
    text_en: str
    angle_rule: str
    signal: str  # "" when the row is not measured from video
    zone: str
    condition: str
    support: str  # "", "unsupported:<kind>" or "supported:<kind>"

    @property
    def measurable(self) -> bool:
        return bool(self.signal)

    @property
    def static(self) -> bool:
        return self.work == "static"

    @property
    def high_frequency(self) -> bool | None:
        return {">=2/min": True, "<2/min": False}.get(self.frequency)

    def text(self, lang: str) -> str:
        return self.text_cs if lang == "cs" else self.text_en

    def applies_with(self, supported: frozenset[str]) -> bool:
        """Whether the row counts for a video whose ``supported`` body parts were marked as supported."""
        if not self.support:
            return True
        mode, kind = self.support.split(":")
        return (kind in supported) == (mode == "supported")


def load_catalogue(path: Path = CATALOGUE_CSV) -> tuple[CatalogueRow, ...]:
    from processor.nv361.signals import SIGNALS

    with path.open(encoding="utf-8", newline="") as fh:
        raw = list(csv.DictReader(fh))
    rows: list[CatalogueRow] = []
    for r in raw:
        row = CatalogueRow(
            id=r["id"], part=r["part"], row_class=r["class"], work=r["work"], frequency=r["frequency"],
            from_video=r["from_video"], text_cs=r["text_cs"], text_en=r["text_en"], angle_rule=r["angle_rule"],
            signal=r["signal"], zone=r["zone"], condition=r["condition"], support=r["support"],
        )  # fmt: skip
        problems = []
        if row.part not in PARTS:
            problems.append(f"part {row.part!r}")
        if row.row_class not in ("N", "PP"):
            problems.append(f"class {row.row_class!r}")
        if row.work not in ("static", "dynamic") or (row.work == "dynamic") != bool(row.frequency):
            problems.append(f"work {row.work!r} with frequency {row.frequency!r}")
        if row.signal and (row.signal not in SIGNALS or row.zone not in SIGNALS[row.signal].zones):
            problems.append(f"signal {row.signal!r} zone {row.zone!r}")
        if row.condition not in CONDITIONS:
            problems.append(f"condition {row.condition!r}")
        if row.support and (row.support.split(":")[0] not in ("supported", "unsupported")
                            or row.support.split(":")[-1] not in SUPPORT_KINDS):
            problems.append(f"support {row.support!r}")
        if problems:
            raise CatalogueError(f"{path.name} row {row.id}: unknown {', '.join(problems)}")
        rows.append(row)
    if len({r.id for r in rows}) != len(rows):
        raise CatalogueError(f"{path.name}: duplicate row ids")
    return tuple(rows)


def parse_supported(text: str | list[str] | tuple[str, ...] | None) -> frozenset[str]:
    """``"trunk, arm"`` (or a list) -> the set of supported body parts; rejects unknown words."""
    if text is None:
        return frozenset()
    words = text.replace(";", ",").split(",") if isinstance(text, str) else list(text)
    out = {w.strip().lower() for w in words if w.strip()}
    aliases = {"trup": "trunk", "hlava": "head", "paže": "arm", "paze": "arm", "arms": "arm", "ruce": "arm"}
    out = {aliases.get(w, w) for w in out}
    unknown = out - set(SUPPORT_KINDS)
    if unknown:
        raise ValueError(f"unknown supported body part(s) {', '.join(sorted(unknown))}; use trunk, head, arm")
    return frozenset(out)


def is_catalogue(standard: str) -> bool:
    """Whether a standard setting names the NV 361 catalogue (every other name is a zone profile)."""
    return standard == STANDARD_NAME


def check_standard(standard: str) -> None:
    """Fail fast on an unknown standard: the catalogue loads, or the zone profile loads.

    Raises ``processor.standards.StandardError`` with the choices, the catalogue among them.
    """
    from processor.standards import StandardError, load_standard

    if is_catalogue(standard):
        try:
            load_catalogue()
        except (CatalogueError, OSError) as exc:
            raise StandardError(f"the NV 361 catalogue cannot be loaded: {exc}") from None
        return
    try:
        load_standard(standard)
    except StandardError as exc:
        raise StandardError(str(exc).replace("choose one of: ", f"choose one of: {STANDARD_NAME}, ")) from None
