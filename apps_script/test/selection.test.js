'use strict';
// Which videos the script considers processable: the hf_* state rules and the settle rule.
const test = require('node:test');
const assert = require('node:assert/strict');
const { newWorld, load, FOLDER_MIME } = require('./fake_gas.js');

const plain = (x) => JSON.parse(JSON.stringify(x));
const T0 = Date.parse('2026-11-22T08:00:00Z');
const iso = (ms) => new Date(ms).toISOString();

test('pending detection follows the hf_state rules', () => {
  const world = newWorld({ props: { SETTLE_SECONDS: '0' } });
  const gas = load(world);
  const past = iso(T0 - 1000);
  const future = iso(T0 + 60_000);
  const add = (name, properties) => world.drive.addFile({ parent: world.hot, name, properties });
  const expected = [
    add('none.mp4', undefined),
    add('pending.mp4', { hf_state: 'pending' }),
    add('claimed-expired.mp4', { hf_state: 'claimed', hf_worker: 'pod9', hf_lease_until: past }),
    add('claimed-no-lease.mp4', { hf_state: 'claimed' }),
    add('claimed-bad-lease.mp4', { hf_state: 'claimed', hf_lease_until: 'yesterday' }),
    add('unknown-state.mp4', { hf_state: 'weird' }),
    add('lease-ends-now.mp4', { hf_state: 'claimed', hf_lease_until: iso(T0) }),
  ];
  add('claimed.mp4', { hf_state: 'claimed', hf_worker: 'pod9', hf_lease_until: future });
  add('done.mp4', { hf_state: 'done', hf_report_id: 'r1' });
  add('failed.mp4', { hf_state: 'failed', hf_error: 'not a video' });
  world.drive.addFile({ parent: world.hot, name: 'notes', mimeType: 'application/vnd.google-apps.document', size: null, md5: null });
  world.drive.addFolder('Done', world.hot);
  world.drive.addFile({ parent: world.hot, name: 'trashed.mp4', trashed: true });
  world.drive.addFile({ parent: 'elsewhere', name: 'other-folder.mp4' });

  const videos = gas.listInbox_(gas.readConfig_(world.props.data), null);
  assert.equal(videos.length, 10, 'folders, Google Docs, trashed and foreign files are not videos');
  const sel = gas.selectProcessable_(videos, {}, T0, 0);
  assert.deepEqual(plain(sel.ids).sort(), expected.sort());
  // The listing asked Drive for everything the state and settle rules need.
  const list = world.drive.calls.find((c) => c.op === 'list');
  assert.match(list.args.q, /^'folder1' in parents and trashed = false$/);
  for (const f of ['properties', 'size', 'md5Checksum', 'modifiedTime', 'mimeType']) assert.match(list.args.fields, new RegExp(f));
});

test('every page of a large folder is read', () => {
  const world = newWorld({ props: { SETTLE_SECONDS: '0' } });
  world.drive.maxPageSize = 7;
  const gas = load(world);
  for (let i = 0; i < 30; i++) world.drive.addFile({ parent: world.hot, name: `v${i}.mp4` });
  const videos = gas.listInbox_(gas.readConfig_(world.props.data), null);
  assert.equal(videos.length, 30);
  assert.equal(world.drive.calls.filter((c) => c.op === 'list').length, 5);
  assert.equal(gas.selectProcessable_(videos, {}, T0, 0).ids.length, 30);
});

test('settle rule: unchanged for settle seconds; a change restarts the wait; gone files are forgotten', () => {
  const gas = load(newWorld());
  const v = (id, size, md5) => ({ id, size, md5, properties: {} });
  let r = gas.settle_([v('a', 10, 'x'), v('b', 5, null)], {}, T0, 30);
  assert.deepEqual(plain(r.settled), []);
  assert.deepEqual(plain(r.observations.a), { size: 10, md5: 'x', since: iso(T0) });
  r = gas.settle_([v('a', 10, 'x'), v('b', 5, null)], r.observations, T0 + 29_999, 30);
  assert.deepEqual(plain(r.settled), []);
  r = gas.settle_([v('a', 11, 'y'), v('b', 5, null)], r.observations, T0 + 30_000, 30);
  assert.deepEqual(plain(r.settled), ['b'], 'exactly settle seconds is settled; a size change is not');
  assert.equal(r.observations.a.since, iso(T0 + 30_000));
  r = gas.settle_([v('b', 5, null)], r.observations, T0 + 31_000, 30);
  assert.deepEqual(Object.keys(r.observations), ['b']);
  r = gas.settle_([v('b', 5, 'now-has-md5')], r.observations, T0 + 32_000, 30);
  assert.deepEqual(plain(r.settled), [], 'an md5 appearing counts as a change');
});

test('a video is launched for only after it settled over two runs, and not while it still grows', () => {
  const world = newWorld({ props: { SETTLE_SECONDS: '60', TRIGGER_MINUTES: '5' } });
  const gas = load(world);
  const id = world.drive.addFile({ parent: world.hot, name: 'upload.mp4', size: 1000 });
  let r = gas.onTrigger();
  assert.deepEqual(plain(r.processable), []);
  assert.equal(r.decision, 'nothing to process');
  world.clock.advance(300);
  world.drive.update(id, { size: 5000, md5: 'grown' }); // still uploading
  r = gas.onTrigger();
  assert.deepEqual(plain(r.processable), []);
  assert.equal(world.runpod.pods.length, 0);
  world.clock.advance(300);
  r = gas.onTrigger();
  assert.deepEqual(plain(r.processable), [id]);
  assert.equal(world.runpod.pods.length, 1);
  // Observations persist per file id in Script Properties, and go when the file goes.
  assert.ok(world.props.data[`settle:${id}`]);
  world.drive.update(id, { parent: 'somewhere-else' });
  world.runpod.pods = [];
  world.clock.advance(700);
  gas.onTrigger();
  assert.equal(world.props.data[`settle:${id}`], undefined);
});

test('parseTime_ reads what drive.model.format_time writes, offsets and naive times as UTC', () => {
  const gas = load(newWorld());
  assert.equal(gas.parseTime_('2026-11-22T08:00:00.123456Z'), T0 + 123);
  assert.equal(gas.parseTime_('2026-11-22T09:00:00+01:00'), T0);
  assert.equal(gas.parseTime_('2026-11-22T08:00:00'), T0);
  assert.equal(gas.parseTime_('not a time'), null);
  assert.equal(gas.parseTime_(''), null);
});

test('config: every missing or wrong key is named at once; secret references are normalised', () => {
  const gas = load(newWorld());
  assert.throws(() => gas.readConfig_({ TRIGGER_MINUTES: '7', RUNPOD_CLOUD_TYPE: 'moon' }), (err) => {
    for (const k of ['FOLDER_ID', 'RUNPOD_API_KEY', 'RUNPOD_IMAGE', 'RUNPOD_DRIVE_TOKEN_SECRET', 'TRIGGER_MINUTES', 'RUNPOD_CLOUD_TYPE']) {
      assert.match(err.message, new RegExp(k));
    }
    return true;
  });
  assert.equal(gas.secretReference_('hotfolder_drive_token'), '{{ RUNPOD_SECRET_hotfolder_drive_token }}');
  assert.equal(gas.secretReference_('{{RUNPOD_SECRET_tok}}'), '{{ RUNPOD_SECRET_tok }}');
  assert.equal(gas.secretReference_('{"refresh_token": "x"}'), null, 'a raw token is refused, not sent');
  assert.equal(FOLDER_MIME, 'application/vnd.google-apps.folder');
});

test('like DriveStore.list_videos: non-video files are ignored, unrecognised types count by extension', () => {
  const world = newWorld({ props: { SETTLE_SECONDS: '0' } });
  const gas = load(world);
  const keep = [
    world.drive.addFile({ parent: world.hot, name: 'clip.MOV', mimeType: 'application/octet-stream' }),
    world.drive.addFile({ parent: world.hot, name: 'no-extension', mimeType: 'video/quicktime' }),
  ];
  world.drive.addFile({ parent: world.hot, name: 'notes.pdf', mimeType: 'application/pdf' });
  world.drive.addFile({ parent: world.hot, name: 'readme.txt', mimeType: 'text/plain' });
  world.drive.addFile({ parent: world.hot, name: 'fake.mp4', mimeType: 'application/vnd.google-apps.document', size: null, md5: null });
  const r = gas.onTrigger();
  assert.deepEqual(plain(r.processable).sort(), keep.sort());
  assert.equal(gas.isVideo_('a.Mp4', ''), true);
  assert.equal(gas.isVideo_('a.mp4.txt', 'text/plain'), false);
});

test('shortcuts: the state is on the shortcut, size and checksum come from the target', () => {
  const world = newWorld({ props: { SETTLE_SECONDS: '60' } });
  const gas = load(world);
  const elsewhere = world.drive.addFolder('Camera uploads', 'root');
  const target = world.drive.addFile({ parent: elsewhere, name: 'IMG_0001.MOV', mimeType: 'video/quicktime', size: 500 });
  const gone = world.drive.addFile({ parent: elsewhere, name: 'old.mp4', trashed: true });
  const sc = world.drive.addFile({ parent: world.hot, name: 'station 4.MOV', shortcutTo: target });
  world.drive.addFile({ parent: world.hot, name: 'to trash', shortcutTo: gone });
  world.drive.addFile({ parent: world.hot, name: 'a folder', shortcutTo: elsewhere });
  world.drive.addFile({ parent: world.hot, name: 'dangling.mp4', shortcutTo: 'nonexistent' });
  const cfg = gas.readConfig_(world.props.data);
  const videos = plain(gas.listInbox_(cfg, null));
  assert.deepEqual(videos.map((v) => [v.id, v.name, v.size, v.md5]), [[sc, 'station 4.MOV', 500, `md5-${target}`]]);
  assert.ok(world.logs.some((l) => /shortcut "dangling.mp4" points to a file that is gone/.test(l)));
  gas.onTrigger();
  world.drive.update(target, { size: 900 }); // the original still grows: the shortcut waits
  world.clock.advance(120);
  assert.deepEqual(plain(gas.onTrigger().processable), []);
  world.drive.update(sc, { properties: { hf_state: 'done' } });
  world.clock.advance(120);
  assert.deepEqual(plain(gas.onTrigger().processable), [], 'the state on the shortcut counts');
});

test('Done and Failed are found inside the hot folder, where DriveStore creates them', () => {
  const world = newWorld();
  const gas = load(world);
  const decoy = world.drive.addFolder('Done', 'root');
  const done = world.drive.addFolder('Done', world.hot);
  const cfg = gas.readConfig_(world.props.data);
  assert.equal(cfg.statusFolders, 'inside');
  assert.equal(gas.findFolder_(cfg, 'Done', null), done);
  assert.notEqual(done, decoy);
  assert.equal(gas.findFolder_(cfg, 'Failed', null), null, 'not created yet');
});

test('STATUS_FOLDERS = beside keeps the old layout: next to the hot folder', () => {
  const world = newWorld();
  const gas = load(world);
  const done = world.drive.addFolder('Done', 'root');
  world.drive.addFolder('Done', world.hot);
  const cfg = gas.readConfig_({ ...world.props.data, STATUS_FOLDERS: 'beside' });
  assert.equal(gas.findFolder_(cfg, 'Done', null), done);
});

test('the done mail carries the key findings the worker left on the video', () => {
  const world = newWorld();
  const gas = load(world);
  const ev = gas.doneEvent_({ id: 'v1', name: 'a.mp4', properties: { hf_state: 'done', hf_report_id: 'r1',
    hf_verdict: 'category_2', hf_verdicts: 'trunk=k2;head_neck=ok' } });
  assert.match(ev.body, /Key findings:\n  - Overall: category 2\n  - Trunk: category 2\n  - Head neck: acceptable\n/);
  const bare = gas.doneEvent_({ id: 'v2', name: 'b.mp4', properties: { hf_state: 'done', hf_report_id: 'r2' } });
  assert.doesNotMatch(bare.body, /Key findings/);
});
