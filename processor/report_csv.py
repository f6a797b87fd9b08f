"""The per-frame angle table as CSV (columns = ANGLE_COLUMNS; empty cell = not measured)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from processor.model import ANGLE_COLUMNS


def write_csv(angles: pd.DataFrame, path: Path) -> Path:
    path = Path(path)
    cols = list(ANGLE_COLUMNS)
    table = angles.reindex(columns=cols)
    tmp = path.with_name(path.name + ".part")
    # Dot decimals and commas: the machine-readable form; the Excel sheet is the human one.
    table.to_csv(tmp, index=False, na_rep="", float_format="%.3f", encoding="utf-8")
    tmp.replace(path)
    return path
