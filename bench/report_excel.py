"""Time and peak memory of the time analysis and the Excel report for long videos.

    PYTHONPATH=. python bench/report_excel.py [MINUTES ...]    (default: 1 10 60, at 10 frames/s)

Each size runs in its own process so the peak RSS is that size's own.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import resource, sys, time
from datetime import datetime, timezone
from pathlib import Path
import numpy as np
from processor.model import AnalysisOptions
from processor.report_data import ReportData
from processor.report_excel import write_excel
from processor.standards import load_standard
from processor.time_analysis import analyse_times
from tests.processor.angle_tables import make_angles

minutes, out = float(sys.argv[1]), Path(sys.argv[2])
df = make_angles(minutes * 60, fps=10, trunk_flexion_deg=lambda t: 35 + 30 * np.sin(t / 5),
                 upper_arm_elevation_right_deg=lambda t: 90 + 80 * np.sin(t / 3))
std = load_standard("iso11226-shift")
t0 = time.perf_counter()
analysis = analyse_times(df, std)
t1 = time.perf_counter()
data = ReportData(Path("bench.mp4"), None, datetime.now(timezone.utc), AnalysisOptions(standard=std.name), std,
                  analysis, df, True)
write_excel(data, out)
t2 = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{minutes:6.0f} min {len(df):7d} frames  analysis {t1 - t0:5.1f} s  excel {t2 - t1:5.1f} s  "
      f"file {out.stat().st_size / 1e6:5.1f} MB  peak RSS {rss:5.0f} MB")
"""


def main(argv: list[str]) -> int:
    sizes = [float(a) for a in argv] or [1.0, 10.0, 60.0]
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in sizes:
            subprocess.run([sys.executable, "-c", CHILD, str(minutes), str(Path(tmp) / "r.xlsx")], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
