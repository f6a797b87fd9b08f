'use strict';
// Launching RunPod pods: one at a time, the pod env contract, GPU fallback, locks, API errors. These run
// with GPU pods (RUNPOD_POD_KIND = gpu); the pod kinds, CPU pods and the other pod settings: pods.test.js.
const test = require('node:test');
const assert = require('node:assert/strict');
const { newWorld, load, podSettings, parseGqlValue } = require('./fake_gas.js');

const plain = (x) => JSON.parse(JSON.stringify(x));

function withVideos(n, props = {}) {
  const world = newWorld({ props: { SETTLE_SECONDS: '0', RUNPOD_POD_KIND: 'gpu', ...props } });
  for (let i = 0; i < n; i++) world.drive.addFile({ parent: world.hot, name: `v${i}.mp4` });
  return world;
}

test('one launch only: repeated runs with a backlog start a single pod', () => {
  const world = withVideos(5);
  const gas = load(world);
  const first = gas.onTrigger();
  assert.equal(first.launched.gpu, 'NVIDIA GeForce RTX 4090');
  const ids = [...world.drive.files.values()].filter((f) => f.mimeType === 'video/mp4').map((f) => f.id);
  for (let i = 0; i < 4; i++) {
    world.clock.advance(600);
    // The worker works through the backlog: its claim (and lease renewal) is its heartbeat.
    const lease = new Date(world.clock.now + 300_000).toISOString();
    world.drive.update(ids[i], { properties: { hf_state: 'claimed', hf_worker: first.launched.id, hf_lease_until: lease } });
    const r = gas.onTrigger();
    assert.equal(r.launched, null);
    assert.match(r.decision, /a worker is alive/);
  }
  assert.equal(world.runpod.pods.length, 1);
  assert.equal(world.runpod.requests.filter((q) => /podFindAndDeployOnDemand/.test(q.query || '')).length, 1);
});

test('the pod gets the image, the name prefix and the worker env contract', () => {
  const world = withVideos(1, {
    NAME_PREFIX: 'acme-hf',
    RUNPOD_CLOUD_TYPE: 'secure',
    RUNPOD_CONTAINER_DISK_GB: '40',
    MAX_LIFETIME_SECONDS: '7200',
    HOTFOLDER_ANALYSIS__STANDARD: 'iso11226',
    HOTFOLDER_WORKER__IDLE_GRACE: '90',
    HOTFOLDER_RUNPOD__API_KEY: 'must-not-travel',
  });
  const gas = load(world);
  gas.onTrigger();
  const [pod] = world.runpod.pods;
  assert.match(pod.name, /^acme-hf-261122080000-[0-9a-f]{6}$/, 'named like pod_launcher names its pods');
  assert.equal(pod.imageName, 'ghcr.io/acme/hotfolder:1.0');
  assert.deepEqual(pod.input.cloudType, { enum: 'SECURE' });
  assert.equal(pod.input.containerDiskInGb, 40);
  assert.equal(pod.input.gpuCount, 1);
  assert.deepEqual(Object.keys(pod.env).sort(), ['HOTFOLDER_DRIVE_TOKEN_B64', 'HOTFOLDER_POD_ENV_B64']);
  assert.equal(pod.env.HOTFOLDER_DRIVE_TOKEN_B64, '{{ RUNPOD_SECRET_hotfolder_drive_token }}');
  const s = podSettings(pod);
  assert.equal(s.HOTFOLDER_STORAGE__BACKEND, 'drive');
  assert.equal(s.HOTFOLDER_DRIVE__FOLDER_ID, world.hot);
  assert.equal(s.HOTFOLDER_LAUNCHER__MAX_LIFETIME, '7200');
  assert.equal(s.HOTFOLDER_LAUNCHER__NAME_PREFIX, 'acme-hf');
  assert.equal(s.HOTFOLDER_ANALYSIS__STANDARD, 'iso11226');
  assert.equal(s.HOTFOLDER_WORKER__IDLE_GRACE, '90');
  for (const v of Object.values(s)) assert.equal(typeof v, 'string');
  assert.ok(!JSON.stringify(s).includes('must-not-travel'), 'only analysis/worker settings pass through');
  // The API key goes in the Authorization header, never in the URL or the query text.
  for (const req of world.runpod.requests) {
    assert.equal(req.headers.Authorization, 'Bearer rpa_TESTKEY_0123456789');
    assert.ok(!req.url.includes('TESTKEY') && !req.payload.includes('TESTKEY'));
  }
});

test('values with quotes, braces, backslashes and newlines reach the pod intact', () => {
  const nasty = 'a "quoted" {brace} \\ back\nslash } ) ; ünïcødé';
  const world = withVideos(1, { HOTFOLDER_ANALYSIS__SMPLX_MODEL: nasty, RUNPOD_IMAGE: 'img:"tag"\n' });
  const gas = load(world);
  gas.onTrigger();
  const [pod] = world.runpod.pods;
  assert.equal(podSettings(pod).HOTFOLDER_ANALYSIS__SMPLX_MODEL, nasty);
  assert.equal(pod.imageName, 'img:"tag"');
  assert.deepEqual(parseGqlValue(gas.gqlValue_({ s: nasty, n: [1, null, true] }), 0), { s: nasty, n: [1, null, true] });
});

test('GPU fallback: unavailable types are skipped in priority order', () => {
  const world = withVideos(1);
  world.runpod.unavailable = new Set(['NVIDIA GeForce RTX 4090', 'NVIDIA RTX A5000']);
  const gas = load(world);
  const r = gas.onTrigger();
  assert.equal(r.launched.gpu, 'NVIDIA L4');
  assert.deepEqual(plain(r.launched.tried), ['NVIDIA GeForce RTX 4090', 'NVIDIA RTX A5000', 'NVIDIA L4']);
  assert.equal(world.runpod.pods.length, 1);
  assert.equal(world.runpod.pods[0].input.gpuTypeId, 'NVIDIA L4');
});

test('no capacity anywhere: no pod, a clear message, and a retry only after RUNPOD_RETRY_AFTER_SECONDS', () => {
  const world = withVideos(1, { RUNPOD_RETRY_AFTER_SECONDS: '900', TRIGGER_MINUTES: '5' });
  world.runpod.unavailable = new Set(['*']);
  const gas = load(world);
  let r = gas.onTrigger();
  assert.equal(r.launched, null);
  assert.match(r.errors.join(), /no instances available for NVIDIA GeForce RTX 4090, NVIDIA RTX A5000, NVIDIA L4, NVIDIA RTX A4000/);
  assert.ok(world.logs.some((l) => /^warn: no instances available/.test(l)));
  world.runpod.unavailable = new Set();
  world.clock.advance(300);
  r = gas.onTrigger();
  assert.match(r.decision, /no GPU capacity; retrying after/);
  assert.equal(world.runpod.pods.length, 0);
  world.clock.advance(600);
  r = gas.onTrigger();
  assert.ok(r.launched);
});

test('a non-capacity error stops the fallback and is reported', () => {
  const world = withVideos(1);
  const gas = load(world);
  world.runpod.faults.push({ status: 200, body: JSON.stringify({ data: { myself: { pods: [] } } }) });
  world.runpod.faults.push({ status: 200, body: JSON.stringify({ errors: [{ message: 'Image not found' }] }) });
  const r = gas.onTrigger();
  assert.equal(r.launched, null);
  assert.deepEqual(plain(r.errors), ['launch: Image not found']);
  const ops = world.runpod.requests.map((q) => (/podFindAndDeployOnDemand/.test(q.payload) ? 'deploy' : 'list'));
  assert.deepEqual(ops, ['list', 'deploy', 'list'], 'no other GPU type tried; the pod is looked up by name');
});

test('no launch while a pod with the prefix is alive (e.g. one the Python watcher started)', () => {
  const world = withVideos(2);
  world.runpod.addPod({ name: 'hotfolder-worker-python-1', ageS: 120 });
  world.runpod.addPod({ name: 'someone-elses-pod', ageS: 120 });
  const gas = load(world);
  let r = gas.onTrigger();
  assert.equal(r.launched, null);
  assert.match(r.decision, /hotfolder-worker-python-1/);
  // Other pods in the account are neither counted nor touched; an exited one does not count.
  world.runpod.pods[0].desiredStatus = 'EXITED';
  world.clock.advance(600);
  r = gas.onTrigger();
  assert.ok(r.launched);
  assert.ok(world.runpod.pods.some((p) => p.name === 'someone-elses-pod'));
});

test('a pod RunPod does not list yet still blocks a second launch', () => {
  const world = withVideos(1);
  const gas = load(world);
  const r1 = gas.onTrigger();
  world.runpod.hideFromList.add(r1.launched.id);
  world.clock.advance(300);
  const r2 = gas.onTrigger();
  assert.equal(r2.launched, null);
  assert.match(r2.decision, /launched 300 s ago/);
  assert.equal(world.runpod.pods.length, 1);
});

test('overlapping runs: the one that does not hold the script lock neither launches nor records', () => {
  const world = withVideos(3);
  const first = load(world);
  const second = load(world); // another execution of the same script
  let inner = null;
  world.runpod.onRequest = (req) => {
    if (inner === null && /podFindAndDeployOnDemand/.test(req.payload)) inner = second.onTrigger();
  };
  const outer = first.onTrigger();
  assert.ok(outer.launched);
  assert.equal(inner.skipped, 'another run is in progress');
  assert.equal(world.runpod.pods.length, 1);
  assert.equal(world.lock.holder, null, 'the lock is released afterwards');
});

test('RunPod answering HTML 502 or rejecting the key: a readable error and no secret in any log line', () => {
  const world = withVideos(1);
  const gas = load(world);
  world.runpod.faults.push({ status: 502, body: '<html>Bad gateway</html>' });
  let r = gas.onTrigger();
  assert.match(r.errors.join(), /RunPod API answered HTTP 502 with a non-JSON body/);
  world.props.data.RUNPOD_API_KEY = 'rpa_WRONG_KEY';
  world.clock.advance(600);
  r = gas.onTrigger();
  assert.match(r.errors.join(), /rejected the API key \(HTTP 401\)/);
  const everything = world.logs.join('\n') + JSON.stringify(r) + world.props.data.last_run;
  assert.ok(!everything.includes('TESTKEY') && !everything.includes('WRONG_KEY'));
});

test('an answer lost after RunPod created the pod: the pod is found by its name, recorded, not launched twice', () => {
  const world = withVideos(1);
  const gas = load(world);
  world.runpod.onRequest = (req) => {
    if (/podFindAndDeployOnDemand/.test(req.payload)) {
      world.runpod.onRequest = null;
      const input = parseGqlValue(JSON.parse(req.payload).query, JSON.parse(req.payload).query.indexOf('input:') + 6);
      world.runpod.addPod({ name: input.name });
      world.runpod.faults.push({ status: 0, body: '' });
    }
  };
  // UrlFetchApp throws on a dropped connection even with muteHttpExceptions.
  const realHandle = world.runpod.handle.bind(world.runpod);
  world.runpod.handle = (url, params) => {
    const r = realHandle(url, params);
    if (r.status === 0) throw new Error('Address unavailable: ' + url);
    return r;
  };
  const r = gas.onTrigger();
  assert.equal(r.launched.id, world.runpod.pods[0].id);
  assert.ok(world.logs.some((l) => /but pod pod\d+ \(hotfolder-worker-\S+\) was created/.test(l)));
  world.clock.advance(600);
  assert.equal(gas.onTrigger().launched, null);
  assert.equal(world.runpod.pods.length, 1);
});

test('an expired claim whose attempts are used up still gets a worker (its queue marks it failed)', () => {
  const world = newWorld({ props: { SETTLE_SECONDS: '0', MAX_ATTEMPTS: '2' } });
  world.drive.addFile({ parent: world.hot, properties: { hf_state: 'claimed', hf_attempts: '2', hf_lease_until: '2026-11-22T07:00:00Z' } });
  const r = load(world).onTrigger();
  assert.deepEqual(plain(r.processable), []);
  assert.equal(r.exhausted.length, 1);
  assert.ok(r.launched);
});

test('RunPod down: no launch, but done/failed e-mails still go out and the error is shown', () => {
  const world = withVideos(1);
  const done = world.drive.addFolder('Done', world.hot);
  world.drive.addFile({ parent: done, name: 'x.mp4', properties: { hf_state: 'done', hf_report_id: 'R' } });
  world.runpod.faults.push({ status: 503, body: '<html>down</html>' });
  const r = load(world).onTrigger();
  assert.equal(r.launched, null);
  assert.match(r.errors.join(), /HTTP 503/);
  assert.deepEqual(world.mail.sent.map((m) => m.subject), ['Hot folder: report ready for x.mp4']);
});
