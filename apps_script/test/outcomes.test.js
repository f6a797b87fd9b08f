'use strict';
// Outcome detection: what arrived in Done/Failed is found with one windowed query per run (modifiedTime
// after the last look, less a margin), so a run costs the same however many videos the folders hold;
// each result is mailed exactly once; the page shows recent results from one bounded query.
const test = require('node:test');
const assert = require('node:assert/strict');
const { newWorld, load } = require('./fake_gas.js');

const DAY = 86400;

function historyWorld(finished, props = {}) {
  const world = newWorld({ now: '2026-09-01T08:00:00Z', props: { SETTLE_SECONDS: '0', ...props } });
  world.done = world.drive.addFolder('Done', world.hot);
  world.failed = world.drive.addFolder('Failed', world.hot);
  world.mail.quota = 1e6;
  // `finished` results spread over 60 days, the newest a day before the installation.
  for (let i = 0; i < finished; i++) {
    world.clock.advance(60 * DAY / finished);
    world.drive.addFile({ parent: world.done, name: `old-${i}.mp4`, properties: { hf_state: 'done', hf_report_id: `R${i}` } });
  }
  world.clock.advance(DAY);
  return world;
}

/** A worker finishing a video: into Done (or Failed with its error file), modifiedTime set on the move. */
function finish(world, name, { failed = false, modifiedTime } = {}) {
  const id = world.drive.addFile({ parent: world.hot, name });
  world.drive.update(id, {
    parent: failed ? world.failed : world.done, modifiedTime,
    properties: failed ? { hf_state: 'failed', hf_attempts: '3', hf_error: 'not a decodable video' } : { hf_state: 'done', hf_report_id: `REP-${id}` },
  });
  if (failed) world.drive.addFile({ parent: world.failed, name: `${name.replace(/\.[^.]*$/, '')} - error.txt`, mimeType: 'text/plain' });
  return id;
}

/** Runs `fn` and returns the Drive requests it made and the files they returned. */
function measure(world, fn) {
  const from = world.drive.requestCount();
  const result = fn();
  const calls = world.drive.calls.slice(from);
  const outcomes = calls.filter((c) => c.op === 'list' && /modifiedTime|in parents or/.test(c.args.q));
  return {
    result, requests: calls.length, lists: calls.filter((c) => c.op === 'list').length,
    returned: calls.reduce((n, c) => n + (c.returned || 0), 0), outcomesReturned: outcomes.reduce((n, c) => n + c.returned, 0),
  };
}

function subjects(world) { return world.mail.sent.map((m) => m.subject); }

test('with 2,000 finished videos in Done a run costs the same Drive requests as with 2', () => {
  const costs = {};
  for (const n of [2, 2000]) {
    const world = historyWorld(n);
    const gas = load(world);
    const row = [];
    row.push(measure(world, () => gas.setup()));
    for (let run = 0; run < 4; run++) {
      world.clock.advance(600);
      if (run % 2) finish(world, `new-${run}.mp4`, { failed: run === 3 });
      row.push(measure(world, () => gas.onTrigger()));
    }
    row.push(measure(world, () => gas.doGet({})));
    costs[n] = row;
    assert.deepEqual(subjects(world), ['Hot folder: report ready for new-1.mp4', 'Hot folder: new-3.mp4 failed'], `n=${n}`);
    const html = gas.doGet({}).getContent();
    assert.match(html, /new-3\.mp4<\/a><\/td><td>failed[\s\S]*new-1\.mp4<\/a><\/td><td>done/);
    assert.equal(n > 30, /older ones are in the Done and Failed folders/.test(html), `n=${n}`);
  }
  assert.deepEqual(costs[2000].map((c) => c.requests), costs[2].map((c) => c.requests));
  // A steady run: the inbox and one outcome query (folder ids are cached); the page: the same.
  assert.deepEqual(costs[2000].slice(1).map((c) => c.lists), [2, 2, 2, 2, 2]);
  assert.deepEqual(costs[2000].slice(1).map((c) => c.requests), [2, 2, 2, 2, 2]);
  // What the queries return follows what arrived, not the history (the page: one page of its newest).
  assert.deepEqual(costs[2000].slice(0, 5).map((c) => c.returned), costs[2].slice(0, 5).map((c) => c.returned));
  assert.deepEqual(costs[2000].slice(0, 5).map((c) => c.outcomesReturned), [0, 0, 1, 1, 3]);
  assert.equal(costs[2000][5].outcomesReturned, 100);
});

test('the outcome query: both folders, not trashed, modifiedTime after the last look less the margin', () => {
  const world = historyWorld(0, { TRIGGER_MINUTES: '15' });
  const gas = load(world);
  gas.onTrigger();
  const lastLook = world.clock.now;
  world.clock.advance(900);
  const m = measure(world, () => gas.onTrigger());
  assert.equal(m.lists, 2);
  const q = world.drive.calls.at(-1).args.q;
  const margin = 30 * 60 * 1000; // two trigger intervals (15 min), more than the 10-minute floor
  assert.equal(q, `('${world.done}' in parents or '${world.failed}' in parents) and trashed = false and modifiedTime > '${new Date(lastLook - margin).toISOString()}'`);
  assert.equal(world.props.data['outcomes:since'], new Date(world.clock.now).toISOString());
});

test('outcomeWindowStart_: the last look less the margin; at most a week back; never in the future', () => {
  const gas = load(newWorld());
  const now = Date.parse('2026-11-22T08:00:00Z');
  const margin = 600000;
  assert.equal(gas.outcomeWindowStart_(now - 3600000, now, margin), now - 3600000 - margin);
  assert.equal(gas.outcomeWindowStart_(null, now, margin), now - 7 * DAY * 1000 - margin, 'first run: a week back');
  assert.equal(gas.outcomeWindowStart_(now - 30 * DAY * 1000, now, margin), now - 7 * DAY * 1000 - margin, 'after a long pause');
  assert.equal(gas.outcomeWindowStart_(now + 3600000, now, margin), now - margin, 'a last look in the future (clock change)');
});

test('results arriving between runs are each mailed exactly once although the windows overlap', () => {
  const world = historyWorld(5);
  const gas = load(world);
  gas.setup();
  let seed = 7;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const expected = [];
  for (let run = 0; run < 60; run++) {
    const arrivals = Math.floor(rnd() * 3);
    for (let k = 0; k < arrivals; k++) {
      world.clock.advance(Math.floor(rnd() * 200));
      const name = `v${run}-${k}.mp4`;
      const failed = rnd() < 0.3;
      finish(world, name, { failed });
      expected.push(failed ? `Hot folder: ${name} failed` : `Hot folder: report ready for ${name}`);
    }
    world.clock.advance(600 - (world.clock.now % 600) || 600);
    gas.onTrigger();
  }
  assert.ok(expected.length > 30);
  assert.deepEqual(subjects(world).sort(), expected.sort());
});

test('a result whose move time lies before the last look (worker clock behind, search index lag) is not missed', () => {
  const world = historyWorld(3);
  const gas = load(world);
  gas.setup();
  world.clock.advance(600);
  // Moved 30 s before this run, but Drive's search index does not show it yet.
  world.clock.advance(-30);
  const lagging = finish(world, 'lagging.mp4');
  world.drive.unindexed.add(lagging);
  world.clock.advance(30);
  gas.onTrigger();
  const lastLook = world.clock.now;
  assert.deepEqual(subjects(world), []);
  world.drive.unindexed.clear();
  // A worker whose clock is 5 minutes behind moves a video a minute after that look.
  world.clock.advance(60);
  finish(world, 'skewed.mp4', { modifiedTime: new Date(world.clock.now - 5 * 60000).toISOString() });
  assert.ok(Date.parse(world.drive.files.get([...world.drive.files.keys()].at(-1)).modifiedTime) < lastLook);
  world.clock.advance(540);
  gas.onTrigger();
  assert.deepEqual(subjects(world).sort(), ['Hot folder: report ready for lagging.mp4', 'Hot folder: report ready for skewed.mp4']);
  for (let i = 0; i < 5; i++) { world.clock.advance(600); gas.onTrigger(); }
  assert.equal(world.mail.sent.length, 2);
});

test('a result older than the margin before the last look is outside the window (the margin is the overlap)', () => {
  const world = historyWorld(0);
  const gas = load(world);
  gas.onTrigger();
  const lastLook = world.clock.now;
  const margin = 20 * 60000; // two 10-minute trigger intervals
  world.clock.advance(60);
  finish(world, 'inside.mp4', { modifiedTime: new Date(lastLook - margin + 1).toISOString() });
  finish(world, 'outside.mp4', { modifiedTime: new Date(lastLook - margin).toISOString() });
  world.clock.advance(540);
  gas.onTrigger();
  assert.deepEqual(subjects(world), ['Hot folder: report ready for inside.mp4']);
});

test('results that could not be mailed (daily quota) hold the window back and go out the next day', () => {
  const world = historyWorld(0);
  const gas = load(world);
  gas.setup();
  world.clock.advance(600);
  const arrived = world.clock.now;
  finish(world, 'a.mp4');
  world.mail.quota = 0;
  for (let i = 0; i < 30; i++) { world.clock.advance(3600); gas.onTrigger(); }
  assert.equal(world.mail.sent.length, 0);
  assert.equal(world.props.data['outcomes:since'], new Date(arrived).toISOString(), 'the last look stays at the unsent result');
  world.mail.quota = 100;
  world.clock.advance(600);
  finish(world, 'b.mp4');
  world.clock.advance(600);
  gas.onTrigger();
  assert.deepEqual(subjects(world), ['Hot folder: report ready for a.mp4', 'Hot folder: report ready for b.mp4']);
  assert.equal(world.props.data['outcomes:since'], new Date(world.clock.now).toISOString());
  world.clock.advance(600);
  gas.onTrigger();
  assert.equal(world.mail.sent.length, 2);
});

test('setup() on a fresh installation marks only what the next window would show; run again it changes nothing', () => {
  const world = historyWorld(2000);
  const gas = load(world);
  const recent = finish(world, 'just-before.mp4');
  world.clock.advance(60);
  const m = measure(world, () => gas.setup());
  assert.match(m.result, /1 earlier result\(s\) marked as announced \(older ones are never announced\)/);
  assert.equal(m.outcomesReturned, 1, 'the baseline lists only the margin, not the folders');
  assert.ok(world.props.data[`mail:done:${recent}`]);
  world.clock.advance(600);
  gas.onTrigger();
  finish(world, 'between.mp4'); // arrives after a run, before setup() is run again (e.g. a new trigger interval)
  world.clock.advance(60);
  assert.match(gas.setup(), /the watch for results continues where it was/);
  world.clock.advance(600);
  gas.onTrigger();
  assert.deepEqual(subjects(world), ['Hot folder: report ready for between.mp4']);
});

test('upgrading from the full-listing version: the first run looks back a week, mails nothing twice, drops old keys', () => {
  const world = historyWorld(0);
  const ids = [2, 5, 20].map((daysAgo) => {
    const id = finish(world, `${daysAgo}d.mp4`, { modifiedTime: new Date(world.clock.now - daysAgo * DAY * 1000).toISOString() });
    // The old version kept a key for every video still in Done.
    world.props.data[`mail:done:${id}`] = JSON.stringify({ at: new Date(world.clock.now - daysAgo * DAY * 1000 + 60000).toISOString() });
    return id;
  });
  load(world).onTrigger();
  assert.equal(world.mail.sent.length, 0);
  assert.deepEqual(Object.keys(world.props.data).filter((k) => k.startsWith('mail:')).sort(), [`mail:done:${ids[0]}`, `mail:done:${ids[1]}`].sort());
});

test('the dedupe store stays bounded by the keep time while every result is mailed once (20 a day for 20 days)', () => {
  const world = historyWorld(0);
  const gas = load(world);
  gas.setup();
  let n = 0;
  let most = 0;
  for (let day = 0; day < 20; day++) {
    for (let run = 0; run < 12; run++) { // a run every 2 hours, results in between
      for (let k = 0; k < (run % 3 === 0 ? 2 : 1) && n < (day + 1) * 20; k++) { world.clock.advance(300); finish(world, `v${n++}.mp4`); }
      world.clock.advance(7200 - 300 * 2);
      gas.onTrigger();
      most = Math.max(most, Object.keys(world.props.data).filter((k) => k.startsWith('mail:')).length);
    }
  }
  assert.equal(world.mail.sent.length, n);
  assert.equal(new Set(subjects(world)).size, n);
  assert.ok(most <= 9 * 20, `at most about eight days of keys (${most})`);
});
