"""The person being assessed: one worker followed through the whole video, never a passer-by.

MediaPipe's legacy Pose finds at most one person per frame, and in tracking mode it follows whoever its
region of interest slides onto. When a colleague walks in front of the worker it glides onto them
within two or three frames and stays with them until they leave the picture. On the rendered
passer-by clip it followed the passer-by from 12.5 to 15.2 s (28 frames analysed as the worker), and
the flip test's mirrored instance went along with it, so nothing noticed. This module decides, for
every detection, *whose* it is.

**What identifies a detection** (``Observation``, ``observe``):

- where the torso is in the picture (the centre of mid-shoulder and mid-hip, pixels);
- how big the person is: the image scale in pixels per metre, the least-squares fit of MediaPipe's
  metric world landmarks onto its image landmarks (``processor.anchoring.frame_scales``). Unlike a
  torso or limb length in the picture it does not shrink when the person bends or turns (on the
  rendered clips it changes by ≤ 6 % from one frame to the next through 100° bends and a full turn,
  ≤ 9.5 % on a real video, while the torso's length in the picture changes by a third); it changes
  with the distance to the camera;
- what they wear: colour histograms (12 hues, soft-assigned, plus 4 grey levels for unsaturated
  pixels) of five body regions sampled from the frame along the landmark lines: the torso (a band
  ±8 cm around the mid-hip to mid-shoulder line, inside the torso's silhouette from any side: a
  torso is at least ~20 cm deep and ~30 cm wide), both upper arms (±3.5 cm) and both thighs (±5 cm),
  each over the middle 20–80 % of its length, only where both end landmarks are visible.

**Same person?** (``identity_fit``):

- *a possible move* (``move_ratio`` ≤ 1): the torso centre moves at most ``V_MAX`` × Δt + ``SLACK_M``
  metres, converted to pixels with the person's own scale. ``V_MAX`` = 2.5 m/s is faster than
  walking (1.3–1.8 m/s); work movements move the torso centre slower (a 120°/s bend: ~0.5 m/s).
  ``SLACK_M`` = 0.15 m, half a torso's width: the landmark-defined centre wanders that much within the
  torso as the posture changes. Moving that far toward or away from the camera changes the scale by
  at most a factor 1 + reach / distance, distance = focal length / scale; the focal length is not
  known and is taken as half the picture's longer side (a 90° field of view, wider than phones' main
  cameras' ~70°: it puts the person nearer and so allows *more* change), with the scale's own noise
  (``SIZE_NOISE`` = 10 %) on top. Both allowances grow with the time since the person was last seen.
- *the same look*: per body region the share of colour the two have in common (histogram
  intersection), averaged over the regions seen in both (``agreement``), must be at least one half
  (``SAME_LOOK``): the majority of what is seen of the person has their colours. On the passer-by
  clip the subject scores 0.69–1.0 against their own earlier frames, the passer-by 0.04–0.24. A
  box carried at the chest covers the torso band and leaves arms and thighs.
- but a person's own look changes with the pose: bent over seen from behind, the trousers fill the
  torso's and the arms' places (0.42 on the rendered rear work cycle). So between detections at most
  ``POSE_CHANGE_S`` = 0.5 s apart, a new look at the *same apparent size* (within ``SIZE_NOISE``) is
  the same person in another pose; a new look together with a new distance to the camera, or after a
  gap, is someone else. A passer-by between the camera and the worker is nearer than the worker, so
  MediaPipe sliding onto them changes the scale (by 21 % in one frame on the clip).

Workers in identical clothes at the same distance are told apart only by the physics of motion: a
jump from one to the other is rejected, a drift at walking speed is not.

**Online, per segment** (``IdentityTracker``). Each detection joins the most established track it
fits (the largest presence, below) or opens a new track. When the flip test's two passes disagree
(``processor.flip_average``), the original's detection is the frame's and the mirrored one only a
second chance to find the primary: two passes on one person who is hard to read (legs hidden) can
land apart and must not become two people. The segment's *primary* track is the one with the largest
presence so far: seconds in the picture, each weighted by how central (1 at the picture's centre, 0
at its corners). When the main MediaPipe instance is on someone else, the primary is looked for again
in a crop around its last box (``crop_box``: 1.25 times the box's longer side, MediaPipe's own margin
around a tracked person; static mode, since the tracker's own region of interest cannot be moved):
every frame for ``LOST_S`` = 2 s after it was last seen, then once per ``RETRY_S`` = 1 s, so a long
absence costs at most a tenth more detections. A crop detection of the person the main pass already
has is not a second person.

**After all segments** (``link_tracks``, ``choose_subject``, ``describe``). Tracks are linked into
people across segment boundaries and gaps with the same test (the person's detection just before the
track against its start, its end against the person's next detection, with appearance averaged over
``MODEL_S`` = 5 s; never two tracks that are in the picture at the same time). The subject is the
person with the largest centrality-weighted presence. A frame keeps the subject's detection unless
it is unlike the subject of that time (±``MODEL_S``) in both look and size. Where someone else was
found instead and the segment never looked for the subject (its MediaPipe instance started on the
passer-by), ``processor.pose`` looks for them in a crop from where they were last seen. Frames with
a detection but not of the subject are left empty and reported (``other_person_frames``,
``other_person_s``), with how the subject was chosen (``subject_choice``), on the Method sheet.

Measured (balanced preset): on the passer-by clip every analysed frame is the subject's (160 of
171; 12.5–13.5 s left empty, while the passer-by hides the subject; 13.6–15.2 s found again in a
crop), the same with 4 segments; 14 of 15 single-person clips give bit-identical landmarks with and
without this module. On the bench clip, where the hidden legs make MediaPipe's skeleton change size
by 20 % between frames, all 171 frames are the subject's (before ``_link_fit`` compared neighbouring
frames directly, 2 were left out and reported as someone else's). On the Sports2D demo (a real video) the woman walking
past is no longer analysed as the man on the box; the man himself, lost during a backflip and back
1.2 s later lit differently, is not recognised and left out (0.7 s).

Memory: per detection the landmarks (as before) and a 5 × 16 histogram; no frames are kept.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from processor.anchoring import MIN_VISIBILITY, frame_scales

V_MAX = 2.5  # m/s: the fastest a torso centre moves (faster than walking)
SLACK_M = 0.15  # m: the landmark-defined torso centre wanders this much within the torso
SIZE_NOISE = 0.10  # the image scale's own frame-to-frame noise (≤ 6 % rendered, ≤ 9.5 % on a real video)
SAME_LOOK = 0.5  # the majority of what is seen of a person must have the track's colours
MODEL_S = 5.0  # s: appearance model time constant (slow changes of light are followed)
POSE_CHANGE_S = 0.5  # s: between detections this close, a new look at the same size is a new pose
LOST_S = 2.0  # s: look for the primary in a crop every frame this long after it was last seen
RETRY_S = 1.0  # s: then once per this
CROP_SCALE = 1.25  # the crop around a lost track's last box, times its longer side (MediaPipe's own ROI margin)
HUE_BINS = 12
GREY_BINS = 4
BINS = HUE_BINS + GREY_BINS

_LS, _RS, _LE, _RE, _LH, _RH, _LK, _RK = 11, 12, 13, 14, 23, 24, 25, 26
# (from, to, half-width in metres): landmark pairs ("hips"/"shoulders": their midpoints)
REGIONS = (("hips", "shoulders", 0.08), (_LS, _LE, 0.035), (_RS, _RE, 0.035), (_LH, _LK, 0.05), (_RH, _RK, 0.05))
N_REGIONS = len(REGIONS)
_ALONG = (0.2, 0.8)


@dataclass
class Observation:
    """What identifies one detection: time, torso centre and box (pixels), scale, colours."""

    t: float
    centre: np.ndarray  # (2,) pixels
    scale: float  # pixels per metre
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 pixels (visible landmarks)
    look: np.ndarray  # (N_REGIONS, BINS) each row sums to 1; NaN rows: region not seen


def _point(px: np.ndarray, key) -> np.ndarray:
    if key == "hips":
        return (px[_LH] + px[_RH]) / 2.0
    if key == "shoulders":
        return (px[_LS] + px[_RS]) / 2.0
    return px[key]


def _seen(vis: np.ndarray, key) -> bool:
    idx = {"hips": (_LH, _RH), "shoulders": (_LS, _RS)}.get(key, (key,))
    return bool(all(vis[i] >= MIN_VISIBILITY for i in idx))


def colour_histogram(rgb: np.ndarray) -> np.ndarray:
    """(BINS,) of (n, 3) uint8 RGB pixels: 12 hues (soft) for coloured pixels, 4 grey levels (soft) else.

    A pixel counts as coloured by its saturation and value (ramps 0.1–0.3 and 0.1–0.25): shading
    changes the value, which leaves the hue where it was.
    """
    import cv2

    hsv = cv2.cvtColor(rgb.reshape(-1, 1, 3), cv2.COLOR_RGB2HSV_FULL).reshape(-1, 3).astype(np.float32) / 255.0
    h, s, v = hsv[:, 0], hsv[:, 1], hsv[:, 2]
    chroma = np.clip((s - 0.1) / 0.2, 0.0, 1.0) * np.clip((v - 0.1) / 0.15, 0.0, 1.0)
    x = h * HUE_BINS
    i0 = np.floor(x).astype(np.int64) % HUE_BINS
    f = x - np.floor(x)
    y = np.clip(v * (GREY_BINS - 1), 0.0, GREY_BINS - 1.0)
    j0 = np.minimum(np.floor(y).astype(np.int64), GREY_BINS - 2)
    g = y - j0
    idx = np.concatenate([i0, (i0 + 1) % HUE_BINS, HUE_BINS + j0, HUE_BINS + j0 + 1])
    w = np.concatenate([chroma * (1 - f), chroma * f, (1 - chroma) * (1 - g), (1 - chroma) * g])
    hist = np.bincount(idx, weights=w, minlength=BINS)
    total = hist.sum()
    return hist / total if total > 0 else np.full(BINS, np.nan)


def appearance(frame: np.ndarray, px: np.ndarray, vis: np.ndarray, scale: float) -> np.ndarray:
    """(N_REGIONS, BINS) colour histograms of the body regions of one detection (NaN rows: not seen).

    ``frame``: RGB uint8 (H, W, 3); ``px``: (33, 2) image landmarks in pixels; ``scale``: pixels per metre.
    """
    import cv2

    height, width = frame.shape[:2]
    out = np.full((N_REGIONS, BINS), np.nan, np.float32)
    for r, (a_key, b_key, half_m) in enumerate(REGIONS):
        if not (_seen(vis, a_key) and _seen(vis, b_key)):
            continue
        a, b = _point(px, a_key), _point(px, b_key)
        u = b - a
        length = float(np.hypot(*u))
        half = half_m * scale
        if not (length > 2.0 and half > 0.5):
            continue
        n = np.array([-u[1], u[0]]) / length
        p, q = a + _ALONG[0] * u, a + _ALONG[1] * u
        poly = np.array([p + half * n, q + half * n, q - half * n, p - half * n])
        x0, y0 = np.floor(poly.min(axis=0)).astype(int)
        x1, y1 = np.ceil(poly.max(axis=0)).astype(int) + 1
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillConvexPoly(mask, np.round((poly - [x0, y0]) * 16).astype(np.int32), 1, cv2.LINE_8, shift=4)
        pixels = frame[y0:y1, x0:x1][mask > 0]
        if len(pixels) >= 4:
            out[r] = colour_histogram(pixels)
    return out


def image_scale(world: np.ndarray, px: np.ndarray, vis: np.ndarray) -> float:
    """Pixels per metre: the fit of the world landmarks' x, y onto the image landmarks (weak perspective)."""
    weights = (np.nan_to_num(vis, nan=0.0) >= MIN_VISIBILITY).astype(np.float64)
    if weights.sum() < 4:
        weights[:] = 1.0
    s = float(frame_scales(world[None, :, :2].astype(np.float64), px[None].astype(np.float64), weights[None])[0])
    return s if math.isfinite(s) and s > 0 else float("nan")


def observe(t: float, world: np.ndarray, image: np.ndarray, vis: np.ndarray, frame: np.ndarray | None) -> Observation | None:
    """The identity of one detection (image landmarks normalised 0..1); None if it has no usable scale.

    ``frame`` None: no appearance (all NaN rows), identity from position and size alone.
    """
    height, width = (frame.shape[:2] if frame is not None else (1, 1))
    px = np.asarray(image, np.float64) * [width, height]
    if not np.isfinite(px).all():
        return None
    scale = image_scale(np.asarray(world, np.float64), px, np.asarray(vis, np.float64))
    if not math.isfinite(scale):
        return None
    centre = (_point(px, "hips") + _point(px, "shoulders")) / 2.0
    seen = np.nan_to_num(vis, nan=0.0) >= MIN_VISIBILITY
    pts = px[seen] if seen.sum() >= 4 else px
    box = (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))
    look = appearance(frame, px, vis, scale) if frame is not None else np.full((N_REGIONS, BINS), np.nan, np.float32)
    return Observation(float(t), centre, scale, box, look)


def move_ratio(ref: Observation, obs: Observation, focal_px: float) -> float:
    """How far ``obs`` is from where ``ref``'s person could be by then: ≤ 1 plausible, > 1 not.

    The larger of the position and size ratios to their allowances (module docstring).
    """
    dt = max(0.0, obs.t - ref.t)
    reach = V_MAX * dt + SLACK_M  # metres
    moved = float(np.hypot(*(obs.centre - ref.centre))) / ref.scale
    distance = focal_px / ref.scale  # metres (a wide lens: the person nearer, more size change allowed)
    size_allowed = math.log1p(reach / distance) + math.log1p(SIZE_NOISE)
    size = abs(math.log(obs.scale / ref.scale))
    return max(moved / reach, size / size_allowed)


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over the body regions seen in both of their colour histograms' intersection (NaN: none shared)."""
    both = np.isfinite(a).all(axis=-1) & np.isfinite(b).all(axis=-1)
    if not both.any():
        return float("nan")
    return float(np.minimum(a[both], b[both]).sum(axis=-1).mean())


def same_size(ref: Observation, obs: Observation) -> bool:
    """The apparent size is the same within its own noise (``SIZE_NOISE``)."""
    return abs(math.log(obs.scale / ref.scale)) <= math.log1p(SIZE_NOISE)


def identity_fit(ref: Observation, ref_look: np.ndarray, obs: Observation, focal_px: float) -> tuple[float, float] | None:
    """(appearance agreement, move ratio) if ``obs`` can be the person last seen as ``ref``, else None.

    ``ref_look``: that person's appearance model. The move must be possible (``move_ratio`` ≤ 1) and
    the look must agree, except that a person's own look changes with the pose (bent over seen
    from behind, the trousers fill the torso's place): between detections at most ``POSE_CHANGE_S``
    apart, a new look at the same apparent size is the same person in another pose. A new look
    together with a new distance to the camera, or after a gap, is someone else.
    """
    g = move_ratio(ref, obs, focal_px)
    if not g <= 1.0:
        return None
    a = agreement(ref_look, obs.look)
    if math.isnan(a):
        return SAME_LOOK, g
    if a < SAME_LOOK and not (obs.t - ref.t <= POSE_CHANGE_S + 1e-9 and same_size(ref, obs)):
        return None
    return a, g


def centrality(centre: np.ndarray, width: int, height: int) -> float:
    """1 at the picture's centre, 0 at its corners."""
    d = float(np.hypot(centre[0] - width / 2.0, centre[1] - height / 2.0))
    return max(0.0, 1.0 - d / (0.5 * math.hypot(width, height)))


def focal_of(width: int, height: int) -> float:
    """The assumed focal length in pixels: a 90° field of view along the picture's longer side."""
    return max(width, height) / 2.0


@dataclass
class _Track:
    id: int
    last: Observation
    look: np.ndarray  # (N_REGIONS, BINS) running model, NaN rows: never seen
    seen: np.ndarray  # (N_REGIONS,) frames each region was seen
    score: float = 0.0  # centrality-weighted seconds
    frames: int = 0

    def update(self, obs: Observation, step: float, weight: float) -> None:
        self.last = obs
        self.frames += 1
        self.score += weight * step
        have = np.isfinite(obs.look).all(axis=1)
        for r in np.flatnonzero(have):
            self.seen[r] += 1
            if not np.isfinite(self.look[r]).all():
                self.look[r] = obs.look[r]
            else:
                alpha = max(1.0 / self.seen[r], step / MODEL_S)
                self.look[r] = (1 - alpha) * self.look[r] + alpha * obs.look[r]


@dataclass
class IdentityTracker:
    """Online: assigns each frame's detections to tracks; says when to look for the primary in a crop."""

    width: int
    height: int
    step: float  # seconds between analysed frames
    tracks: list[_Track] = field(default_factory=list)
    primary: _Track | None = None
    _last_attempt: float = -math.inf
    _matched: set = field(default_factory=set)  # track ids found in the current frame

    @property
    def focal(self) -> float:
        return focal_of(self.width, self.height)

    def fits(self, track: _Track, obs: Observation) -> tuple[float, float] | None:
        """(appearance agreement, move ratio) if ``obs`` can be ``track``'s person, else None."""
        return identity_fit(track.last, track.look, obs, self.focal)

    def _active(self, t: float) -> list[_Track]:
        return [tr for tr in self.tracks if t - tr.last.t <= LOST_S or tr is self.primary]

    def assign(self, t: float, observations: list[Observation | None]) -> list[int]:
        """Track id per observation (-1: None, or a second detection of someone already assigned);
        opens new tracks for those that fit nobody."""
        self._matched = set()
        pairs = []
        active = self._active(t)
        for i, obs in enumerate(observations):
            if obs is None:
                continue
            for tr in active:
                fit = self.fits(tr, obs)
                if fit is not None:
                    pairs.append((i, -tr.score, -fit[0], tr.id))
        # in the flip test's order (the original first), each to the most established track it fits
        pairs.sort()
        ids = [-1] * len(observations)
        by_id = {tr.id: tr for tr in active}
        for i, _, _, tid in pairs:
            if ids[i] != -1 or tid in self._matched:
                continue
            ids[i] = tid
            self._matched.add(tid)
        # a detection that fits a person another detection of this frame already is (the flip test's
        # two passes on one bent person can land apart) is that person again, not someone new
        duplicate = {i for i, _, _, _ in pairs if ids[i] == -1}
        for i, obs in enumerate(observations):
            if obs is None or i in duplicate:
                continue
            if ids[i] == -1:
                tr = _Track(len(self.tracks), obs, np.full((N_REGIONS, BINS), np.nan), np.zeros(N_REGIONS, int))
                self.tracks.append(tr)
                by_id[tr.id] = tr
                ids[i] = tr.id
            self._update(by_id[ids[i]], obs)
        return ids

    def _update(self, tr: _Track, obs: Observation) -> None:
        tr.update(obs, self.step, centrality(obs.centre, self.width, self.height))
        self._matched.add(tr.id)
        if self.primary is None or tr.score > self.primary.score:
            self.primary = tr

    def _lost(self) -> _Track | None:
        """The track to look for again: the primary, when this frame did not find it."""
        if self.primary is not None and self.primary.id not in self._matched:
            return self.primary
        return None

    def crop_wanted(self, t: float) -> tuple[float, float, float, float] | None:
        """After ``assign``: the pixel box to look for the primary in, when this frame did not find it.

        Every frame while it was seen within ``LOST_S``, then once per ``RETRY_S``.
        """
        target = self._lost()
        if target is None:
            return None
        if t - target.last.t > LOST_S and t - self._last_attempt < RETRY_S:
            return None
        self._last_attempt = t
        return crop_box(target.last.box, self.width, self.height)

    def recover(self, obs: Observation | None) -> int:
        """A second chance for the primary (a crop's or the mirrored pass's detection): its id if the
        detection is the primary and it was not found yet this frame, else -1 (dropped)."""
        target = self._lost()
        if obs is None or target is None or target.id in self._matched or self.fits(target, obs) is None:
            return -1
        self._update(target, obs)
        return target.id


def crop_box(box, width: int, height: int) -> tuple[float, float, float, float]:
    """A square ``CROP_SCALE`` times the box's longer side around its centre, inside the picture."""
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    side = min(CROP_SCALE * max(x1 - x0, y1 - y0, 8.0), float(max(width, height)))
    half = side / 2.0
    bx0, by0 = max(0.0, cx - half), max(0.0, cy - half)
    bx1, by1 = min(float(width), cx + half), min(float(height), cy + half)
    return bx0, by0, bx1, by1


# ------------------------------------------------------------------------------------------------
# After all segments: link tracks into people, choose the subject, keep the subject's frames.
# ------------------------------------------------------------------------------------------------


@dataclass
class Detections:
    """Every detection of a video (all segments), one row each, in time order."""

    frame: np.ndarray  # (M,) index into the video's analysed frames
    track: np.ndarray  # (M,) track id, unique over the video
    t: np.ndarray  # (M,) seconds
    centre: np.ndarray  # (M, 2) pixels
    scale: np.ndarray  # (M,) pixels per metre
    look: np.ndarray  # (M, N_REGIONS, BINS)
    box: np.ndarray  # (M, 4) x0, y0, x1, y1 pixels

    def obs(self, i: int, look: np.ndarray | None = None) -> Observation:
        """Row ``i`` as an observation (``look``: another appearance instead of its own)."""
        return Observation(float(self.t[i]), self.centre[i], float(self.scale[i]), tuple(self.box[i]),
                           self.look[i] if look is None else look)


@dataclass
class Choice:
    """The subject: per analysed frame their row of ``Detections`` (-1: none), and how they were chosen."""

    row: np.ndarray  # (N,)
    tracks: set[int]  # the subject's track ids
    people: int  # people seen (linked tracks), the subject included
    unlike: int  # the subject's frames dropped as unlike them (``choose_subject``)


def _mean_look(looks: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN regions stay NaN
        return np.nanmean(looks, axis=0) if len(looks) else np.full((N_REGIONS, BINS), np.nan)


def _link_fit(det: Detections, a: int, b: int, look_a: np.ndarray, look_b: np.ndarray, focal: float) -> tuple[float, float] | None:
    """``identity_fit`` of detection ``b`` as the person of detection ``a`` (b later), with the two sides'
    appearance models; where they are at most ``POSE_CHANGE_S`` apart, also with the two detections' own
    looks. A person's look drifts with the pose over ``MODEL_S``: behind a bench that hides the legs,
    a bend changed the subject's apparent size by 21 % in 0.1 s, MediaPipe's tracker opened a new track
    for 0.2 s, and its looks agreed 0.67–0.76 with the neighbouring frames but not with the 5 s models,
    so the subject's own frames were reported as someone else's. Neighbouring frames compared
    directly need no model; a passer-by's frames agree 0.04–0.24 with the subject's."""
    fit = identity_fit(det.obs(a), look_a, det.obs(b, look_b), focal)
    if fit is None and det.t[b] - det.t[a] <= POSE_CHANGE_S + 1e-9:
        fit = identity_fit(det.obs(a), det.look[a], det.obs(b), focal)
    return fit


def link_tracks(det: Detections, width: int, height: int) -> dict[int, int]:
    """Track id -> person id: tracks never in the same frame that pass the identity test where one
    ends and the other starts (``identity_fit``, with appearance models over ``MODEL_S``) are one person."""
    focal = focal_of(width, height)
    rows_of = {int(tid): np.flatnonzero(det.track == tid) for tid in np.unique(det.track)}
    order = sorted(rows_of, key=lambda k: (det.t[rows_of[k][0]], k))
    people: list[np.ndarray] = []  # rows of each person, in time order
    person_of: dict[int, int] = {}

    def model(rows: np.ndarray) -> np.ndarray:
        return _mean_look(det.look[rows])

    for tid in order:
        rows = rows_of[tid]
        t0, t1 = det.t[rows[0]], det.t[rows[-1]]
        head, tail = rows[det.t[rows] <= t0 + MODEL_S], rows[det.t[rows] >= t1 - MODEL_S]
        best = None
        for pid, prow in enumerate(people):
            apart = det.t[prow[0]] > t1 or det.t[prow[-1]] < t0
            if not apart and np.intersect1d(det.frame[prow], det.frame[rows]).size:
                continue  # in the picture together: two people
            before, after = prow[det.t[prow] < t0], prow[det.t[prow] > t1]
            fits = []
            if len(before):  # the person's last detection before the track, against its start
                ref = before[-1]
                near = before[det.t[before] >= det.t[ref] - MODEL_S]
                fits.append(_link_fit(det, ref, rows[0], model(near), model(head), focal))
            if len(after):  # the track's end, against the person's next detection
                ref = after[0]
                near = after[det.t[after] <= det.t[ref] + MODEL_S]
                fits.append(_link_fit(det, rows[-1], ref, model(tail), model(near), focal))
            if not fits or any(f is None for f in fits):
                continue
            key = (-min(f[0] for f in fits), max(f[1] for f in fits))
            if best is None or key < best[0]:
                best = (key, pid)
        if best is None:
            people.append(rows)
            person_of[tid] = len(people) - 1
        else:
            merged = np.concatenate([people[best[1]], rows])
            people[best[1]] = merged[np.argsort(det.t[merged], kind="stable")]
            person_of[tid] = best[1]
    return person_of


def _ranges(times: np.ndarray, step: float, limit: int = 8) -> str:
    """'6.2–7.4 s, 12.0 s' for the frames at ``times`` (runs of consecutive analysed frames)."""
    if len(times) == 0:
        return "none"
    runs: list[list[float]] = [[float(times[0]), float(times[0])]]
    for t in times[1:]:
        if t - runs[-1][1] <= 1.5 * step:
            runs[-1][1] = float(t)
        else:
            runs.append([float(t), float(t)])
    parts = [f"{a:.1f}–{b:.1f} s" if b > a else f"{a:.1f} s" for a, b in runs[:limit]]
    if len(runs) > limit:
        parts.append(f"and {len(runs) - limit} more")
    return ", ".join(parts)


def choose_subject(det: Detections, n_frames: int, width: int, height: int, step: float) -> Choice:
    """The subject (the person present longest, weighted by how central) and their frames."""
    row = np.full(n_frames, -1, np.int64)
    if len(det.frame) == 0:
        return Choice(row, set(), 0, 0)
    person_of = link_tracks(det, width, height)
    person = np.array([person_of[int(k)] for k in det.track])
    weight = np.array([centrality(c, width, height) for c in det.centre]) * step
    subject = int(np.argmax(np.bincount(person, weights=weight)))
    mine = np.flatnonzero(person == subject)  # time order: rows are in frame order

    # keep a frame only where it still is the subject of that time (±MODEL_S): a look and a size
    # unlike theirs is someone else (a look alone may be a pose: ``identity_fit``)
    looks = det.look[mine]
    finite = np.isfinite(looks)
    csum = np.concatenate([np.zeros((1,) + looks.shape[1:]), np.cumsum(np.where(finite, looks, 0.0), axis=0)])
    ccnt = np.concatenate([np.zeros((1,) + looks.shape[1:]), np.cumsum(finite, axis=0)])
    tm = det.t[mine]
    lo = np.searchsorted(tm, tm - MODEL_S, side="left")
    hi = np.searchsorted(tm, tm + MODEL_S, side="right")
    unlike = 0
    for k, r in enumerate(mine):
        cnt = ccnt[hi[k]] - ccnt[lo[k]]
        with np.errstate(invalid="ignore", divide="ignore"):
            model = (csum[hi[k]] - csum[lo[k]]) / cnt
        size = float(np.median(det.scale[mine[lo[k]:hi[k]]]))
        if agreement(model, det.look[r]) < SAME_LOOK and abs(math.log(det.scale[r] / size)) > math.log1p(SIZE_NOISE):
            unlike += 1
            continue
        row[det.frame[r]] = r
    tracks = {int(k) for k in np.unique(det.track[mine])}
    return Choice(row, tracks, len(set(person.tolist())), unlike)


def seed(det: Detections, choice: Choice, frame: int) -> tuple[Observation, np.ndarray] | None:
    """The subject as last seen before analysed frame ``frame`` (else first after): observation and look model."""
    kept = choice.row[choice.row >= 0]
    if len(kept) == 0:
        return None
    frames = det.frame[kept]
    before = kept[frames < frame]
    r = int(before[-1]) if len(before) else int(kept[frames > frame][0])
    near = kept[np.abs(det.t[kept] - det.t[r]) <= MODEL_S]
    return det.obs(r), _mean_look(det.look[near])


def describe(choice: Choice, times: np.ndarray, detected: np.ndarray, step: float) -> dict:
    """The report's rows: how the subject was chosen, and the frames someone else was found instead."""
    n = len(times)
    if not choice.tracks:
        return {"subject_choice": "no person was found", "other_person_frames": 0, "other_person_s": "none"}
    other = detected & (choice.row < 0)
    others = choice.people - 1
    sentence = (
        f"the person in the picture longest, weighted by how central (analysed {float((choice.row >= 0).sum()) * step:.1f} s"
        f" of {n * step:.1f} s"
        + (f"; {others} other {'person' if others == 1 else 'people'} seen, not analysed" if others else "")
        + "); followed by position, size and clothing colour from frame to frame"
    )
    return {
        "subject_choice": sentence,
        "other_person_frames": int(other.sum()),
        "other_person_s": _ranges(times[other], step),
        "subject_unlike_frames": int(choice.unlike),
    }
