'use strict';
// The pod Code.gs asks RunPod for, as pod_launcher/runpod_launcher.py does: CPU or GPU pods with their
// minimums, CUDA versions, secure cloud, data centres/countries, registry auth, interruptible pods, and no
// plain Drive token in a pod env unless RUNPOD_ALLOW_PLAIN_TOKEN_ENV opted in.
const test = require('node:test');
const assert = require('node:assert/strict');
const { newWorld, load, CREATE_OPS } = require('./fake_gas.js');

const plain = (x) => JSON.parse(JSON.stringify(x));
const GPU_MODEL = { HOTFOLDER_ANALYSIS__SMPLX_MODEL: 'drive:1SmplxModelId' };

function withVideo(props = {}) {
  const world = newWorld({ props: { SETTLE_SECONDS: '0', ...props } });
  world.drive.addFile({ parent: world.hot, name: 'station 1.mp4' });
  return world;
}

const creates = (world) => world.runpod.requests.filter((r) => r.op && CREATE_OPS.includes(r.op));

test('defaults: a CPU pod (no body model) of the first instance id, in the secure cloud, nothing else set', () => {
  const world = withVideo();
  const r = load(world).onTrigger();
  assert.deepEqual(plain(r.errors), []);
  assert.equal(r.launched.kind, 'cpu');
  assert.equal(r.launched.gpu, 'cpu5c-8-16');
  assert.equal(r.launched.costPerHr, 0.32);
  const [pod] = world.runpod.pods;
  assert.equal(pod.op, 'deployCpuPod');
  const input = pod.input;
  assert.equal(input.instanceId, 'cpu5c-8-16');
  assert.deepEqual(input.cloudType, { enum: 'SECURE' });
  assert.equal(input.volumeInGb, 0);
  assert.equal(input.startSsh, false);
  assert.equal(input.containerDiskInGb, 30);
  for (const k of ['gpuTypeId', 'gpuCount', 'dataCenterId', 'countryCode', 'containerRegistryAuthId', 'templateId', 'bidPerGpu']) {
    assert.ok(!(k in input), `${k} is not sent`);
  }
  assert.deepEqual(creates(world).map((q) => q.op), ['deployCpuPod']);
  assert.ok(world.logs.some((l) => /launched hotfolder-worker-\S+ \(pod\d+\) on cpu5c-8-16 \(CPU\)/.test(l)));
});

test('CPU instances are tried in order; no capacity anywhere says CPU and retries later', () => {
  const world = withVideo({ TRIGGER_MINUTES: '5' });
  world.runpod.unavailable = new Set(['cpu5c-8-16']);
  const gas = load(world);
  let r = gas.onTrigger();
  assert.deepEqual(plain(r.launched.tried), ['cpu5c-8-16', 'cpu3c-8-16']);
  assert.equal(world.runpod.pods[0].input.instanceId, 'cpu3c-8-16');

  const none = withVideo({ TRIGGER_MINUTES: '5' });
  none.runpod.unavailable = new Set(['*']);
  const g2 = load(none);
  r = g2.onTrigger();
  assert.match(r.errors.join(), /no instances available for cpu5c-8-16, cpu3c-8-16, cpu3g-8-32/);
  none.clock.advance(60);
  assert.match(g2.onTrigger().decision, /no CPU capacity; retrying after/);
});

test('a body model means a GPU pod with the vCPU/memory minimums and the allowed CUDA versions', () => {
  const world = withVideo(GPU_MODEL);
  const r = load(world).onTrigger();
  assert.equal(r.launched.kind, 'gpu');
  const [pod] = world.runpod.pods;
  assert.equal(pod.op, 'podFindAndDeployOnDemand');
  const input = pod.input;
  assert.equal(input.gpuTypeId, 'NVIDIA GeForce RTX 4090');
  assert.equal(input.gpuCount, 1);
  assert.equal(input.minVcpuCount, 8);
  assert.equal(input.minMemoryInGb, 16);
  assert.deepEqual(input.allowedCudaVersions, ['13.0', '13.1', '13.2']);
  assert.deepEqual(input.cloudType, { enum: 'SECURE' });
  assert.equal(input.supportPublicIp, false);
  assert.ok(!('instanceId' in input));

  // Own minimums and CUDA list; an empty CUDA list allows any host (the field is left out).
  const custom = withVideo({ ...GPU_MODEL, RUNPOD_GPU_MIN_VCPUS: '16', RUNPOD_GPU_MIN_MEMORY_GB: '32', RUNPOD_ALLOWED_CUDA_VERSIONS: '13.1' });
  load(custom).onTrigger();
  assert.deepEqual([custom.runpod.pods[0].input.minVcpuCount, custom.runpod.pods[0].input.minMemoryInGb], [16, 32]);
  assert.deepEqual(custom.runpod.pods[0].input.allowedCudaVersions, ['13.1']);
  const anyCuda = withVideo({ ...GPU_MODEL, RUNPOD_ALLOWED_CUDA_VERSIONS: ' ' });
  const cfg = load(anyCuda).readConfig_({ ...anyCuda.props.data, RUNPOD_ALLOWED_CUDA_VERSIONS: '' });
  assert.deepEqual(plain(cfg.allowedCudaVersions), ['13.0', '13.1', '13.2'], 'an empty property means the default');
});

test('RUNPOD_POD_KIND overrides auto both ways', () => {
  const gas = load(newWorld());
  const base = { FOLDER_ID: 'f', RUNPOD_API_KEY: 'k', RUNPOD_IMAGE: 'i', RUNPOD_DRIVE_TOKEN_SECRET: 's' };
  assert.equal(gas.readConfig_(base).podKind, 'cpu');
  assert.equal(gas.readConfig_({ ...base, ...GPU_MODEL }).podKind, 'gpu');
  assert.equal(gas.readConfig_({ ...base, ...GPU_MODEL, RUNPOD_POD_KIND: 'cpu' }).podKind, 'cpu');
  assert.equal(gas.readConfig_({ ...base, RUNPOD_POD_KIND: 'GPU' }).podKind, 'gpu');
  assert.throws(() => gas.readConfig_({ ...base, RUNPOD_POD_KIND: 'tpu' }), /RUNPOD_POD_KIND must be auto, cpu or gpu/);
  // A CPU instance list is only needed for CPU pods, a GPU list only for GPU pods.
  assert.equal(gas.readConfig_({ ...base, RUNPOD_POD_KIND: 'gpu', RUNPOD_CPU_INSTANCE_IDS: 'cpu3c-2-4' }).podKind, 'gpu');
  assert.throws(() => gas.readConfig_({ ...base, ...GPU_MODEL, RUNPOD_GPU_TYPES: ',' }), /RUNPOD_GPU_TYPES lists no GPU type but GPU pods are wanted/);
});

test('CPU instances below the minimums or not instance ids: a configuration error, no pod', () => {
  const world = withVideo({ RUNPOD_CPU_INSTANCE_IDS: 'cpu3c-2-4,bogus' });
  const gas = load(world);
  assert.throws(() => gas.readConfig_(world.props.data), (err) => {
    assert.match(err.message, /cpu3c-2-4 has 2 vCPUs \/ 4 GB, below RUNPOD_CPU_MIN_VCPUS = 8 \/ RUNPOD_CPU_MIN_MEMORY_GB = 16/);
    assert.match(err.message, /"bogus" is not a RunPod CPU instance id/);
    return true;
  });
  assert.throws(() => gas.onTrigger(), /below RUNPOD_CPU_MIN_VCPUS/, 'a run stops at the configuration, as for any property');
  assert.equal(world.runpod.requests.length, 0);
  // Lower minimums accept the small instance.
  const small = withVideo({ RUNPOD_CPU_INSTANCE_IDS: 'cpu3c-2-4', RUNPOD_CPU_MIN_VCPUS: '2', RUNPOD_CPU_MIN_MEMORY_GB: '4' });
  small.runpod.cpuPrices['cpu3c-2-4'] = 0.06;
  assert.equal(load(small).onTrigger().launched.gpu, 'cpu3c-2-4');
});

test('data centres are tried in order for each instance, then countries; never a place not listed', () => {
  const world = withVideo({ RUNPOD_DATA_CENTER_IDS: 'EU-RO-1, EU-SE-1', RUNPOD_COUNTRY_CODES: 'US' });
  world.runpod.unavailable = new Set(['cpu5c-8-16@EU-RO-1']);
  const r = load(world).onTrigger();
  assert.deepEqual(plain(r.launched.tried), ['cpu5c-8-16 in EU-RO-1', 'cpu5c-8-16 in EU-SE-1']);
  assert.equal(r.launched.where, 'EU-SE-1');
  const input = world.runpod.pods[0].input;
  assert.equal(input.dataCenterId, 'EU-SE-1');
  assert.ok(!('countryCode' in input), 'data centres win over countries');

  const cz = withVideo({ RUNPOD_COUNTRY_CODES: 'cz', ...GPU_MODEL });
  load(cz).onTrigger();
  assert.equal(cz.runpod.pods[0].input.countryCode, 'CZ');
  assert.ok(!('dataCenterId' in cz.runpod.pods[0].input));

  const full = withVideo({ RUNPOD_COUNTRY_CODES: 'CZ' });
  full.runpod.unavailable = new Set(['cpu5c-8-16@CZ', 'cpu3c-8-16@CZ', 'cpu3g-8-32@CZ']);
  const none = load(full).onTrigger();
  assert.equal(none.launched, null);
  assert.match(none.errors.join(), /no instances available for cpu5c-8-16 in CZ, cpu3c-8-16 in CZ, cpu3g-8-32 in CZ/);
  assert.ok(creates(full).every((q) => q.input.countryCode === 'CZ'));

  const gas = load(newWorld());
  assert.throws(() => gas.readConfig_({ ...full.props.data, RUNPOD_DATA_CENTER_IDS: 'EU-RO-1") { id } }' }), /RUNPOD_DATA_CENTER_IDS: .* is not a plain id/);
});

test('the cloud type defaults to SECURE; ALL must be asked for', () => {
  const gas = load(newWorld());
  const base = { FOLDER_ID: 'f', RUNPOD_API_KEY: 'k', RUNPOD_IMAGE: 'i', RUNPOD_DRIVE_TOKEN_SECRET: 's' };
  assert.equal(gas.readConfig_(base).cloudType, 'SECURE');
  assert.equal(gas.readConfig_({ ...base, RUNPOD_CLOUD_TYPE: 'all' }).cloudType, 'ALL');
});

test('the registry auth id is set on CPU and GPU pods (a private image pulls); an unknown id is reported', () => {
  const world = withVideo({ RUNPOD_CONTAINER_REGISTRY_AUTH_ID: 'cr_acme_ghcr' });
  world.runpod.registryAuths.add('cr_acme_ghcr');
  load(world).onTrigger();
  assert.equal(world.runpod.pods[0].input.containerRegistryAuthId, 'cr_acme_ghcr');
  const gpu = withVideo({ RUNPOD_CONTAINER_REGISTRY_AUTH_ID: 'cr_acme_ghcr', RUNPOD_POD_KIND: 'gpu' });
  gpu.runpod.registryAuths.add('cr_acme_ghcr');
  load(gpu).onTrigger();
  assert.equal(gpu.runpod.pods[0].input.containerRegistryAuthId, 'cr_acme_ghcr');
  const unknown = withVideo({ RUNPOD_CONTAINER_REGISTRY_AUTH_ID: 'cr_unknown' });
  const r = load(unknown).onTrigger();
  assert.equal(r.launched, null);
  assert.match(r.errors.join(), /container registry auth cr_unknown not found/);
});

test('interruptible GPU pods at RunPod\'s minimum bid, on demand when refused, next type without fallback', () => {
  const spot = { ...GPU_MODEL, RUNPOD_INTERRUPTIBLE: 'true' };
  const world = withVideo(spot);
  const r = load(world).onTrigger();
  const [pod] = world.runpod.pods;
  assert.equal(pod.op, 'podRentInterruptable');
  assert.equal(pod.input.bidPerGpu, 0.35, 'half of the $0.69 on-demand price in the fake');
  assert.equal(r.launched.interruptible, true);
  assert.equal(r.launched.costPerHr, 0.35);
  assert.ok(world.runpod.requests.some((q) => /gpuTypes\(input: \{ id: "NVIDIA GeForce RTX 4090" \}\)/.test(q.query || '')));

  const own = withVideo({ ...spot, RUNPOD_BID_PER_GPU: '0.5' });
  load(own).onTrigger();
  assert.equal(own.runpod.pods[0].input.bidPerGpu, 0.5);
  assert.ok(!own.runpod.requests.some((q) => /gpuTypes/.test(q.query || '')), 'a set bid needs no price query');

  const fallback = withVideo(spot);
  fallback.runpod.spotUnavailable = new Set(['NVIDIA GeForce RTX 4090']);
  const rf = load(fallback).onTrigger();
  assert.deepEqual(creates(fallback).map((q) => q.op), ['podRentInterruptable', 'podFindAndDeployOnDemand']);
  assert.equal(fallback.runpod.pods[0].gpu, 'NVIDIA GeForce RTX 4090');
  assert.ok(!('bidPerGpu' in fallback.runpod.pods[0].input));
  assert.equal(rf.launched.interruptible, false);
  assert.ok(fallback.logs.some((l) => /no interruptible NVIDIA GeForce RTX 4090 .*renting it on demand/.test(l)));

  // A bid below the minimum without fallback: each type's spot market, then no capacity and a retry later.
  const low = withVideo({ ...spot, RUNPOD_BID_PER_GPU: '0.05', RUNPOD_INTERRUPTIBLE_FALLBACK: 'false' });
  const rl = load(low).onTrigger();
  assert.equal(rl.launched, null);
  assert.deepEqual(creates(low).map((q) => q.op), Array(4).fill('podRentInterruptable'));
  assert.match(rl.errors.join(), /no instances available for NVIDIA GeForce RTX 4090, .*NVIDIA RTX A4000; retrying after 300 s/);
  assert.ok(low.props.data['launch:retry_at']);

  // CPU pods are always on demand.
  const cpu = withVideo({ RUNPOD_INTERRUPTIBLE: 'true' });
  load(cpu).onTrigger();
  assert.deepEqual(creates(cpu).map((q) => q.op), ['deployCpuPod']);
  assert.throws(() => load(newWorld()).readConfig_({ ...cpu.props.data, RUNPOD_INTERRUPTIBLE: 'maybe' }), /RUNPOD_INTERRUPTIBLE must be true or false/);
});

test('no plain Drive token in a pod env unless RUNPOD_ALLOW_PLAIN_TOKEN_ENV opted in; a secret reference wins', () => {
  const token = Buffer.from(JSON.stringify({ refresh_token: '1//R-PLAIN', client_id: 'c' })).toString('base64');
  const noSecret = { RUNPOD_DRIVE_TOKEN_SECRET: '' };
  // Neither: the error says both ways.
  const none = withVideo(noSecret);
  assert.throws(() => load(none).onTrigger(), /RUNPOD_DRIVE_TOKEN_SECRET is not set: .*RUNPOD_ALLOW_PLAIN_TOKEN_ENV = true/);
  assert.equal(none.runpod.requests.length, 0);
  // A plain token without the opt-in: refused, no pod.
  const refused = withVideo({ ...noSecret, DRIVE_TOKEN_B64: token });
  assert.throws(() => load(refused).onTrigger(), /refusing to put the Drive credential \(DRIVE_TOKEN_B64\) into the pod env in plain text/);
  assert.equal(refused.runpod.requests.length, 0);
  // ... and buildPodEnv_ refuses it too, whatever config reaches it.
  const g = load(refused);
  const cfg = g.readConfig_({ ...refused.props.data, RUNPOD_ALLOW_PLAIN_TOKEN_ENV: 'true' });
  cfg.allowPlainTokenEnv = false;
  assert.throws(() => g.buildPodEnv_(cfg), /in plain text/);
  // With the opt-in: the base64 token is the pod's HOTFOLDER_DRIVE_TOKEN_B64; the status page shows only "set".
  const optedIn = withVideo({ ...noSecret, DRIVE_TOKEN_B64: token, RUNPOD_ALLOW_PLAIN_TOKEN_ENV: 'true' });
  const gas = load(optedIn);
  const r = gas.onTrigger();
  assert.deepEqual(plain(r.errors), []);
  assert.equal(optedIn.runpod.pods[0].env.HOTFOLDER_DRIVE_TOKEN_B64, token);
  const page = gas.doGet({ parameter: {} }).getContent();
  assert.ok(!page.includes(token) && !page.includes('1//R-PLAIN'));
  assert.match(page, /DRIVE_TOKEN_B64<\/td><td>set/);
  assert.ok(!optedIn.logs.join('\n').includes(token) && !optedIn.props.data.last_run.includes(token));
  // Both set: the secret reference travels, never the plain token.
  const both = withVideo({ DRIVE_TOKEN_B64: token, RUNPOD_ALLOW_PLAIN_TOKEN_ENV: 'true' });
  load(both).onTrigger();
  assert.equal(both.runpod.pods[0].env.HOTFOLDER_DRIVE_TOKEN_B64, '{{ RUNPOD_SECRET_hotfolder_drive_token }}');
  assert.ok(!JSON.stringify(both.runpod.requests).includes(token));
  // Not base64: refused before any pod.
  const bad = withVideo({ ...noSecret, DRIVE_TOKEN_B64: '{"refresh_token": "x"}', RUNPOD_ALLOW_PLAIN_TOKEN_ENV: 'true' });
  assert.throws(() => load(bad).onTrigger(), /DRIVE_TOKEN_B64 must be the base64 of the token file/);
});
