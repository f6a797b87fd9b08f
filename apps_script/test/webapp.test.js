'use strict';
// setup()/uninstall(), the manifest, and the owner-only web app (status + "Check now").
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { newWorld, load } = require('./fake_gas.js');

const KEY = 'rpa_TESTKEY_0123456789';

function busyWorld() {
  const world = newWorld({ props: { SETTLE_SECONDS: '60' } });
  const done = world.drive.addFolder('Done', world.hot);
  const failed = world.drive.addFolder('Failed', world.hot);
  const pod = world.runpod.addPod({ name: 'hotfolder-worker-x', ageS: 1800, costPerHr: 0.5 });
  world.drive.addFile({ parent: world.hot, name: '<img src=x onerror=alert(1)>.mp4' });
  world.drive.addFile({ parent: world.hot, name: 'busy.mp4', properties: { hf_state: 'claimed', hf_worker: pod.id, hf_progress: '42', hf_lease_until: new Date(world.clock.now + 100_000).toISOString() } });
  world.drive.addFile({ parent: done, name: 'finished.mp4', properties: { hf_state: 'done', hf_report_id: 'REP1' } });
  world.drive.addFile({ parent: failed, name: 'broken.mp4', properties: { hf_state: 'failed', hf_error: 'not a decodable video' } });
  return world;
}

test('doGet shows videos, workers and the Check now action; escapes names; exposes no secret', () => {
  const world = busyWorld();
  const gas = load(world);
  const page = gas.doGet({ parameter: {} });
  const html = page.getContent();
  assert.equal(page.title, 'ergo hot folder');
  assert.match(page.meta.viewport, /width=device-width/, 'readable on a phone');
  assert.match(html, /<button id="check"[^>]*>Check now<\/button>/);
  assert.match(html, /google\.script\.run[\s\S]*\.checkNow\(\)/);
  assert.match(html, /busy\.mp4<\/a><\/td><td>processing<\/td><td>42 %/);
  assert.match(html, /<td>settling<\/td>/);
  assert.match(html, /href="https:\/\/drive\.google\.com\/file\/d\/REP1\/view"[^>]*>report</);
  assert.match(html, /not a decodable video/);
  assert.match(html, /hotfolder-worker-x<\/td><td>RUNNING<\/td><td>NVIDIA L4<\/td><td>30 min<\/td><td>\$0\.25/);
  assert.match(html, /RUNPOD_API_KEY<\/td><td>set</);
  assert.ok(!html.includes('<img src=x'), 'file names are escaped');
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;.mp4'));
  assert.ok(!html.includes(KEY));
  const json = gas.doGet({ parameter: { format: 'json' } });
  assert.equal(json.mime, 'application/json');
  const status = JSON.parse(json.getContent());
  assert.equal(status.pods.length, 1);
  assert.equal(status.videos.length, 4);
  assert.ok(!json.getContent().includes(KEY));
});

test('Check now runs one poll through the lock and returns the refreshed status', () => {
  const world = newWorld({ props: { SETTLE_SECONDS: '0' } });
  world.drive.addFile({ parent: world.hot, name: 'new.mp4' });
  const gas = load(world);
  const html = gas.checkNow();
  assert.match(html, /Check finished: launched hotfolder-worker-\S+ on cpu5c-8-16/);
  assert.match(html, /hotfolder-worker-\S+<\/td><td>RUNNING/);
  assert.equal(world.runpod.pods.length, 1);
  world.lock.holder = 999; // a trigger run is in progress
  assert.match(gas.checkNow(), /Check finished: skipped: another run is in progress/);
  assert.equal(gas.doPost, undefined, 'no POST endpoint a cross-site form could reach');
  assert.equal(world.runpod.pods.length, 1);
});

test('with configuration missing the page says what to set instead of failing', () => {
  const world = newWorld();
  delete world.props.data.RUNPOD_IMAGE;
  const html = load(world).doGet({}).getContent();
  assert.match(html, /class="err">hot folder configuration \(Script Properties\): RUNPOD_IMAGE is not set/);
});

test('setup() validates, installs exactly one trigger (idempotent); uninstall() removes it', () => {
  const world = newWorld({ props: { TRIGGER_MINUTES: '5' } });
  const gas = load(world);
  assert.match(gas.setup(), /trigger every 5 min installed/);
  gas.setup();
  assert.equal(world.scriptApp.triggers.length, 1);
  assert.equal(world.scriptApp.triggers[0].handler, 'onTrigger');
  assert.equal(world.scriptApp.triggers[0].minutes, 5);
  assert.equal(typeof gas.onTrigger, 'function');
  assert.equal(gas.uninstall(), 1);
  assert.equal(world.scriptApp.triggers.length, 0);
  world.props.data.FOLDER_ID = world.drive.addFile({ parent: world.hot, name: 'a.mp4' });
  assert.throws(() => gas.setup(), /is not a folder/);
  world.props.data.FOLDER_ID = world.hot;
  world.props.data.RUNPOD_API_KEY = 'wrong';
  assert.throws(() => gas.setup(), /RunPod rejected the API key/);
  assert.equal(world.scriptApp.triggers.length, 0, 'nothing is installed when validation fails');
});

test('the manifest: V8, Drive v3 advanced service, least scopes, owner-only web app', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'appsscript.json'), 'utf8'));
  assert.equal(manifest.runtimeVersion, 'V8');
  assert.deepEqual(manifest.dependencies.enabledAdvancedServices, [{ userSymbol: 'Drive', serviceId: 'drive', version: 'v3' }]);
  assert.deepEqual(manifest.webapp, { executeAs: 'USER_DEPLOYING', access: 'MYSELF' });
  assert.deepEqual(manifest.oauthScopes.map((s) => s.replace('https://www.googleapis.com/auth/', '')).sort(),
    ['drive.readonly', 'script.external_request', 'script.scriptapp', 'script.send_mail', 'userinfo.email']);
  const code = fs.readFileSync(path.join(__dirname, '..', 'Code.gs'), 'utf8');
  assert.doesNotMatch(code, /rpa_[A-Za-z0-9]{8,}/, 'no RunPod key in code');
  assert.doesNotMatch(code, /\?api_key=/, 'the key travels in a header, not the URL');
});

test('the page lists the 30 most recent finished videos from one page of one query and says where the rest are', () => {
  const world = newWorld();
  const done = world.drive.addFolder('Done', world.hot);
  const failed = world.drive.addFolder('Failed', world.hot);
  for (let i = 0; i < 40; i++) {
    world.clock.advance(60);
    const parent = i % 10 === 9 ? failed : done;
    world.drive.addFile({ parent, name: `old-${String(i).padStart(2, '0')}.mp4`, properties: { hf_state: i % 10 === 9 ? 'failed' : 'done', hf_report_id: `R${i}`, hf_error: 'bad' } });
    if (parent === failed) world.drive.addFile({ parent, name: `old-${i} - error.txt`, mimeType: 'text/plain' });
  }
  const gas = load(world);
  world.drive.calls = [];
  const html = gas.doGet({}).getContent();
  assert.match(html, /old-39\.mp4<\/a><\/td><td>failed/);
  assert.match(html, /old-38\.mp4<\/a><\/td><td>done/);
  assert.ok(html.indexOf('old-39.mp4') < html.indexOf('old-38.mp4'), 'newest first, Done and Failed together');
  assert.match(html, /old-10\.mp4/);
  assert.doesNotMatch(html, /old-09\.mp4/);
  assert.doesNotMatch(html, /error\.txt/);
  assert.match(html, /Only the 30 most recent finished videos are shown; older ones are in the Done and Failed folders\./);
  const outcomeLists = world.drive.calls.filter((c) => c.op === 'list' && /modifiedTime|in parents or/.test(c.args.q) && c.args.orderBy);
  assert.equal(outcomeLists.length, 1);
  assert.equal(outcomeLists[0].args.orderBy, 'modifiedTime desc');
  assert.ok(!outcomeLists[0].args.pageToken, 'no paging');
  // With few finished videos nothing is said about older ones.
  const small = newWorld();
  const d2 = small.drive.addFolder('Done', small.hot);
  small.drive.addFile({ parent: d2, name: 'one.mp4', properties: { hf_state: 'done', hf_report_id: 'R' } });
  const page = JSON.parse(load(small).doGet({ parameter: { format: 'json' } }).getContent());
  assert.equal(page.olderInFolders, false);
  assert.deepEqual(page.videos.map((v) => v.name), ['one.mp4']);
});
