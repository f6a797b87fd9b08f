'use strict';
// Parity with the Python watcher: tests/fixtures/parity_folder.json gives the same selection here as
// drive.settle.select_processable gives in tests/apps_script/test_parity.py.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { newWorld, load } = require('./fake_gas.js');

const FIXTURE = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'tests', 'fixtures', 'parity_folder.json'), 'utf8'));
const plain = (x) => JSON.parse(JSON.stringify(x));

test('selectProcessable_ on the parity fixture: process, exhausted, waiting and observations', () => {
  const gas = load(newWorld());
  const videos = FIXTURE.videos.map((v) => ({
    id: v.id, name: v.name, size: v.size, md5: v.md5, mimeType: v.mime_type, modifiedTime: v.modified_time, properties: v.properties,
  }));
  const now = gas.parseTime_(FIXTURE.now);
  const sel = gas.selectProcessable_(videos, FIXTURE.observations, now, FIXTURE.settle_seconds, FIXTURE.max_attempts);
  assert.deepEqual(plain(sel.process), FIXTURE.expected.process);
  assert.deepEqual(plain(sel.exhausted), FIXTURE.expected.exhausted);
  assert.deepEqual(plain(sel.waiting), FIXTURE.expected.waiting);
  const norm = (obs) => Object.fromEntries(Object.entries(obs).map(([k, o]) => [k, { size: o.size, md5: o.md5, since: gas.parseTime_(o.since) }]));
  assert.deepEqual(norm(plain(sel.observations)), norm(FIXTURE.expected.observations));
});

test('the same fixture through Drive listing and Script Properties: the poll launches for exactly those videos', () => {
  const world = newWorld({ now: FIXTURE.now, props: { SETTLE_SECONDS: String(FIXTURE.settle_seconds), MAX_ATTEMPTS: String(FIXTURE.max_attempts) } });
  for (const v of FIXTURE.videos) {
    world.drive.addFile({ id: v.id, parent: world.hot, name: v.name, size: v.size, md5: v.md5, mimeType: v.mime_type, modifiedTime: v.modified_time, properties: v.properties });
    // Drive omits absent fields; the fake does too when given null.
    if (v.modified_time === null) delete world.drive.files.get(v.id).modifiedTime;
  }
  for (const [id, o] of Object.entries(FIXTURE.observations)) world.props.data[`settle:${id}`] = JSON.stringify(o);
  const r = load(world).onTrigger();
  assert.deepEqual(plain(r.processable), FIXTURE.expected.process);
  assert.deepEqual(plain(r.exhausted), FIXTURE.expected.exhausted);
  assert.deepEqual(plain(r.waiting), FIXTURE.expected.waiting);
  assert.ok(r.launched);
  const kept = Object.keys(world.props.data).filter((k) => k.startsWith('settle:')).map((k) => k.slice(7)).sort();
  assert.deepEqual(kept, Object.keys(FIXTURE.expected.observations).sort());
});

test('isVideo_ agrees with drive_store.is_video on the fixture\'s listing cases', () => {
  const gas = load(newWorld());
  for (const c of FIXTURE.listing.cases) assert.equal(gas.isVideo_(c.name, c.mime_type), c.is_video, `${c.name} (${c.mime_type})`);
});

// The queue helper's multi-step fixture (Drive v3 JSON, observations carried from step to step).
const STEPS = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'tests', 'drive', 'data', 'select_processable_parity.json'), 'utf8'));

test('tests/drive/data/select_processable_parity.json, every step, pure function', () => {
  const gas = load(newWorld());
  let observations = {};
  for (const step of STEPS.steps) {
    const videos = step.files.map((f) => gas.toVideo_(f, null));
    const sel = gas.selectProcessable_(videos, observations, gas.parseTime_(step.now), STEPS.settle_seconds, STEPS.max_attempts);
    assert.deepEqual({ process: plain(sel.process), waiting: plain(sel.waiting), exhausted: plain(sel.exhausted) }, step.expect, step.note);
    observations = sel.observations;
  }
});

test('tests/drive/data/select_processable_parity.json, every step, through Drive and Script Properties', () => {
  const world = newWorld({ now: STEPS.steps[0].now, props: { SETTLE_SECONDS: String(STEPS.settle_seconds), MAX_ATTEMPTS: String(STEPS.max_attempts) } });
  const gas = load(world);
  for (const step of STEPS.steps) {
    world.clock.now = Date.parse(step.now);
    for (const id of [...world.drive.files.keys()]) if (id !== world.hot) world.drive.files.delete(id);
    for (const f of step.files) {
      world.drive.files.set(f.id, { parents: [world.hot], trashed: false, webViewLink: `https://drive.google.com/file/d/${f.id}/view`, ...plain(f) });
    }
    world.runpod.pods = []; // launching is not what this test is about
    const r = gas.onTrigger();
    assert.deepEqual({ process: plain(r.processable), waiting: plain(r.waiting), exhausted: plain(r.exhausted) }, step.expect, step.note);
  }
});
