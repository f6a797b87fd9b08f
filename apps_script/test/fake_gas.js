'use strict';
// A small fake of the Apps Script services Code.gs uses, with a scriptable RunPod behind UrlFetchApp.
// `newWorld()` holds the shared state (Drive, RunPod, mail, Script Properties, lock, triggers, clock);
// `load(world)` runs Code.gs in a fresh vm context bound to it. Two contexts on one world are two
// overlapping executions of the same script.

const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const CODE_PATH = path.join(__dirname, '..', 'Code.gs');
const FOLDER_MIME = 'application/vnd.google-apps.folder';
const NO_INSTANCES = 'There are no longer any instances available with the requested specifications. Please refresh and try again.';

class Clock {
  constructor(iso) { this.now = Date.parse(iso || '2026-11-22T08:00:00Z'); }
  advance(seconds) { this.now += seconds * 1000; }
  iso() { return new Date(this.now).toISOString(); }
}

// ---- Drive (Advanced Drive service v3: Drive.Files.list / get) ----------------------------------------

class FakeDrive {
  constructor(clock) {
    this.clock = clock;
    this.files = new Map();
    this.calls = [];
    this.seq = 0;
    this.maxPageSize = 1000;
    this.unindexed = new Set(); // file ids a query does not find yet (Drive's search index lags behind a change)
  }

  /** Drive requests made so far (`op`: 'list' or 'get'; all when omitted). */
  requestCount(op) { return this.calls.filter((c) => !op || c.op === op).length; }

  addFolder(name, parent) {
    const id = `folder${++this.seq}`;
    this.files.set(id, { id, name, mimeType: FOLDER_MIME, parents: parent ? [parent] : [], trashed: false });
    return id;
  }

  /** A file; `size` is given as a number and served as a string, as Drive v3 does for int64. */
  addFile(f) {
    const id = f.id || `file${++this.seq}`;
    const rec = {
      id,
      name: f.name || `${id}.mp4`,
      mimeType: f.mimeType || 'video/mp4',
      parents: [f.parent],
      trashed: !!f.trashed,
      size: f.size === undefined ? '1000' : (f.size === null ? undefined : String(f.size)),
      md5Checksum: f.md5 === undefined ? `md5-${id}` : (f.md5 === null ? undefined : f.md5),
      modifiedTime: f.modifiedTime || this.clockIso(),
      properties: f.properties ? { ...f.properties } : undefined,
      webViewLink: `https://drive.google.com/file/d/${id}/view`,
    };
    if (f.shortcutTo) {
      const target = this.files.get(f.shortcutTo);
      rec.mimeType = 'application/vnd.google-apps.shortcut';
      rec.shortcutDetails = { targetId: f.shortcutTo, targetMimeType: target ? target.mimeType : 'video/mp4' };
      delete rec.size; delete rec.md5Checksum;
    }
    this.files.set(id, rec);
    return id;
  }

  clockIso() { return new Date(this.clock.now).toISOString(); }

  update(id, patch) {
    const f = this.files.get(id);
    if (patch.size !== undefined) f.size = String(patch.size);
    if (patch.md5 !== undefined) f.md5Checksum = patch.md5;
    if (patch.properties) f.properties = { ...(f.properties || {}), ...patch.properties };
    if (patch.parent) f.parents = [patch.parent];
    // As the worker's move (drive_store.move_video): modifiedTime set explicitly, from its own clock.
    f.modifiedTime = patch.modifiedTime || this.clockIso();
  }

  api() {
    const self = this;
    return {
      Files: {
        list(args) { return self.list(args || {}); },
        get(id, args) { return self.get(id, args || {}); },
      },
    };
  }

  get(id, args) {
    this.calls.push({ op: 'get', id, args });
    const f = this.files.get(id);
    if (!f) throw new Error(`API call to drive.files.get failed with error: File not found: ${id}`);
    return pick(f, parseFields(args.fields || 'id,name,mimeType'));
  }

  list(args) {
    const call = { op: 'list', args, returned: 0 };
    this.calls.push(call);
    const match = compileQuery(args.q || '');
    const fields = /files\(([^)]*)\)/.exec(args.fields || '');
    if (!fields) throw new Error('fields must name files(...)'); // the default answer lacks properties/md5
    const size = Math.min(args.pageSize || 100, this.maxPageSize);
    const all = [...this.files.values()].filter((f) => !this.unindexed.has(f.id) && match(f));
    if (args.orderBy) all.sort(compileOrder(args.orderBy));
    const start = args.pageToken ? Number(args.pageToken) : 0;
    const page = all.slice(start, start + size).map((f) => pick(f, parseFields(fields[1])));
    call.returned = page.length;
    call.matched = all.map((f) => f.id); // every match in answer order (for checks against the Drive emulator)
    const out = { files: page };
    if (start + size < all.length && /nextPageToken/.test(args.fields)) out.nextPageToken = String(start + size);
    return out;
  }
}

function parseFields(spec) { return spec.split(',').map((s) => s.trim()).filter(Boolean); }

function pick(f, fields) {
  const out = {};
  fields.forEach((k) => { if (f[k] !== undefined) out[k] = JSON.parse(JSON.stringify(f[k])); });
  return out;
}

/** `q` split on ` and ` / ` or ` (`word`) outside quotes and parentheses. */
function splitTop(q, word) {
  const parts = [];
  let buf = '', quote = false, depth = 0;
  for (let i = 0; i < q.length; i++) {
    const c = q[i];
    if (quote && c === '\\') { buf += q.slice(i, i + 2); i++; continue; }
    if (c === "'") quote = !quote;
    else if (!quote && c === '(') depth++;
    else if (!quote && c === ')') depth--;
    const sep = ` ${word} `;
    if (!quote && depth === 0 && q.slice(i, i + sep.length).toLowerCase() === sep) { parts.push(buf); buf = ''; i += sep.length - 1; continue; }
    buf += c;
  }
  parts.push(buf);
  return parts.map((t) => t.trim());
}

/**
 * The subset of Drive's query language Code.gs uses; anything else is an error, not a silent match.
 * Terms joined by `and`; a parenthesised group of terms joined by `or` is one term. `modifiedTime` is
 * compared as a time (RFC 3339; without a zone it is UTC, as on Drive).
 */
function compileQuery(q) {
  const tests = splitTop(q, 'and').map((t) => {
    let m;
    const unq = (s) => s.replace(/\\(.)/g, '$1');
    if (t.startsWith('(') && t.endsWith(')')) {
      const alts = splitTop(t.slice(1, -1).trim(), 'or').map(compileQuery);
      return (f) => alts.some((fn) => fn(f));
    }
    if ((m = /^'((?:[^'\\]|\\.)*)' in parents$/.exec(t))) { const id = unq(m[1]); return (f) => f.parents.includes(id); }
    if ((m = /^trashed = (true|false)$/.exec(t))) { const v = m[1] === 'true'; return (f) => f.trashed === v; }
    if ((m = /^(name|mimeType) (=|!=) '((?:[^'\\]|\\.)*)'$/.exec(t))) {
      const [, key, op, val] = m; const v = unq(val);
      return op === '=' ? (f) => f[key] === v : (f) => f[key] !== v;
    }
    if ((m = /^modifiedTime (>=|<=|>|<|=) '([^']*)'$/.exec(t))) {
      const [, op, val] = m;
      const at = driveTime(val);
      if (Number.isNaN(at)) throw new Error(`fake Drive: invalid time in query: ${t}`);
      const cmp = { '>=': (a) => a >= at, '<=': (a) => a <= at, '>': (a) => a > at, '<': (a) => a < at, '=': (a) => a === at }[op];
      return (f) => cmp(driveTime(f.modifiedTime));
    }
    throw new Error(`fake Drive: unsupported query term: ${t}`);
  });
  return (f) => tests.every((fn) => fn(f));
}

function driveTime(s) {
  return Date.parse(/(Z|[+-]\d\d:\d\d)$/.test(s) ? s : `${s}Z`);
}

/** Drive's orderBy for the keys Code.gs uses ("modifiedTime desc", "name"), the id breaking ties. */
function compileOrder(spec) {
  const keys = spec.split(',').map((k) => {
    const m = /^\s*(modifiedTime|name)(\s+desc)?\s*$/.exec(k);
    if (!m) throw new Error(`fake Drive: unsupported orderBy: ${spec}`);
    const sign = m[2] ? -1 : 1;
    const val = m[1] === 'modifiedTime' ? (f) => driveTime(f.modifiedTime) : (f) => f.name;
    return (a, b) => { const x = val(a), y = val(b); return x < y ? -sign : x > y ? sign : 0; };
  });
  return (a, b) => { for (const k of keys) { const r = k(a, b); if (r) return r; } return a.id < b.id ? -1 : a.id > b.id ? 1 : 0; };
}

// ---- RunPod GraphQL ------------------------------------------------------------------------------------

/** Parses a GraphQL input literal (what the runpod SDK and Code.gs put inline) into plain JS. */
function parseGqlValue(src, pos) {
  const ws = () => { while (pos < src.length && /[\s,]/.test(src[pos])) pos++; };
  function value() {
    ws();
    const c = src[pos];
    if (c === '{') {
      pos++; const obj = {};
      for (;;) {
        ws();
        if (src[pos] === '}') { pos++; return obj; }
        const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(pos));
        if (!m) throw new Error(`GraphQL syntax error at ${pos}: ${src.slice(pos, pos + 20)}`);
        pos += m[0].length; ws();
        if (src[pos] !== ':') throw new Error(`GraphQL syntax error: expected ':' at ${pos}`);
        pos++;
        obj[m[0]] = value();
      }
    }
    if (c === '[') {
      pos++; const arr = [];
      for (;;) { ws(); if (src[pos] === ']') { pos++; return arr; } arr.push(value()); }
    }
    if (c === '"') {
      const m = /^"(?:[^"\\\n\r]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/.exec(src.slice(pos));
      if (!m) throw new Error(`GraphQL syntax error: bad string at ${pos}`);
      pos += m[0].length;
      return JSON.parse(m[0]);
    }
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|[A-Za-z_][A-Za-z0-9_]*)/.exec(src.slice(pos));
    if (!m) throw new Error(`GraphQL syntax error at ${pos}: ${src.slice(pos, pos + 20)}`);
    pos += m[0].length;
    if (/^-?\d/.test(m[0])) return Number(m[0]);
    if (m[0] === 'true') return true;
    if (m[0] === 'false') return false;
    if (m[0] === 'null') return null;
    return { enum: m[0] };
  }
  return value();
}

function inputOf(query, op) {
  const i = query.indexOf(`${op}(`);
  const j = query.indexOf('input:', i);
  if (i < 0 || j < 0) throw new Error(`no input for ${op}`);
  return parseGqlValue(query, j + 'input:'.length);
}

const CREATE_OPS = ['podFindAndDeployOnDemand', 'podRentInterruptable', 'deployCpuPod'];

class FakeRunpod {
  constructor(clock, apiKey) {
    this.clock = clock;
    this.apiKey = apiKey;
    this.url = 'https://api.runpod.io/graphql';
    this.pods = [];
    this.terminated = [];
    this.unavailable = new Set(); // GPU types / CPU instance ids, '*', or '<offer>@<data centre or country>'
    this.spotUnavailable = new Set(); // GPU types with no interruptible capacity at any bid
    this.registryAuths = new Set(); // container registry auth ids saved in the account
    this.gpuPrices = { 'NVIDIA GeForce RTX 4090': 0.69, 'NVIDIA RTX A5000': 0.27, 'NVIDIA L4': 0.43, 'NVIDIA RTX A4000': 0.17 };
    this.cpuPrices = { 'cpu5c-8-16': 0.32, 'cpu3c-8-16': 0.24, 'cpu3g-8-32': 0.32 };
    this.latencyS = 0;
    this.faults = []; // queued {status, body} answers
    this.requests = [];
    this.hideFromList = new Set(); // pod ids the list query does not show yet (eventual consistency)
    this.onRequest = null;
    this.seq = 0;
  }

  /** A pod that exists already (e.g. started by the Python watcher), `ageS` seconds old. */
  addPod({ name, ageS = 0, status = 'RUNNING', costPerHr = 0.69, gpu = 'NVIDIA L4' }) {
    const pod = { id: `pod${++this.seq}`, name, desiredStatus: status, createdAt: this.clock.now - ageS * 1000, costPerHr, gpu, env: [], input: null };
    this.pods.push(pod);
    return pod;
  }

  alive() { return this.pods.filter((p) => !['EXITED', 'TERMINATED'].includes(p.desiredStatus)); }

  handle(url, params) {
    if (url !== this.url) throw new Error(`fake UrlFetchApp: unexpected URL ${url}`);
    const req = { url, headers: params.headers || {}, payload: params.payload, at: this.clock.now };
    this.requests.push(req);
    this.clock.advance(this.latencyS);
    if (this.onRequest) this.onRequest(req);
    if (this.faults.length) return this.faults.shift();
    if (req.headers.Authorization !== `Bearer ${this.apiKey}`) return { status: 401, body: 'Unauthorized' };
    const { query } = JSON.parse(params.payload);
    req.query = query;
    const data = (d) => ({ status: 200, body: JSON.stringify({ data: d }) });
    const error = (message) => ({ status: 200, body: JSON.stringify({ errors: [{ message }] }) });
    if (/^\s*query[\s\S]*myself/.test(query)) {
      const pods = this.pods.filter((p) => !this.hideFromList.has(p.id)).map((p) => ({
        id: p.id, name: p.name, desiredStatus: p.desiredStatus, imageName: p.imageName || 'img',
        uptimeSeconds: Math.max(0, Math.round((this.clock.now - p.createdAt) / 1000)), costPerHr: p.costPerHr,
        lastStatusChange: 'Rented by User', machine: { gpuDisplayName: p.gpu },
      }));
      return data({ myself: { pods } });
    }
    if (/^\s*query[\s\S]*gpuTypes/.test(query)) {
      const id = inputOf(query, 'gpuTypes').id;
      if (!(id in this.gpuPrices)) return data({ gpuTypes: [] });
      const price = this.gpuPrices[id];
      return data({ gpuTypes: [{ id, lowestPrice: { minimumBidPrice: Math.round(price * 50) / 100, uninterruptablePrice: price } }] });
    }
    const op = CREATE_OPS.find((o) => new RegExp(`\\b${o}\\(`).test(query));
    if (op) {
      const input = inputOf(query, op);
      req.input = input;
      req.op = op;
      const cpu = op === 'deployCpuPod';
      const offer = cpu ? input.instanceId : input.gpuTypeId;
      for (const k of ['name', 'imageName', cpu ? 'instanceId' : 'gpuTypeId']) if (typeof input[k] !== 'string' || !input[k]) return error(`${k} is required`);
      const where = input.dataCenterId || input.countryCode;
      if (this.unavailable.has(offer) || this.unavailable.has('*') || (where && this.unavailable.has(`${offer}@${where}`))) return error(NO_INSTANCES);
      if (input.containerRegistryAuthId && !this.registryAuths.has(input.containerRegistryAuthId)) {
        return error(`container registry auth ${input.containerRegistryAuthId} not found`);
      }
      let cost = cpu ? (this.cpuPrices[offer] ?? 0.32) : (this.gpuPrices[offer] ?? 0.69);
      if (op === 'podRentInterruptable') {
        const minimum = Math.round(cost * 50) / 100;
        if (this.spotUnavailable.has(offer)) return error(NO_INSTANCES);
        if (input.bidPerGpu < minimum) return error(`Your bid of ${input.bidPerGpu} is below the minimum bid price of ${minimum}`);
        cost = input.bidPerGpu;
      }
      const pod = {
        id: `pod${++this.seq}`, name: input.name, desiredStatus: 'RUNNING', createdAt: this.clock.now, costPerHr: cost,
        gpu: offer, kind: cpu ? 'cpu' : 'gpu', op, interruptible: op === 'podRentInterruptable', imageName: input.imageName, input,
        env: Object.fromEntries((input.env || []).map((e) => [e.key, e.value])),
      };
      this.pods.push(pod);
      return data({ [op]: { id: pod.id, name: pod.name, imageName: pod.imageName, desiredStatus: 'RUNNING', costPerHr: cost, machineId: 'm1' } });
    }
    if (/podTerminate/.test(query)) {
      const { podId } = inputOf(query, 'podTerminate');
      const pod = this.pods.find((p) => p.id === podId);
      if (pod) { this.pods = this.pods.filter((p) => p !== pod); this.terminated.push(pod); }
      return data({ podTerminate: null });
    }
    return error(`fake RunPod: unsupported operation: ${query.slice(0, 60)}`);
  }
}

// ---- the rest of the services ------------------------------------------------------------------------

class FakeProperties {
  constructor() { this.data = {}; this.writes = 0; }
  check() {
    let total = 0;
    for (const [k, v] of Object.entries(this.data)) {
      if (Buffer.byteLength(v) > 9 * 1024) throw new Error(`Argument too large: value of ${k}`);
      total += Buffer.byteLength(k) + Buffer.byteLength(v);
    }
    if (total > 500 * 1024) throw new Error('You have exceeded the property storage quota.');
  }
  api() {
    const self = this;
    const store = {
      getProperty: (k) => (k in self.data ? self.data[k] : null),
      setProperty: (k, v) => { self.data[k] = String(v); self.writes++; self.check(); return store; },
      setProperties: (obj, deleteAllOthers) => {
        if (deleteAllOthers) self.data = {};
        for (const [k, v] of Object.entries(obj)) self.data[k] = String(v);
        self.writes++; self.check(); return store;
      },
      getProperties: () => ({ ...self.data }),
      getKeys: () => Object.keys(self.data),
      deleteProperty: (k) => { delete self.data[k]; return store; },
    };
    return { getScriptProperties: () => store };
  }
}

class FakeMail {
  constructor() { this.sent = []; this.quota = 100; this.failNext = 0; }
  api() {
    const self = this;
    return {
      sendEmail(msg) {
        if (typeof msg !== 'object' || !msg.to || !msg.subject) throw new Error('sendEmail: to and subject are required');
        if (self.failNext > 0) { self.failNext--; throw new Error('Service unavailable: Gmail'); }
        if (self.quota < 1) throw new Error('Service invoked too many times for one day: email.');
        self.quota--;
        self.sent.push(msg);
      },
      getRemainingDailyQuota: () => self.quota,
    };
  }
}

class FakeScriptApp {
  constructor() { this.triggers = []; this.seq = 0; }
  api() {
    const self = this;
    return {
      newTrigger(handler) {
        const spec = { handler };
        const timeBased = {
          everyMinutes(n) {
            if (![1, 5, 10, 15, 30].includes(n)) throw new Error('everyMinutes: 1, 5, 10, 15 or 30');
            spec.minutes = n; return timeBased;
          },
          create() {
            if (!spec.minutes) throw new Error('time-based trigger without a schedule');
            const id = String(++self.seq);
            const t = { ...spec, id, getHandlerFunction: () => spec.handler, getUniqueId: () => id };
            self.triggers.push(t);
            return t;
          },
        };
        return { timeBased: () => timeBased };
      },
      getProjectTriggers: () => [...self.triggers],
      deleteTrigger(t) { self.triggers = self.triggers.filter((x) => x.id !== t.id); },
    };
  }
}

function newWorld({ now, apiKey = 'rpa_TESTKEY_0123456789', props = {} } = {}) {
  const clock = new Clock(now);
  const world = {
    clock,
    drive: new FakeDrive(clock),
    runpod: new FakeRunpod(clock, apiKey),
    props: new FakeProperties(),
    mail: new FakeMail(),
    scriptApp: new FakeScriptApp(),
    lock: { holder: null, seq: 0 },
    logs: [],
    owner: 'owner@example.com',
  };
  world.hot = world.drive.addFolder('Hot folder', 'root');
  Object.assign(world.props.data, {
    FOLDER_ID: world.hot,
    RUNPOD_API_KEY: apiKey,
    RUNPOD_IMAGE: 'ghcr.io/acme/hotfolder:1.0',
    RUNPOD_DRIVE_TOKEN_SECRET: 'hotfolder_drive_token',
    SETTLE_SECONDS: '30',
  }, props);
  return world;
}

/** Code.gs in a fresh context bound to `world` (one "execution environment"). */
function load(world) {
  const { clock } = world;
  class FakeDate extends Date {
    constructor(...args) { if (args.length === 0) super(clock.now); else super(...args); }
    static now() { return clock.now; }
  }
  const log = (level) => (...a) => world.logs.push(`${level}: ${a.join(' ')}`);
  const sandbox = {
    Date: FakeDate,
    console: { log: log('info'), info: log('info'), warn: log('warn'), error: log('error') },
    Logger: { log: log('info') },
    Drive: world.drive.api(),
    UrlFetchApp: {
      fetch(url, params = {}) {
        const r = world.runpod.handle(url, params);
        if (r.status >= 400 && !params.muteHttpExceptions) throw new Error(`Request failed for ${url} returned code ${r.status}`);
        return { getResponseCode: () => r.status, getContentText: () => r.body };
      },
    },
    MailApp: world.mail.api(),
    PropertiesService: world.props.api(),
    LockService: {
      getScriptLock() {
        const me = ++world.lock.seq;
        return {
          tryLock() { if (world.lock.holder !== null && world.lock.holder !== me) return false; world.lock.holder = me; return true; },
          waitLock() { if (!this.tryLock()) throw new Error('Lock timeout: another process was holding the lock for too long.'); },
          hasLock: () => world.lock.holder === me,
          releaseLock() { if (world.lock.holder === me) world.lock.holder = null; },
        };
      },
    },
    ScriptApp: world.scriptApp.api(),
    Utilities: {
      Charset: { UTF_8: 'UTF-8', US_ASCII: 'US-ASCII' },
      base64Encode(data, charset) {
        if (typeof data !== 'string') return Buffer.from(data).toString('base64');
        return Buffer.from(data, charset === 'UTF-8' ? 'utf8' : 'latin1').toString('base64');
      },
    },
    Session: {
      getEffectiveUser: () => ({ getEmail: () => world.owner }),
      getActiveUser: () => ({ getEmail: () => world.owner }),
    },
    HtmlService: {
      createHtmlOutput(html) {
        const out = { html, title: null, meta: {}, getContent: () => out.html, setTitle(t) { out.title = t; return out; }, addMetaTag(n, c) { out.meta[n] = c; return out; } };
        return out;
      },
    },
    ContentService: {
      MimeType: { JSON: 'application/json', TEXT: 'text/plain' },
      createTextOutput(text) {
        const out = { text, mime: 'text/plain', getContent: () => out.text, setMimeType(m) { out.mime = m; return out; } };
        return out;
      },
    },
  };
  const ctx = vm.createContext(sandbox);
  vm.runInContext(fs.readFileSync(CODE_PATH, 'utf8'), ctx, { filename: 'Code.gs' });
  return ctx;
}

/** Decodes the HOTFOLDER_POD_ENV_B64 a pod received. */
function podSettings(pod) {
  return JSON.parse(Buffer.from(pod.env.HOTFOLDER_POD_ENV_B64, 'base64').toString('utf8'));
}

module.exports = { newWorld, load, podSettings, parseGqlValue, compileQuery, NO_INSTANCES, FOLDER_MIME, CREATE_OPS };
