'use strict';
// E-mails on batch start, video done (report link) and failure: each exactly once.
const test = require('node:test');
const assert = require('node:assert/strict');
const { newWorld, load } = require('./fake_gas.js');

function finishedWorld(props = {}) {
  const world = newWorld({ props: { SETTLE_SECONDS: '0', ...props } });
  world.done = world.drive.addFolder('Done', world.hot);
  world.failed = world.drive.addFolder('Failed', world.hot);
  return world;
}

test('batch start, done (with the report link) and failed are each mailed once over many runs', () => {
  const world = finishedWorld({ MAIL_RECIPIENTS: 'safety@example.com, boss@example.com' });
  const gas = load(world);
  const a = world.drive.addFile({ parent: world.hot, name: 'line 1.mp4' });
  const b = world.drive.addFile({ parent: world.hot, name: 'line 2.mov' });
  gas.onTrigger();
  assert.equal(world.mail.sent.length, 1);
  assert.equal(world.mail.sent[0].to, 'safety@example.com,boss@example.com');
  assert.match(world.mail.sent[0].subject, /processing 2 video/);
  assert.match(world.mail.sent[0].body, /line 1\.mp4[\s\S]*line 2\.mov/);
  // The worker finishes one and fails the other.
  world.drive.update(a, { parent: world.done, properties: { hf_state: 'done', hf_report_id: 'REPORT123' } });
  world.drive.update(b, { parent: world.failed, properties: { hf_state: 'failed', hf_attempts: '3', hf_error: 'not a decodable video' } });
  world.runpod.pods = [];
  for (let i = 0; i < 3; i++) { world.clock.advance(600); gas.onTrigger(); }
  const subjects = world.mail.sent.map((m) => m.subject);
  assert.deepEqual(subjects, [
    'Hot folder: processing 2 video(s)',
    'Hot folder: report ready for line 1.mp4',
    'Hot folder: line 2.mov failed',
  ]);
  assert.match(world.mail.sent[1].body, /https:\/\/drive\.google\.com\/file\/d\/REPORT123\/view/);
  assert.match(world.mail.sent[2].body, /after 3 attempt\(s\): not a decodable video/);
  assert.match(world.mail.sent[2].body, /"line 2 - error\.txt"/);
  // A fresh execution context (the next trigger run) remembers through Script Properties.
  world.clock.advance(600);
  load(world).onTrigger();
  assert.equal(world.mail.sent.length, 3);
});

test('without MAIL_RECIPIENTS the owner is mailed', () => {
  const world = finishedWorld();
  world.drive.addFile({ parent: world.done, name: 'x.mp4', properties: { hf_state: 'done', hf_report_id: 'R' } });
  load(world).onTrigger();
  assert.deepEqual(world.mail.sent.map((m) => m.to), ['owner@example.com']);
});

test('setup() marks results that existed before installation as announced', () => {
  const world = finishedWorld();
  world.drive.addFile({ parent: world.done, name: 'old.mp4', properties: { hf_state: 'done', hf_report_id: 'R0' } });
  const gas = load(world);
  assert.match(gas.setup(), /1 earlier result\(s\) marked as announced/);
  gas.onTrigger();
  assert.equal(world.mail.sent.length, 0);
  world.drive.addFile({ parent: world.done, name: 'new.mp4', properties: { hf_state: 'done', hf_report_id: 'R1' } });
  world.clock.advance(600);
  gas.onTrigger();
  assert.deepEqual(world.mail.sent.map((m) => m.subject), ['Hot folder: report ready for new.mp4']);
});

test('a failed send or a used-up MailApp quota is retried on a later run, not lost', () => {
  const world = finishedWorld();
  world.drive.addFile({ parent: world.done, name: 'a.mp4', properties: { hf_state: 'done', hf_report_id: 'R' } });
  world.drive.addFile({ parent: world.done, name: 'b.mp4', properties: { hf_state: 'done', hf_report_id: 'S' } });
  const gas = load(world);
  world.mail.failNext = 1;
  gas.onTrigger();
  assert.equal(world.mail.sent.length, 1);
  assert.ok(world.logs.some((l) => /^error: mail .* failed: Service unavailable/.test(l)));
  world.mail.quota = 0;
  world.clock.advance(600);
  gas.onTrigger();
  assert.equal(world.mail.sent.length, 1);
  assert.ok(world.logs.some((l) => /MailApp daily quota used up; 1 e-mail\(s\) wait/.test(l)));
  world.mail.quota = 100;
  world.clock.advance(600);
  gas.onTrigger();
  assert.deepEqual(world.mail.sent.map((m) => m.subject).sort(), ['Hot folder: report ready for a.mp4', 'Hot folder: report ready for b.mp4']);
});

test('unsentEvents_ drops sent keys and duplicates within one batch', () => {
  const gas = load(newWorld());
  const out = gas.unsentEvents_([{ key: 'done:1' }, { key: 'done:2' }, { key: 'done:2' }, { key: 'failed:3' }], { 'done:1': {} });
  assert.deepEqual(JSON.parse(JSON.stringify(out)), [{ key: 'done:2' }, { key: 'failed:3' }]);
});

test('dedupe keys are pruned by age, not by listing: batch starts after a week, done/failed after eight days', () => {
  const world = finishedWorld();
  const gas = load(world);
  const a = world.drive.addFile({ parent: world.done, name: 'a.mp4', properties: { hf_state: 'done', hf_report_id: 'R' } });
  world.drive.addFile({ parent: world.hot, name: 'b.mp4' });
  assert.ok(gas.onTrigger().launched);
  const keys = () => Object.keys(world.props.data).filter((k) => k.startsWith('mail:')).sort();
  assert.equal(keys().length, 2);
  assert.ok(keys().includes(`mail:done:${a}`));
  world.drive.update(a, { parent: 'archive' }); // leaving Done does not drop the key (nothing lists Done in full)
  world.clock.advance(7.5 * 86400);
  world.runpod.pods = [];
  const before = keys().filter((k) => k.startsWith('mail:start:'));
  const r2 = gas.onTrigger(); // b.mp4 is still pending: a new pod, the same batch
  assert.ok(r2.launched);
  assert.deepEqual(keys(), [`mail:done:${a}`, ...before].sort(), 'the week-old start key went and came back for the same videos');
  assert.notEqual(world.props.data[before[0]], undefined);
  world.clock.advance(0.6 * 86400);
  gas.onTrigger();
  assert.deepEqual(keys(), before, 'the done key went after eight days');
  assert.equal(world.mail.sent.filter((m) => /report ready for a\.mp4/.test(m.subject)).length, 1, 'the result was mailed once');
});

test('a finished video renamed in Done after its key went is not announced again; an older one without a finish time is', () => {
  const world = finishedWorld();
  const gas = load(world);
  const nineDaysAgo = new Date(world.clock.now - 9 * 86400 * 1000).toISOString();
  // finished nine days ago (its mail key is gone by now), renamed today: the rename puts it in the window
  world.drive.addFile({ parent: world.done, name: 'renamed.mp4', properties: { hf_state: 'done', hf_report_id: 'R', hf_finished_at: nineDaysAgo } });
  world.drive.addFile({ parent: world.failed, name: 'renamed failed.mp4', properties: { hf_state: 'failed', hf_attempts: '3', hf_error: 'x', hf_finished_at: nineDaysAgo } });
  // finished an hour ago: news
  const recent = new Date(world.clock.now - 3600 * 1000).toISOString();
  world.drive.addFile({ parent: world.done, name: 'fresh.mp4', properties: { hf_state: 'done', hf_report_id: 'R2', hf_finished_at: recent } });
  // written by a worker before hf_finished_at existed: announced as before
  world.drive.addFile({ parent: world.done, name: 'legacy.mp4', properties: { hf_state: 'done', hf_report_id: 'R3' } });
  gas.onTrigger();
  const subjects = world.mail.sent.map((m) => m.subject).sort();
  assert.deepEqual(subjects, ['Hot folder: report ready for fresh.mp4', 'Hot folder: report ready for legacy.mp4']);
});

test('a pod that dies and is replaced for the same videos does not announce the batch again', () => {
  const world = finishedWorld();
  const gas = load(world);
  world.drive.addFile({ parent: world.hot, name: 'a.mp4' });
  gas.onTrigger();
  world.runpod.pods = []; // the worker crashed at start
  world.clock.advance(900);
  assert.ok(gas.onTrigger().launched);
  assert.equal(world.mail.sent.length, 1);
  world.drive.addFile({ parent: world.hot, name: 'b.mp4' });
  world.runpod.pods = [];
  world.clock.advance(900);
  gas.onTrigger();
  assert.deepEqual(world.mail.sent.map((m) => m.subject), ['Hot folder: processing 1 video(s)', 'Hot folder: processing 2 video(s)']);
});

test('the stored last-run summary stays small with a huge backlog', () => {
  const world = newWorld({ props: { SETTLE_SECONDS: '0' } });
  for (let i = 0; i < 400; i++) world.drive.addFile({ parent: world.hot, name: `video-with-a-long-name-${i}.mp4` });
  const r = load(world).onTrigger();
  assert.equal(r.processable.length, 400);
  const stored = JSON.parse(world.props.data.last_run);
  assert.equal(stored.processable.length, 21);
  assert.equal(stored.processable[20], '… 380 more');
});
