'use strict';
// Apps Script quotas: 6 minutes per execution, 90 minutes of trigger time per day (consumer accounts).
const test = require('node:test');
const assert = require('node:assert/strict');
const { newWorld, load } = require('./fake_gas.js');

test('newGuard_: a step starts only if its reserve fits in the budget, never past 5 of the 6 minutes', () => {
  const world = newWorld();
  const gas = load(world);
  const g = gas.newGuard_(world.clock.now, 240_000);
  assert.equal(g.hasTime(70_000), true);
  world.clock.advance(170);
  assert.equal(g.hasTime(70_000), true);
  world.clock.advance(1);
  assert.equal(g.hasTime(70_000), false);
  assert.equal(g.remaining(), 69_000);
  const capped = gas.newGuard_(world.clock.now, 330_000);
  world.clock.advance(299);
  assert.equal(capped.hasTime(0), true);
  world.clock.advance(2);
  assert.equal(capped.hasTime(0), false, 'RUN_BUDGET_SECONDS is capped 60 s below the hard limit');
});

test('a slow RunPod API: the run stops trying GPU types before the 6-minute limit and retries next time', () => {
  const world = newWorld({ props: { SETTLE_SECONDS: '0', RUNPOD_POD_KIND: 'gpu' } });
  world.drive.addFile({ parent: world.hot, name: 'v.mp4' });
  world.runpod.unavailable = new Set(['*']);
  world.runpod.latencyS = 100;
  const gas = load(world);
  const start = world.clock.now;
  const r = gas.onTrigger();
  const elapsed = (world.clock.now - start) / 1000;
  assert.ok(elapsed < 300, `run took ${elapsed} s`);
  assert.equal(r.launched, null);
  assert.match(r.errors.join(), /run time budget reached before trying NVIDIA RTX A5000/);
  assert.equal(world.props.data['launch:retry_at'], undefined, 'not a capacity verdict: the next run tries again');
  world.runpod.unavailable = new Set();
  world.runpod.latencyS = 1;
  world.clock.advance(600);
  assert.ok(gas.onTrigger().launched);
});

test('daily trigger budget: triggered runs stop when today is used up; manual checks still run; a new day resets', () => {
  const world = newWorld({ now: '2026-11-22T23:00:00Z', props: { DAILY_BUDGET_SECONDS: '120' } });
  world.runpod.latencyS = 25; // each idle run: one RunPod list = 25 s
  const gas = load(world);
  const results = [];
  for (let i = 0; i < 4; i++) { results.push(gas.onTrigger()); world.clock.advance(300); }
  assert.deepEqual(results.map((r) => !!r.skipped), [false, false, false, true]);
  assert.match(results[3].skipped, /daily trigger time budget used up/);
  assert.equal(world.props.data['usage:2026-11-22'], String(75_000));
  const manual = gas.checkNow();
  assert.doesNotMatch(manual, /skipped/);
  assert.equal(world.props.data['usage:2026-11-22'], String(75_000), 'manual runs do not count as trigger time');
  world.clock.advance(3600); // past midnight UTC
  assert.equal(gas.onTrigger().skipped, undefined);
  assert.deepEqual(Object.keys(world.props.data).filter((k) => k.startsWith('usage:')), ['usage:2026-11-23']);
});

test('runs per day at the defaults fit the consumer quota (documented in the README)', () => {
  const gas = load(newWorld());
  const cfg = gas.readConfig_({ FOLDER_ID: 'f', RUNPOD_API_KEY: 'k', RUNPOD_IMAGE: 'i', RUNPOD_DRIVE_TOKEN_SECRET: 's' });
  const runsPerDay = (24 * 60) / cfg.triggerMinutes;
  assert.equal(runsPerDay, 144);
  assert.ok(cfg.dailyBudgetMs <= 90 * 60 * 1000, 'the default daily budget stays under 90 minutes');
  assert.equal(Math.floor(cfg.dailyBudgetMs / runsPerDay / 1000), 33, 'an average run may take 33 s');
  assert.ok(gas.dailyBudgetLeft_(cfg.dailyBudgetMs - 60_000, cfg.dailyBudgetMs, cfg.runBudgetMs));
  assert.ok(!gas.dailyBudgetLeft_(cfg.dailyBudgetMs - 59_999, cfg.dailyBudgetMs, cfg.runBudgetMs));
});
