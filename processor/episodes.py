"""Posture episodes from a cleaned angle series: zones with hysteresis, blips removed, static or dynamic,
movements per minute. One implementation for every standard (the NV 361 catalogue, ISO 11226, EN 1005-4).

The rules, in order (the numbers are module constants; README "How postures become episodes" and the
report's Method sheet give the same text):

1. **Zones with hysteresis.** The zone borders of a signal (e.g. trunk flexion 40° and 60°) split its
   axis into zones. A frame keeps the zone of the frame before it until the value has gone more than
   ``HYSTERESIS_DEG`` beyond the border (a Schmitt trigger): an angle wobbling ±2° around 60° is one
   posture, not ten. The first frame after a gap takes its zone plainly. A ramp through a border is
   delayed by the same time on the way in and on the way out, so durations are not biased.
2. **Blips are not postures.** A stay in a zone shorter than ``MIN_EPISODE_S`` is not a posture: its
   time is given to its neighbours (first half to the one before, second half to the one after; all
   of it to the only measured neighbour next to a gap or an end of the recording), the shortest stay
   first, until every stay is at least that long. This removes pose-estimation glitches, and it keeps a
   quick movement through a zone (an arm swung up past 40–60° to 90°) from counting as a movement into
   that zone.
3. **Episodes.** An episode is one unbroken stay in a zone; a gap in the measurement (not measured for
   longer than cleaning fills) ends it. Its duration is the time of its frames
   (``frame_durations``).
4. **Static or dynamic.** An episode held longer than ``STATIC_AFTER_S`` (4 s, the definition of a
   static posture in NV 361/2007 and EN 1005-4) is static; the fluctuation allowed within it is the
   zone plus the hysteresis. Otherwise it is dynamic.
5. **Frequency.** For each episode, the movements into its zone per minute are counted in a window of
   ``FREQUENCY_WINDOW_S`` (60 s) starting half a window before the episode's start (moved inside the
   recording at its ends): the episodes of the same zone that start in that window, divided by the
   measured time in the window. A recording shorter than the window is one window. A dynamic episode
   is in the ``>= 2/min`` class when that rate is at least 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HYSTERESIS_DEG = 2.0
MIN_EPISODE_S = 1.0
STATIC_AFTER_S = 4.0
FREQUENCY_WINDOW_S = 60.0
HIGH_FREQUENCY_PER_MIN = 2.0


@dataclass(frozen=True)
class Border:
    """A zone border at ``at``; ``upper_closed``: a value exactly on it belongs to the upper zone."""

    at: float
    upper_closed: bool = False


@dataclass(frozen=True)
class Episode:
    zone: int
    start: int  # frame index, inclusive
    stop: int  # frame index, exclusive
    start_s: float
    duration_s: float
    static: bool
    per_min: float  # movements into the zone per minute around it (rule 5)
    low: float  # the smallest value in the episode
    high: float  # the largest value in the episode

    @property
    def high_frequency(self) -> bool:
        return self.per_min >= HIGH_FREQUENCY_PER_MIN - 1e-9

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


def frame_durations(time_s: np.ndarray) -> np.ndarray:
    """Seconds each frame stands for: until the next frame; the last one gets the median step.

    A step longer than twice the median step (a hole in the decoded video) credits the frame with
    one median step only: nobody is credited with time that was not seen.
    """
    t = np.asarray(time_s, dtype=float)
    if len(t) < 2:
        return np.zeros(len(t))
    steps = np.diff(t)
    med = float(np.median(steps[steps > 0])) if np.any(steps > 0) else 0.0
    dt = np.append(steps, med)
    return np.where((dt > 0) & (dt <= 2 * med + 1e-9), dt, np.where(dt > 2 * med, med, 0.0))


def plain_zone(value: float, borders: tuple[Border, ...]) -> int:
    """Zone index of ``value`` without hysteresis: how many borders it lies above."""
    z = 0
    for b in borders:
        if value > b.at or (b.upper_closed and value == b.at):
            z += 1
    return z


def hysteresis_zones(values: np.ndarray, borders: tuple[Border, ...], h: float = HYSTERESIS_DEG) -> np.ndarray:
    """Per-frame zone index (rule 1); -1 where the value is NaN."""
    v = np.asarray(values, dtype=float)
    out = np.full(len(v), -1, dtype=int)
    cur = -1
    for i, x in enumerate(v):
        if np.isnan(x):
            cur = -1
            continue
        if cur < 0:
            cur = plain_zone(x, borders)
        else:
            up, down = plain_zone(x - h, borders), plain_zone(x + h, borders)
            if up > cur:
                cur = up
            elif down < cur:
                cur = down
        out[i] = cur
    return out


def _runs(zones: np.ndarray) -> list[list[int]]:
    """[zone, start, stop] runs of equal zone; -1 runs included (they are gaps)."""
    out: list[list[int]] = []
    for i, z in enumerate(zones):
        if out and out[-1][0] == z:
            out[-1][2] = i + 1
        else:
            out.append([int(z), i, i + 1])
    return out


def remove_blips(zones: np.ndarray, dt: np.ndarray, min_s: float = MIN_EPISODE_S) -> np.ndarray:
    """Rule 2 on a zone sequence (-1 = not measured); returns a new sequence.

    The shortest stay goes first; its time is split between its measured neighbours (all of it to the
    only one next to a gap or an end); equal neighbours then join. A heap of stays and a linked list of
    runs keep it O(n log n), whatever the length of the recording.
    """
    import heapq

    z = np.asarray(zones, dtype=int).copy()
    if min_s <= 0 or len(z) == 0:
        return z
    cum = np.concatenate([[0.0], np.cumsum(np.asarray(dt, dtype=float))])
    runs = _runs(z)
    n = len(runs)
    zone = [r[0] for r in runs]
    start = [r[1] for r in runs]
    stop = [r[2] for r in runs]
    prev = list(range(-1, n - 1))
    nxt = list(range(1, n + 1))
    nxt[-1] = -1
    alive = [True] * n
    version = [0] * n

    def dur(i: int) -> float:
        return float(cum[stop[i]] - cum[start[i]])

    def measured(i: int) -> bool:
        return i >= 0 and alive[i] and zone[i] >= 0

    heap: list[tuple[float, int, int, int]] = []

    def push(i: int) -> None:
        if measured(i) and dur(i) < min_s - 1e-9:
            version[i] += 1
            heapq.heappush(heap, (dur(i), start[i], i, version[i]))

    for i in range(n):
        push(i)
    while heap:
        _, _, i, ver = heapq.heappop(heap)
        if not alive[i] or ver != version[i] or dur(i) >= min_s - 1e-9:
            continue
        p, q = prev[i], nxt[i]
        left, right = measured(p), measured(q)
        if not left and not right:
            continue  # an isolated measured stretch: nothing to give it to
        if left and right:
            mid = start[i] + (stop[i] - start[i] + 1) // 2
            stop[p], start[q] = mid, mid
        elif left:
            stop[p] = stop[i]
        else:
            start[q] = start[i]
        alive[i] = False
        if p >= 0:
            nxt[p] = q
        if q >= 0:
            prev[q] = p
        if left and right and zone[p] == zone[q]:  # the neighbours join
            stop[p] = stop[q]
            alive[q] = False
            nxt[p] = nxt[q]
            if nxt[q] >= 0:
                prev[nxt[q]] = p
            q = -1
        for j in (p, q):
            push(j)
    out = np.full(len(z), -1, dtype=int)
    for i in range(n):
        if alive[i]:
            out[start[i]:stop[i]] = zone[i]
    return out


def find_episodes(
    time_s: np.ndarray, values: np.ndarray, borders: tuple[Border, ...], *, zones: np.ndarray | None = None,
    h: float = HYSTERESIS_DEG, min_s: float = MIN_EPISODE_S, static_after_s: float = STATIC_AFTER_S,
    window_s: float = FREQUENCY_WINDOW_S,
) -> tuple[list[Episode], np.ndarray]:
    """Episodes of one signal (rules 1–5) and the final per-frame zone sequence (-1 = not measured).

    ``zones`` may be given instead of computing them from ``values`` and ``borders`` (a signal whose
    zones come from more than one angle); ``values`` then only supply the peaks.
    """
    t = np.asarray(time_s, dtype=float)
    v = np.asarray(values, dtype=float)
    dt = frame_durations(t)
    z = hysteresis_zones(v, borders, h) if zones is None else np.asarray(zones, dtype=int)
    z = remove_blips(z, dt, min_s)
    runs = [r for r in _runs(z) if r[0] >= 0]
    measured = z >= 0
    starts = {zone: np.array([t[a] for zz, a, _ in runs if zz == zone]) for zone in {r[0] for r in runs}}
    span = float(dt[measured].sum())
    episodes: list[Episode] = []
    for zone, a, b in runs:
        dur = float(dt[a:b].sum())
        seg = v[a:b]
        seg = seg[~np.isnan(seg)] if len(seg) else seg
        lo, hi = (float(seg.min()), float(seg.max())) if len(seg) else (float("nan"), float("nan"))
        start = float(t[a])
        if t[-1] + dt[-1] - t[0] <= window_s + 1e-6:
            count, minutes = len(starts[zone]), span / 60.0
        else:
            # centred on the episode's start, moved inside the recording at its ends
            w0 = min(max(start - window_s / 2, float(t[0])), float(t[-1] + dt[-1]) - window_s)
            w1 = w0 + window_s
            count = int(((starts[zone] >= w0) & (starts[zone] < w1)).sum())
            minutes = float(dt[measured & (t >= w0) & (t < w1)].sum()) / 60.0
        episodes.append(Episode(
            zone=zone, start=a, stop=b, start_s=start, duration_s=dur, static=dur > static_after_s + 1e-9,
            per_min=count / minutes if minutes > 0 else 0.0, low=lo, high=hi,
        ))  # fmt: skip
    return episodes, z
