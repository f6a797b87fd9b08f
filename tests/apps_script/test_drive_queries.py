"""Code.gs's Drive queries, read by the project's Drive emulator.

Node runs Code.gs in the fake Apps Script runtime (``apps_script/test/fake_gas.js``) through setup, a few
trigger runs with results arriving in Done and Failed (one by a worker whose clock is behind), and the
status page, and hands back every ``files.list`` it made with the files the fake answered. Each query
must parse in the emulator's independent ``q`` parser (``drive_emulator_http.parse_q``: the subset of
Drive's language the Python backend uses, ``or`` groups and ``modifiedTime`` comparisons included), and
the emulator's matcher, given the same files, must select exactly what the fake did, so the outcome
window (``modifiedTime > …``) and the two-folder ``or`` mean the same in both.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.drive_emulator import DriveEmulator, _File, _normal_time
from tests.support.drive_emulator_http import parse_q

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")

SCRIPT = r"""
const { newWorld, load } = require('./apps_script/test/fake_gas.js');
const world = newWorld({ now: '2026-11-01T08:00:00Z', props: { SETTLE_SECONDS: '0' } });
const done = world.drive.addFolder('Done', world.hot);
const failed = world.drive.addFolder('Failed', world.hot);
const elsewhere = world.drive.addFolder('Elsewhere', 'root');
for (let i = 0; i < 40; i++) {
  world.clock.advance(3600);
  world.drive.addFile({ parent: i % 4 ? done : failed, name: `old-${i}.mp4`, properties: { hf_state: i % 4 ? 'done' : 'failed' } });
}
world.drive.addFile({ parent: done, name: 'trashed.mp4', trashed: true, properties: { hf_state: 'done' } });
const snapshot = () => [...world.drive.files.values()].map((f) => ({ id: f.id, name: f.name, mimeType: f.mimeType, parents: f.parents, trashed: f.trashed, modifiedTime: f.modifiedTime || '2020-01-01T00:00:00.000Z' }));
const list = world.drive.list.bind(world.drive);
world.drive.list = (args) => { const files = snapshot(); const out = list(args); world.drive.calls.at(-1).files = files; return out; };
const gas = load(world);
gas.setup();
const finish = (name, parent, modifiedTime) => {
  const id = world.drive.addFile({ parent: world.hot, name });
  world.drive.update(id, { parent, modifiedTime, properties: { hf_state: parent === failed ? 'failed' : 'done' } });
};
for (let run = 0; run < 4; run++) {
  world.clock.advance(300);
  finish(`new-${run}.mp4`, run % 2 ? failed : done);
  finish(`elsewhere-${run}.mp4`, elsewhere);
  if (run === 2) finish('skewed.mp4', done, new Date(world.clock.now - 4 * 60000).toISOString());
  world.clock.advance(300);
  gas.onTrigger();
}
gas.doGet({});
const lists = world.drive.calls.filter((c) => c.op === 'list').map((c) => ({ q: c.args.q, orderBy: c.args.orderBy || null, pageSize: c.args.pageSize, matched: c.matched, files: c.files }));
process.stdout.write(JSON.stringify({ lists, mails: world.mail.sent.map((m) => m.subject) }));
"""


@pytest.fixture(scope="module")
def run() -> dict:
    if NODE is None:
        pytest.skip("node is not installed")
    out = subprocess.run([NODE, "-e", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _emulator_files(files: list[dict]) -> list[_File]:
    return [_File(f["id"], f["name"], f["mimeType"], list(f["parents"]), trashed=f["trashed"],
                  modified=_normal_time(f["modifiedTime"])) for f in files]


def test_every_query_parses_and_selects_what_the_fake_selected(run):
    emu = DriveEmulator()  # not started: only its matcher is used
    windowed = 0
    try:
        for call in run["lists"]:
            files = _emulator_files(call["files"])  # Drive as it was when the query ran
            clauses = parse_q(call["q"])  # raises on anything outside the emulator's Drive subset
            selected = {f.id for f in files if emu._matches(f, clauses)}
            assert selected == set(call["matched"]), call["q"]
            windowed += "modifiedTime >" in call["q"]
    finally:
        emu.stop()
    assert windowed == 5  # the baseline and one per trigger run


def test_outcome_queries_cover_both_folders_and_only_recent_files(run):
    outcome = [c for c in run["lists"] if "modifiedTime >" in c["q"]]
    assert all(" in parents or " in c["q"] and c["q"].startswith("(") for c in outcome)
    assert max(len(c["matched"]) for c in outcome) <= 4  # never the 40 older results
    page = [c for c in run["lists"] if c["orderBy"]]
    assert [c["orderBy"] for c in page] == ["modifiedTime desc"] and page[0]["pageSize"] <= 100
    by_id = {f["id"]: f for f in page[0]["files"]}
    times = [_normal_time(by_id[i]["modifiedTime"]) for i in page[0]["matched"]]
    assert times == sorted(times, reverse=True)
    assert sorted(run["mails"]) == sorted(
        ["Hot folder: report ready for new-0.mp4", "Hot folder: new-1.mp4 failed", "Hot folder: report ready for new-2.mp4",
         "Hot folder: new-3.mp4 failed", "Hot folder: report ready for skewed.mp4"])
