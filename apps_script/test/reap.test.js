'use strict';
// The second line of defence against billing pods: max lifetime and idle (no lease renewal).
const test = require('node:test');
const assert = require('node:assert/strict');
const { newWorld, load } = require('./fake_gas.js');

const plain = (x) => JSON.parse(JSON.stringify(x));

test('a pod past the maximum lifetime is terminated even while it renews leases', () => {
  const world = newWorld({ props: { MAX_LIFETIME_SECONDS: '3600' } });
  const old = world.runpod.addPod({ name: 'hotfolder-worker-a', ageS: 3601 });
  const young = world.runpod.addPod({ name: 'hotfolder-worker-b', ageS: 600 });
  const lease = new Date(world.clock.now + 200_000).toISOString();
  world.drive.addFile({ parent: world.hot, properties: { hf_state: 'claimed', hf_worker: old.id, hf_lease_until: lease } });
  world.drive.addFile({ parent: world.hot, properties: { hf_state: 'claimed', hf_worker: young.id, hf_lease_until: lease } });
  const gas = load(world);
  const r = gas.onTrigger();
  assert.deepEqual(plain(r.reaped.map((x) => x.id)), [old.id]);
  assert.match(r.reaped[0].reason, /past the maximum lifetime \(60 min\)/);
  assert.deepEqual(world.runpod.terminated.map((p) => p.id), [old.id]);
  assert.deepEqual(world.runpod.pods.map((p) => p.id), [young.id]);
  assert.ok(world.logs.some((l) => l.includes('terminated hotfolder-worker-a')));
});

test('an idle pod (no lease renewed for IDLE_TIMEOUT_SECONDS) is terminated and its video relaunched', () => {
  const world = newWorld({ props: { IDLE_TIMEOUT_SECONDS: '900', LEASE_SECONDS: '300', SETTLE_SECONDS: '0' } });
  const hung = world.runpod.addPod({ name: 'hotfolder-worker-hung', ageS: 3000 });
  // Its last renewal was 1000 s ago (lease_until = renewal + 300 s); the lease has expired.
  const lease = new Date(world.clock.now - 700_000).toISOString();
  const vid = world.drive.addFile({ parent: world.hot, properties: { hf_state: 'claimed', hf_worker: hung.id, hf_lease_until: lease } });
  const gas = load(world);
  const r = gas.onTrigger();
  assert.deepEqual(plain(r.reaped.map((x) => x.id)), [hung.id]);
  assert.match(r.reaped[0].reason, /idle: no lease renewed for 17 min/);
  assert.deepEqual(plain(r.processable), [vid], 'the expired claim is claimable again');
  assert.ok(r.launched, 'reaping happens before the launch decision');
  assert.equal(world.runpod.pods.length, 1);
  assert.notEqual(world.runpod.pods[0].id, hung.id);
});

test('a busy pod and a freshly started one are left alone', () => {
  const world = newWorld({ props: { IDLE_TIMEOUT_SECONDS: '900' } });
  const busy = world.runpod.addPod({ name: 'hotfolder-worker-busy', ageS: 5000 });
  const fresh = world.runpod.addPod({ name: 'hotfolder-worker-fresh', ageS: 100 });
  world.runpod.addPod({ name: 'not-ours', ageS: 999999 });
  const lease = new Date(world.clock.now + 250_000).toISOString();
  world.drive.addFile({ parent: world.hot, properties: { hf_state: 'claimed', hf_worker: busy.id, hf_lease_until: lease } });
  const gas = load(world);
  const r = gas.onTrigger();
  assert.deepEqual(plain(r.reaped), []);
  assert.equal(world.runpod.pods.length, 3);
  assert.ok(fresh);
});

test('podsToReap_ uses our own launch record before RunPod uptime (uptime starts late)', () => {
  const gas = load(newWorld());
  const now = Date.parse('2026-11-22T12:00:00Z');
  const pods = [{ id: 'p1', name: 'x', desiredStatus: 'RUNNING', uptimeSeconds: 10 }];
  const launched = { p1: { at: now - 7200_000 } };
  const r = gas.podsToReap_(pods, launched, {}, now, 3600_000, 99999_000);
  assert.equal(r.length, 1);
  assert.equal(gas.podsToReap_(pods, {}, {}, now, 3600_000, 99999_000).length, 0);
  assert.equal(gas.podsToReap_([{ ...pods[0], desiredStatus: 'EXITED' }], launched, {}, now, 3600_000, 1).length, 0);
});

test('a pod started by the Python watcher is aged by the time in its name when RunPod reports no uptime', () => {
  const world = newWorld({ props: { MAX_LIFETIME_SECONDS: '3600' } });
  const pod = world.runpod.addPod({ name: 'hotfolder-worker-261122055959-a1b2c3', ageS: 0 });
  const gas = load(world);
  assert.equal(gas.startedFromName_(pod.name, 'hotfolder-worker'), Date.parse('2026-11-22T05:59:59Z'));
  assert.equal(gas.startedFromName_('hotfolder-worker-x', 'hotfolder-worker'), null);
  const r = gas.onTrigger();
  assert.deepEqual(plain(r.reaped.map((x) => x.id)), [pod.id]);
  assert.match(r.reaped[0].reason, /past the maximum lifetime \(120 min\)/);
});
