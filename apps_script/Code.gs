/**
 * ergo hot folder — the watcher as a Google Apps Script.
 *
 * Every few minutes (a time-driven trigger) it lists the hot folder with the Advanced Drive service,
 * picks the settled videos still to process (the same `hf_*` file properties and the same settle rule as
 * the Python watcher), terminates worker pods past their maximum lifetime or idle too long, starts one
 * RunPod pod running `hotfolder work` when there is work and no worker alive, and e-mails people once per
 * event. A web app shows the status and has a "Check now" button.
 *
 * Configuration lives in Script Properties (see CONFIG_KEYS and the README); nothing secret is in code.
 * Functions whose names end in "_" are private: Apps Script hides them from google.script.run and from
 * the editor's Run menu. Pure ones (settle, selection, GPU fallback, dedupe, guard) take plain values so
 * the Node tests can call them.
 */

var HF_PREFIX = 'hf_';
var TRIGGER_HANDLER = 'onTrigger';
var FOLDER_MIME = 'application/vnd.google-apps.folder';
var GOOGLE_APPS_MIME_PREFIX = 'application/vnd.google-apps.';
var SHORTCUT_MIME = 'application/vnd.google-apps.shortcut';
// As drive/model.py VIDEO_EXTENSIONS: a video by MIME type, or by extension when Drive did not recognise it.
var VIDEO_EXTENSIONS = ('mp4 m4v mov qt avi mkv webm mts m2ts ts 3gp 3g2 mpg mpeg mpe mxf wmv asf flv f4v ogv vob dv insv').split(' ');
// Apps Script stops any execution at 6 minutes; the guard stops starting new steps well before that.
var HARD_LIMIT_MS = 6 * 60 * 1000;
// Steps that may block for up to one UrlFetch timeout need this much time left.
var STEP_RESERVE_MS = 70 * 1000;
// A pod this script launched is counted as alive this long even if RunPod's list lags behind.
var LAUNCH_GRACE_MS = 10 * 60 * 1000;
var DEAD_STATUSES = ['EXITED', 'TERMINATED', 'DEAD', 'FAILED'];
var NO_CAPACITY_RE = /no (longer )?(any )?instances? (currently )?available|not enough free gpus|no gpus? (are )?available|does not have the resources/i;
// Outcomes (videos the workers moved to Done/Failed) are found by modifiedTime, which the worker sets when
// it moves a video there (drive/drive_store.py move_video): one query per run over a time window since the
// last look, so a run costs the same however many videos the folders hold.
var OUTCOMES_SINCE_KEY = 'outcomes:since';
var OUTCOME_FIRST_LOOK_MS = 7 * 86400 * 1000; // how far back a look reaches at most (the first run, a long pause)
// A done/failed mail key outlives every window that can still show its video (first look + margin + slack).
var OUTCOME_KEY_KEEP_MS = OUTCOME_FIRST_LOOK_MS + 86400 * 1000;
var START_KEY_KEEP_MS = 7 * 86400 * 1000;
var RECENT_SHOWN = 30; // finished videos on the status page
var RECENT_PAGE_SIZE = 100; // one page, newest first (the Failed folder also holds the error files)

// Script Property name → [default, kind]. Keep in step with the README's table.
var CONFIG_KEYS = {
  FOLDER_ID: ['', 'string'],
  RUNPOD_API_KEY: ['', 'secret'],
  RUNPOD_IMAGE: ['', 'string'],
  RUNPOD_DRIVE_TOKEN_SECRET: ['', 'string'],
  // The Drive token (base64) put into the pod env in plain text, where RunPod shows it to everyone with
  // access to the account's pods: refused unless RUNPOD_ALLOW_PLAIN_TOKEN_ENV is true (as
  // runpod.allow_plain_token_env). A RUNPOD_DRIVE_TOKEN_SECRET wins over it.
  DRIVE_TOKEN_B64: ['', 'secret'],
  RUNPOD_ALLOW_PLAIN_TOKEN_ENV: ['false', 'boolean'],
  // As pod_launcher/runpod_launcher.py and config/settings.py RunpodSettings (same defaults):
  // 'auto' = CPU pods unless HOTFOLDER_ANALYSIS__SMPLX_MODEL is set (the body fit wants a GPU).
  RUNPOD_POD_KIND: ['auto', 'string'],
  RUNPOD_CPU_INSTANCE_IDS: ['cpu5c-8-16,cpu3c-8-16,cpu3g-8-32', 'list'],
  RUNPOD_CPU_MIN_VCPUS: ['8', 'number'],
  RUNPOD_CPU_MIN_MEMORY_GB: ['16', 'number'],
  RUNPOD_GPU_TYPES: ['NVIDIA GeForce RTX 4090,NVIDIA RTX A5000,NVIDIA L4,NVIDIA RTX A4000', 'list'],
  RUNPOD_GPU_MIN_VCPUS: ['8', 'number'],
  RUNPOD_GPU_MIN_MEMORY_GB: ['16', 'number'],
  RUNPOD_ALLOWED_CUDA_VERSIONS: ['13.0,13.1,13.2', 'list'], // host CUDA the image's torch runs on; empty: any
  RUNPOD_CLOUD_TYPE: ['SECURE', 'string'], // RunPod's own data centres, no community hosts
  RUNPOD_DATA_CENTER_IDS: ['', 'list'], // tried in order, e.g. EU-RO-1,EU-SE-1; empty: RUNPOD_COUNTRY_CODES
  RUNPOD_COUNTRY_CODES: ['', 'list'], // e.g. RO,SE,NL,CZ; both empty: anywhere the cloud type allows
  RUNPOD_CONTAINER_REGISTRY_AUTH_ID: ['', 'string'], // a private image: RunPod > Settings > Container Registry Auth
  RUNPOD_INTERRUPTIBLE: ['false', 'boolean'], // spot GPU pods (CPU pods are on demand)
  RUNPOD_BID_PER_GPU: ['0', 'number'], // USD per GPU-hour; 0: RunPod's current minimum bid
  RUNPOD_INTERRUPTIBLE_FALLBACK: ['true', 'boolean'], // bid not met: the same GPU type on demand
  RUNPOD_CONTAINER_DISK_GB: ['30', 'number'],
  RUNPOD_RETRY_AFTER_SECONDS: ['300', 'number'],
  RUNPOD_API_URL: ['https://api.runpod.io/graphql', 'string'],
  NAME_PREFIX: ['hotfolder-worker', 'string'],
  MAX_LIFETIME_SECONDS: ['21600', 'number'],
  IDLE_TIMEOUT_SECONDS: ['900', 'number'],
  SETTLE_SECONDS: ['30', 'number'],
  LEASE_SECONDS: ['300', 'number'],
  MAX_ATTEMPTS: ['3', 'number'],
  REPORTS_FOLDER: ['Reports', 'string'],
  DONE_FOLDER: ['Done', 'string'],
  FAILED_FOLDER: ['Failed', 'string'],
  STATUS_FOLDERS: ['inside', 'string'], // 'inside' the hot folder (default) or 'beside' it (the old layout)
  MAIL_RECIPIENTS: ['', 'list'],
  TRIGGER_MINUTES: ['10', 'number'],
  RUN_BUDGET_SECONDS: ['240', 'number'],
  DAILY_BUDGET_SECONDS: ['4800', 'number'],
};
// Extra worker settings passed through to the pod env unchanged (never secrets).
var PASSTHROUGH_RE = /^HOTFOLDER_((ANALYSIS|WORKER|PROTOCOL)__[A-Z0-9_]+|DRIVE__(CHUNK_SIZE|API_ROOT|TOKEN_URI))$/;

// ---------------------------------------------------------------------------------------------------
// Public entry points
// ---------------------------------------------------------------------------------------------------

/** Validates the Script Properties, checks the folder and the RunPod key, installs the trigger. */
function setup() {
  var cfg = readConfig_(scriptProps_().getProperties());
  var folder = Drive.Files.get(cfg.folderId, { fields: 'id,name,mimeType', supportsAllDrives: true });
  if (folder.mimeType !== FOLDER_MIME) {
    throw new Error('FOLDER_ID ' + cfg.folderId + ' is not a folder (it is ' + folder.mimeType + ')');
  }
  var pods = listPods_(cfg); // proves the API key works
  // Videos that were already done or failed before installation are not announced.
  var baselined = notifyStateChanges_(cfg, newGuard_(Date.now(), cfg.runBudgetMs), { baseline: true });
  var announced = baselined === null ? 'the watch for results continues where it was'
    : baselined + ' earlier result(s) marked as announced (older ones are never announced)';
  var trigger = installTrigger_(cfg.triggerMinutes);
  var msg = 'hot folder "' + folder.name + '" ok; RunPod ok (' + pods.length + ' worker pod(s)); trigger every ' +
    cfg.triggerMinutes + ' min installed (' + trigger.getUniqueId() + '); ' + announced;
  console.log(msg);
  return msg;
}

/** Removes the trigger; nothing is launched any more. */
function uninstall() {
  var removed = removeTriggers_();
  console.log('removed ' + removed + ' trigger(s)');
  return removed;
}

/** The time-driven trigger's handler. */
function onTrigger() {
  return poll_('trigger');
}

/** "Check now" from the web page (google.script.run): one poll, then the fresh status page body. */
function checkNow() {
  var result = poll_('manual');
  return renderStatusHtml_(collectStatus_(), result);
}

function doGet(e) {
  var params = (e && e.parameter) || {};
  var status = collectStatus_();
  if (params.format === 'json') {
    return ContentService.createTextOutput(JSON.stringify(status)).setMimeType(ContentService.MimeType.JSON);
  }
  // HtmlService drops <meta> tags from the body; the viewport (phones) must be set here.
  return HtmlService.createHtmlOutput(renderPage_(status)).setTitle('ergo hot folder')
    .addMetaTag('viewport', 'width=device-width, initial-scale=1');
}

// No doPost: "Check now" goes through google.script.run, which Google guards against cross-site calls,
// so a form on another site cannot make the owner's browser start a check.

// ---------------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------------

/** Parses Script Properties into a config object; throws one error listing every problem. */
function readConfig_(props) {
  var problems = [];
  var raw = {};
  Object.keys(CONFIG_KEYS).forEach(function (k) {
    var v = props[k];
    raw[k] = (v === undefined || v === null || String(v).trim() === '') ? CONFIG_KEYS[k][0] : String(v).trim();
  });
  ['FOLDER_ID', 'RUNPOD_API_KEY', 'RUNPOD_IMAGE'].forEach(function (k) {
    if (!raw[k]) problems.push(k + ' is not set');
  });
  function num(k, min, max) {
    var n = Number(raw[k]);
    if (!isFinite(n) || n < min || (max !== undefined && n > max)) {
      problems.push(k + ' must be a number between ' + min + ' and ' + (max === undefined ? '∞' : max) + ' (got "' + raw[k] + '")');
    }
    return n;
  }
  function list(k) {
    return raw[k].split(',').map(function (s) { return s.trim(); }).filter(function (s) { return s; });
  }
  function bool(k) {
    var v = raw[k].toLowerCase();
    if (['true', 'false', 'yes', 'no', '1', '0'].indexOf(v) < 0) problems.push(k + ' must be true or false (got "' + raw[k] + '")');
    return v === 'true' || v === 'yes' || v === '1';
  }
  var cfg = {
    folderId: raw.FOLDER_ID,
    apiKey: raw.RUNPOD_API_KEY,
    image: raw.RUNPOD_IMAGE,
    tokenSecret: secretReference_(raw.RUNPOD_DRIVE_TOKEN_SECRET),
    plainToken: raw.DRIVE_TOKEN_B64,
    allowPlainTokenEnv: bool('RUNPOD_ALLOW_PLAIN_TOKEN_ENV'),
    podKindSetting: raw.RUNPOD_POD_KIND.toLowerCase(),
    cpuInstanceIds: list('RUNPOD_CPU_INSTANCE_IDS'),
    cpuMinVcpus: num('RUNPOD_CPU_MIN_VCPUS', 1),
    cpuMinMemoryGb: num('RUNPOD_CPU_MIN_MEMORY_GB', 1),
    gpuTypes: list('RUNPOD_GPU_TYPES'),
    gpuMinVcpus: num('RUNPOD_GPU_MIN_VCPUS', 1),
    gpuMinMemoryGb: num('RUNPOD_GPU_MIN_MEMORY_GB', 1),
    allowedCudaVersions: list('RUNPOD_ALLOWED_CUDA_VERSIONS'),
    cloudType: raw.RUNPOD_CLOUD_TYPE.toUpperCase(),
    dataCenterIds: list('RUNPOD_DATA_CENTER_IDS'),
    countryCodes: list('RUNPOD_COUNTRY_CODES').map(function (c) { return c.toUpperCase(); }),
    registryAuthId: raw.RUNPOD_CONTAINER_REGISTRY_AUTH_ID,
    interruptible: bool('RUNPOD_INTERRUPTIBLE'),
    bidPerGpu: num('RUNPOD_BID_PER_GPU', 0),
    interruptibleFallback: bool('RUNPOD_INTERRUPTIBLE_FALLBACK'),
    containerDiskGb: num('RUNPOD_CONTAINER_DISK_GB', 5),
    retryAfterMs: num('RUNPOD_RETRY_AFTER_SECONDS', 0) * 1000,
    apiUrl: raw.RUNPOD_API_URL,
    namePrefix: raw.NAME_PREFIX,
    maxLifetimeMs: num('MAX_LIFETIME_SECONDS', 60) * 1000,
    idleTimeoutMs: num('IDLE_TIMEOUT_SECONDS', 60) * 1000,
    settleSeconds: num('SETTLE_SECONDS', 0),
    leaseSeconds: num('LEASE_SECONDS', 1),
    maxAttempts: num('MAX_ATTEMPTS', 1),
    reportsFolder: raw.REPORTS_FOLDER,
    doneFolder: raw.DONE_FOLDER,
    failedFolder: raw.FAILED_FOLDER,
    statusFolders: raw.STATUS_FOLDERS === 'beside' ? 'beside' : 'inside',
    recipients: list('MAIL_RECIPIENTS'),
    triggerMinutes: num('TRIGGER_MINUTES', 1, 30),
    runBudgetMs: num('RUN_BUDGET_SECONDS', 30, 330) * 1000,
    dailyBudgetMs: num('DAILY_BUDGET_SECONDS', 60) * 1000,
    passthrough: {},
  };
  if (['ALL', 'SECURE', 'COMMUNITY'].indexOf(cfg.cloudType) < 0) problems.push('RUNPOD_CLOUD_TYPE must be ALL, SECURE or COMMUNITY');
  if ([1, 5, 10, 15, 30].indexOf(cfg.triggerMinutes) < 0) problems.push('TRIGGER_MINUTES must be 1, 5, 10, 15 or 30');
  if (!/^[A-Za-z0-9._-]+$/.test(cfg.namePrefix)) problems.push('NAME_PREFIX may hold only letters, digits, ".", "_" and "-"');
  if (cfg.tokenSecret === null) problems.push('RUNPOD_DRIVE_TOKEN_SECRET must be a RunPod secret name or "{{ RUNPOD_SECRET_<name> }}"');
  Object.keys(props).forEach(function (k) {
    if (PASSTHROUGH_RE.test(k)) cfg.passthrough[k] = String(props[k]);
  });
  cfg.podKind = podKind_(cfg.podKindSetting, cfg.passthrough.HOTFOLDER_ANALYSIS__SMPLX_MODEL);
  problems = problems.concat(deploymentProblems_(cfg));
  if (problems.length) throw new Error('hot folder configuration (Script Properties): ' + problems.join('; '));
  return cfg;
}

/** 'cpu' or 'gpu' as pod_launcher.runpod_launcher.pod_kind: 'auto' means GPU pods only for an SMPL-X body fit. */
function podKind_(setting, smplxModel) {
  if (setting === 'auto') return String(smplxModel || '').trim() ? 'gpu' : 'cpu';
  return setting;
}

var CPU_INSTANCE_RE = /^cpu\d+[a-z]+-(\d+)-(\d+)$/;
var PLAIN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.\-]*$/;
var BASE64_RE = /^[A-Za-z0-9+\/]+=*$/;

/**
 * What in the RunPod properties cannot work or breaks the data/secret rules (as
 * pod_launcher.runpod_launcher.deployment_problems); one sentence each.
 */
function deploymentProblems_(cfg) {
  var problems = [];
  if (['cpu', 'gpu'].indexOf(cfg.podKind) < 0) problems.push('RUNPOD_POD_KIND must be auto, cpu or gpu');
  if (cfg.podKind === 'gpu' && cfg.gpuTypes.length === 0) {
    problems.push('RUNPOD_GPU_TYPES lists no GPU type but GPU pods are wanted (RUNPOD_POD_KIND / HOTFOLDER_ANALYSIS__SMPLX_MODEL)');
  }
  if (cfg.podKind === 'cpu') {
    if (cfg.cpuInstanceIds.length === 0) problems.push('RUNPOD_CPU_INSTANCE_IDS lists no CPU instance but CPU pods are wanted (RUNPOD_POD_KIND)');
    cfg.cpuInstanceIds.forEach(function (id) {
      var m = CPU_INSTANCE_RE.exec(id);
      if (!m) problems.push('RUNPOD_CPU_INSTANCE_IDS: "' + id + '" is not a RunPod CPU instance id like "cpu3c-8-16"');
      else if (+m[1] < cfg.cpuMinVcpus || +m[2] < cfg.cpuMinMemoryGb) {
        problems.push('RUNPOD_CPU_INSTANCE_IDS: ' + id + ' has ' + m[1] + ' vCPUs / ' + m[2] + ' GB, below RUNPOD_CPU_MIN_VCPUS = ' +
          cfg.cpuMinVcpus + ' / RUNPOD_CPU_MIN_MEMORY_GB = ' + cfg.cpuMinMemoryGb);
      }
    });
  }
  [['RUNPOD_DATA_CENTER_IDS', cfg.dataCenterIds], ['RUNPOD_COUNTRY_CODES', cfg.countryCodes],
    ['RUNPOD_ALLOWED_CUDA_VERSIONS', cfg.allowedCudaVersions]].forEach(function (pair) {
    pair[1].forEach(function (v) { if (!PLAIN_ID_RE.test(v)) problems.push(pair[0] + ': "' + v + '" is not a plain id'); });
  });
  if (cfg.registryAuthId && !PLAIN_ID_RE.test(cfg.registryAuthId)) {
    problems.push('RUNPOD_CONTAINER_REGISTRY_AUTH_ID is not a plain id (RunPod > Settings > Container Registry Auth)');
  }
  if (cfg.tokenSecret === '' && !cfg.plainToken) {
    problems.push('RUNPOD_DRIVE_TOKEN_SECRET is not set: RunPod workers need the Drive credential; create a RunPod secret ' +
      'holding it (base64) and name it here, or put the base64 token in DRIVE_TOKEN_B64 and set RUNPOD_ALLOW_PLAIN_TOKEN_ENV = true ' +
      'to send it in the pod env (visible to everyone with access to the RunPod account)');
  } else if (cfg.tokenSecret === '' && cfg.plainToken && !cfg.allowPlainTokenEnv) {
    problems.push('refusing to put the Drive credential (DRIVE_TOKEN_B64) into the pod env in plain text: set ' +
      'RUNPOD_DRIVE_TOKEN_SECRET to a RunPod secret, or RUNPOD_ALLOW_PLAIN_TOKEN_ENV = true to accept it');
  } else if (cfg.tokenSecret === '' && !BASE64_RE.test(cfg.plainToken)) {
    problems.push('DRIVE_TOKEN_B64 must be the base64 of the token file (base64 -w0 drive-token.json)');
  }
  return problems;
}

/** "name" or "{{ RUNPOD_SECRET_name }}" → the reference RunPod interpolates; null if malformed. */
function secretReference_(value) {
  if (!value) return '';
  var m = /^\{\{\s*RUNPOD_SECRET_([A-Za-z0-9_.-]+)\s*\}\}$/.exec(value) || /^([A-Za-z0-9_.-]+)$/.exec(value);
  return m ? '{{ RUNPOD_SECRET_' + m[1] + ' }}' : null;
}

// ---------------------------------------------------------------------------------------------------
// Pure logic: time, settle, selection, reaping, GPU fallback, dedupe, guard
// ---------------------------------------------------------------------------------------------------

/** ISO-8601 → epoch ms, like drive.model.parse_time: "Z" or an offset, naive means UTC; null if invalid. */
function parseTime_(s) {
  if (!s) return null;
  var m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(String(s).trim());
  if (!m) return null;
  var ms = m[7] ? Math.floor(Number((m[7] + '000000').slice(0, 6)) / 1000) : 0;
  var t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0), ms);
  if (m[8] && m[8] !== 'Z') {
    var sign = m[8][0] === '-' ? -1 : 1;
    var hm = m[8].slice(1).replace(':', '');
    t -= sign * (Number(hm.slice(0, 2)) * 60 + Number(hm.slice(2))) * 60000;
  }
  return isFinite(t) ? t : null;
}

function formatTime_(ms) {
  return new Date(ms).toISOString();
}

/** The parsed `hf_*` state of a file (an unknown or missing hf_state is pending, as in VideoState). */
function videoState_(properties) {
  var p = properties || {};
  var state = p[HF_PREFIX + 'state'] || 'pending';
  if (['pending', 'claimed', 'done', 'failed'].indexOf(state) < 0) state = 'pending';
  var lease = p[HF_PREFIX + 'lease_until'];
  var attempts = strictInt_(p[HF_PREFIX + 'attempts']);
  var progress = strictInt_(p[HF_PREFIX + 'progress']);
  return {
    state: state,
    worker: p[HF_PREFIX + 'worker'] || null,
    leaseUntil: lease ? parseTime_(lease) : null,
    attempts: attempts === null ? 0 : attempts,
    progress: progress,
    reportId: p[HF_PREFIX + 'report_id'] || null,
    error: p[HF_PREFIX + 'error'] || null,
    finishedAt: p[HF_PREFIX + 'finished_at'] ? parseTime_(p[HF_PREFIX + 'finished_at']) : null,
  };
}

/** An integer property as Python's int() reads it ("3x" is not 3 but invalid: null). */
function strictInt_(v) {
  return /^\s*[+-]?\d+\s*$/.test(String(v === undefined || v === null ? '' : v)) ? parseInt(v, 10) : null;
}

/** Pending, or claimed with a lease that has run out (lease_until <= now, or none). */
function isClaimable_(state, nowMs) {
  if (state.state === 'pending') return true;
  return state.state === 'claimed' && (state.leaseUntil === null || state.leaseUntil <= nowMs);
}

/**
 * The settle rule shared with drive/settle.py. `observations`: {fileId: {size, md5, since (ISO)}}.
 * Returns the new observations (files gone from the listing are forgotten) and the settled ids.
 */
function settle_(videos, observations, nowMs, settleSeconds) {
  var next = {};
  var settled = [];
  videos.forEach(function (v) {
    var size = v.size === undefined ? null : v.size;
    var md5 = v.md5 === undefined ? null : v.md5;
    var old = observations[v.id];
    var obs = (old && old.size === size && old.md5 === md5 && parseTime_(old.since) !== null)
      ? old : { size: size, md5: md5, since: formatTime_(nowMs) };
    next[v.id] = obs;
    if (nowMs - parseTime_(obs.since) >= settleSeconds * 1000) settled.push(v.id);
  });
  return { observations: next, settled: settled };
}

/**
 * drive.settle.select_processable in JS: {process, exhausted, waiting} ids and the new observations.
 * process: settled and claimable (pending, or claimed with an expired lease); exhausted: claimed, lease
 * expired, attempts >= maxAttempts (a worker's queue fails it; it is never offered again); waiting:
 * claimable but not settled yet. Order: oldest modifiedTime first, then name, then id (no time last).
 */
function selectProcessable_(videos, observations, nowMs, settleSeconds, maxAttempts) {
  var sorted = videos.slice().sort(compareVideos_);
  var s = settle_(sorted, observations, nowMs, settleSeconds);
  var settled = {};
  s.settled.forEach(function (id) { settled[id] = true; });
  var out = { process: [], exhausted: [], waiting: [], observations: s.observations };
  sorted.forEach(function (v) {
    var st = videoState_(v.properties);
    if (!isClaimable_(st, nowMs)) return;
    if (st.state === 'claimed' && maxAttempts !== undefined && maxAttempts !== null && st.attempts >= maxAttempts) {
      out.exhausted.push(v.id);
    } else {
      (settled[v.id] ? out.process : out.waiting).push(v.id);
    }
  });
  out.ids = out.process;
  return out;
}

function compareVideos_(a, b) {
  var ta = a.modifiedTime ? parseTime_(a.modifiedTime) : null;
  var tb = b.modifiedTime ? parseTime_(b.modifiedTime) : null;
  if ((ta === null) !== (tb === null)) return ta === null ? 1 : -1;
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.id < b.id ? -1 : (a.id > b.id ? 1 : 0);
}

/** drive_store.is_video: a video MIME type, or a known extension (Docs, folders, PDFs... are not). */
function isVideo_(name, mimeType) {
  var mime = mimeType || '';
  if (mime.indexOf(GOOGLE_APPS_MIME_PREFIX) === 0) return false;
  if (mime.indexOf('video/') === 0) return true;
  var dot = String(name || '').lastIndexOf('.');
  return dot >= 0 && VIDEO_EXTENSIONS.indexOf(String(name).slice(dot + 1).toLowerCase()) >= 0;
}

/**
 * A Drive v3 file resource → the plain video record the pure functions take; null for anything the
 * Python DriveStore ignores. A shortcut keeps its own id, name and properties (the state lives on the
 * shortcut) and takes size, checksum, type and time from its target (`target`, null if gone/trashed).
 */
function toVideo_(item, target) {
  if (!item) return null;
  var content = item;
  if (item.mimeType === SHORTCUT_MIME) {
    if (!target || target.trashed) return null;
    content = target;
  }
  if (!isVideo_(content.name, content.mimeType) && !isVideo_(item.name, content.mimeType)) return null;
  return {
    id: item.id,
    name: item.name || '',
    size: (content.size === undefined || content.size === null) ? null : Number(content.size),
    md5: content.md5Checksum || null,
    mimeType: content.mimeType || null,
    modifiedTime: content.modifiedTime || null,
    properties: item.properties || {},
    link: content.webViewLink || null,
  };
}

function isAlive_(pod) {
  return DEAD_STATUSES.indexOf(String(pod.desiredStatus || '').toUpperCase()) < 0;
}

/** When a pod started: our own launch record, else the time in its name, else RunPod's uptime. */
function podStartedMs_(pod, launched, nowMs, prefix) {
  if (launched && launched[pod.id]) return launched[pod.id].at;
  var fromName = prefix ? startedFromName_(pod.name, prefix) : null;
  if (fromName !== null) return fromName;
  if (typeof pod.uptimeSeconds === 'number') return nowMs - pod.uptimeSeconds * 1000;
  return null;
}

/**
 * Live pods to terminate, with the reason: older than maxLifetime, or no lease renewal (nor start) within
 * idleTimeout. `activity`: {podId: last lease renewal ms} from the claims the pods hold.
 */
function podsToReap_(pods, launched, activity, nowMs, maxLifetimeMs, idleTimeoutMs, prefix) {
  var out = [];
  pods.filter(isAlive_).forEach(function (pod) {
    var started = podStartedMs_(pod, launched, nowMs, prefix);
    if (started === null) return;
    var age = nowMs - started;
    var last = Math.max(started, activity[pod.id] || 0);
    if (age >= maxLifetimeMs) {
      out.push({ pod: pod, reason: 'past the maximum lifetime (' + Math.round(age / 60000) + ' min)' });
    } else if (nowMs - last >= idleTimeoutMs) {
      out.push({ pod: pod, reason: 'idle: no lease renewed for ' + Math.round((nowMs - last) / 60000) + ' min' });
    }
  });
  return out;
}

/** Last lease renewal per worker id from the inbox's claims (renewal = lease_until − lease). */
function workerActivity_(videos, leaseSeconds) {
  var act = {};
  videos.forEach(function (v) {
    var st = videoState_(v.properties);
    if (st.state === 'claimed' && st.worker && st.leaseUntil !== null) {
      var renewed = st.leaseUntil - leaseSeconds * 1000;
      act[st.worker] = Math.max(act[st.worker] || 0, renewed);
    }
  });
  return act;
}

/** Whether to launch now, and why not. Only one worker at a time from Apps Script. */
function launchDecision_(processableCount, alivePods, launched, nowMs, retryAtMs, podKind) {
  if (processableCount === 0) return { launch: false, reason: 'nothing to process' };
  if (alivePods.length > 0) return { launch: false, reason: 'a worker is alive: ' + alivePods.map(function (p) { return p.name; }).join(', ') };
  var recent = Object.keys(launched || {}).filter(function (id) { return nowMs - launched[id].at < LAUNCH_GRACE_MS; });
  if (recent.length) return { launch: false, reason: 'a worker was launched ' + Math.round((nowMs - launched[recent[0]].at) / 1000) + ' s ago' };
  if (retryAtMs && nowMs < retryAtMs) {
    return { launch: false, reason: 'no ' + (podKind === 'cpu' ? 'CPU' : 'GPU') + ' capacity; retrying after ' + formatTime_(retryAtMs) };
  }
  return { launch: true, reason: processableCount + ' video(s) to process' };
}

function isNoCapacity_(message) {
  return NO_CAPACITY_RE.test(String(message || ''));
}

/**
 * Tries each candidate in order with `deploy(candidate)`; "no instances available" (or an error marked
 * `noCapacity`) moves to the next. A candidate is a GPU type / CPU instance id, or {offer, label, …} as
 * launchCandidates_ makes them. Stops (without deploying) when `guard.hasTime()` says no.
 * Returns {pod, gpuType (the offer), candidate, tried (labels), noCapacity, error}.
 */
function launchWithFallback_(candidates, deploy, guard) {
  var tried = [];
  for (var i = 0; i < candidates.length; i++) {
    var c = candidates[i];
    var label = typeof c === 'string' ? c : c.label;
    if (guard && !guard.hasTime(STEP_RESERVE_MS)) {
      return { pod: null, tried: tried, noCapacity: false, outOfTime: true, error: 'run time budget reached before trying ' + label };
    }
    tried.push(label);
    try {
      return { pod: deploy(c), gpuType: typeof c === 'string' ? c : c.offer, candidate: c, tried: tried, noCapacity: false, error: null };
    } catch (err) {
      if (!err.noCapacity && !isNoCapacity_(err.message)) return { pod: null, candidate: c, tried: tried, noCapacity: false, error: err.message };
    }
  }
  return { pod: null, tried: tried, noCapacity: true, error: 'no instances available for ' + tried.join(', ') };
}

/**
 * What to try, in pod_launcher.runpod_launcher's order: each GPU type (GPU pods) or CPU instance id (CPU
 * pods), and for each the data centres in order, else the countries, else anywhere.
 */
function launchCandidates_(cfg) {
  var offers = cfg.podKind === 'gpu' ? cfg.gpuTypes : cfg.cpuInstanceIds;
  var places = cfg.dataCenterIds.length ? cfg.dataCenterIds.map(function (d) { return ['dataCenterId', d]; })
    : cfg.countryCodes.length ? cfg.countryCodes.map(function (c) { return ['countryCode', c]; }) : [null];
  var out = [];
  offers.forEach(function (offer) {
    places.forEach(function (where) {
      out.push({ kind: cfg.podKind, offer: offer, where: where, label: offer + (where ? ' in ' + where[1] : '') });
    });
  });
  return out;
}

/** The notifications not yet sent: events [{key, ...}] minus those whose key is in `sent`. */
function unsentEvents_(events, sent) {
  var seen = {};
  return events.filter(function (ev) {
    if (sent[ev.key] || seen[ev.key]) return false;
    seen[ev.key] = true;
    return true;
  });
}

/**
 * The run-time guard: a run may start a step only if the step's reserve still fits in the run budget
 * (itself kept below the 6-minute hard limit).
 */
function newGuard_(startedMs, budgetMs) {
  var limit = Math.min(budgetMs, HARD_LIMIT_MS - 60 * 1000);
  return {
    remaining: function () { return limit - (Date.now() - startedMs); },
    hasTime: function (reserveMs) { return Date.now() - startedMs + (reserveMs || 0) <= limit; },
  };
}

/** Whether today's trigger time (UTC day) leaves room for one more run (a minute, or the run budget if less). */
function dailyBudgetLeft_(usedTodayMs, dailyBudgetMs, runBudgetMs) {
  return usedTodayMs + Math.min(runBudgetMs, 60 * 1000) <= dailyBudgetMs;
}

/** The worker pod env (same contract as processor/worker_env.py): HOTFOLDER_POD_ENV_B64 + the token. */
function buildPodEnv_(cfg) {
  var settings = {};
  Object.keys(cfg.passthrough).forEach(function (k) { settings[k] = cfg.passthrough[k]; });
  var core = {
    HOTFOLDER_STORAGE__BACKEND: 'drive',
    HOTFOLDER_DRIVE__FOLDER_ID: cfg.folderId,
    HOTFOLDER_DRIVE__REPORTS_FOLDER: cfg.reportsFolder,
    HOTFOLDER_DRIVE__DONE_FOLDER: cfg.doneFolder,
    HOTFOLDER_DRIVE__FAILED_FOLDER: cfg.failedFolder,
    HOTFOLDER_DRIVE__SETTLE_SECONDS: String(cfg.settleSeconds),
    HOTFOLDER_DRIVE__LEASE_SECONDS: String(cfg.leaseSeconds),
    HOTFOLDER_DRIVE__MAX_ATTEMPTS: String(cfg.maxAttempts),
    HOTFOLDER_LAUNCHER__NAME_PREFIX: cfg.namePrefix,
    HOTFOLDER_LAUNCHER__MAX_LIFETIME: String(cfg.maxLifetimeMs / 1000),
  };
  Object.keys(core).forEach(function (k) { settings[k] = core[k]; });
  return {
    HOTFOLDER_POD_ENV_B64: Utilities.base64Encode(JSON.stringify(settings), Utilities.Charset.UTF_8),
    HOTFOLDER_DRIVE_TOKEN_B64: driveTokenValue_(cfg),
  };
}

/** The secret reference, or the plain base64 token only when RUNPOD_ALLOW_PLAIN_TOKEN_ENV opted in. */
function driveTokenValue_(cfg) {
  if (cfg.tokenSecret) return cfg.tokenSecret;
  if (cfg.plainToken && cfg.allowPlainTokenEnv) return cfg.plainToken;
  throw new Error('refusing to put the Drive credential into the pod env in plain text: set RUNPOD_DRIVE_TOKEN_SECRET, ' +
    'or RUNPOD_ALLOW_PLAIN_TOKEN_ENV = true to accept it');
}

/**
 * A pod name as pod_launcher.runpod_launcher makes it: "<prefix>-<yymmddHHMMSS UTC>-<6 hex>". The start
 * time in the name lets either watcher age a pod even when RunPod reports no uptime yet.
 */
function podName_(prefix, nowMs) {
  var stamp = formatTime_(nowMs).replace(/[-:T]/g, '').slice(2, 14);
  var hex = ('00000' + Math.floor(Math.random() * 0x1000000).toString(16)).slice(-6);
  return prefix + '-' + stamp + '-' + hex;
}

/** The start time encoded by podName_ (ms), or null. */
function startedFromName_(name, prefix) {
  var rest = String(name || '').slice(prefix.length);
  if (String(name || '').indexOf(prefix) !== 0) return null;
  var m = /^-(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})-[0-9a-f]+$/.exec(rest);
  return m ? Date.UTC(2000 + +m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : null;
}

// ---------------------------------------------------------------------------------------------------
// RunPod GraphQL through UrlFetchApp (the same mutation text shape the runpod SDK sends)
// ---------------------------------------------------------------------------------------------------

function GqlEnum_(name) { this.name = name; }

/** A GraphQL literal; strings use JSON escapes (valid GraphQL), so quotes/braces/newlines are safe. */
function gqlValue_(v) {
  if (v === null || v === undefined) return 'null';
  if (v instanceof GqlEnum_) return v.name;
  if (Array.isArray(v)) return '[' + v.map(gqlValue_).join(', ') + ']';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!isFinite(v)) throw new Error('not a finite number: ' + v);
    return String(v);
  }
  if (typeof v === 'boolean') return String(v);
  return '{ ' + Object.keys(v).map(function (k) { return k + ': ' + gqlValue_(v[k]); }).join(', ') + ' }';
}

function runpodQuery_(cfg, query) {
  var resp = UrlFetchApp.fetch(cfg.apiUrl, {
    method: 'post',
    contentType: 'application/json',
    headers: { Authorization: 'Bearer ' + cfg.apiKey },
    payload: JSON.stringify({ query: query }),
    muteHttpExceptions: true,
  });
  var code = resp.getResponseCode();
  if (code === 401 || code === 403) throw new Error('RunPod rejected the API key (HTTP ' + code + '); check RUNPOD_API_KEY');
  var body;
  try {
    body = JSON.parse(resp.getContentText());
  } catch (e) {
    throw new Error('RunPod API answered HTTP ' + code + ' with a non-JSON body');
  }
  if (body.errors && body.errors.length) throw new Error(String(body.errors[0].message));
  if (code >= 400) throw new Error('RunPod API answered HTTP ' + code);
  return body.data;
}

var PODS_QUERY = 'query myPods { myself { pods { id name desiredStatus imageName uptimeSeconds costPerHr lastStatusChange machine { gpuDisplayName } } } }';

/** This deployment's pods (name starts with the prefix), alive or recently ended. */
function listPods_(cfg) {
  var data = runpodQuery_(cfg, PODS_QUERY);
  var pods = (data && data.myself && data.myself.pods) || [];
  return pods.filter(function (p) { return String(p.name || '').indexOf(cfg.namePrefix) === 0; });
}

/**
 * One pod for `candidate` (a launchCandidates_ entry, or a GPU type), with the same mutations and
 * inputs as pod_launcher.runpod_launcher.RunpodLauncher._create: deployCpuPod for CPU pods;
 * podRentInterruptable (then podFindAndDeployOnDemand as the fallback) or podFindAndDeployOnDemand for GPU pods.
 */
function deployPod_(cfg, candidate, name, env) {
  var c = typeof candidate === 'string' ? { kind: 'gpu', offer: candidate, where: null, label: candidate } : candidate;
  var input = {
    name: name,
    imageName: cfg.image,
    cloudType: new GqlEnum_(cfg.cloudType),
    containerDiskInGb: cfg.containerDiskGb,
    volumeInGb: 0,
    startSsh: false,
    env: Object.keys(env).map(function (k) { return { key: k, value: env[k] }; }),
  };
  if (c.where) input[c.where[0]] = c.where[1];
  if (cfg.registryAuthId) input.containerRegistryAuthId = cfg.registryAuthId;
  if (c.kind === 'cpu') {
    input.instanceId = c.offer;
    return createPod_(cfg, 'deployCpuPod', input, c.label);
  }
  input.gpuTypeId = c.offer;
  input.gpuCount = 1;
  input.supportPublicIp = false;
  input.minVcpuCount = cfg.gpuMinVcpus;
  input.minMemoryInGb = cfg.gpuMinMemoryGb;
  if (cfg.allowedCudaVersions.length) input.allowedCudaVersions = cfg.allowedCudaVersions.slice();
  if (cfg.interruptible) {
    var refused;
    try {
      var bid = cfg.bidPerGpu || minimumBid_(cfg, c.offer);
      if (!(bid > 0)) throw noCapacityError_('RunPod offers no interruptible ' + c.offer + ' (no minimum bid)');
      input.bidPerGpu = Math.round(bid * 10000) / 10000;
      var spot = createPod_(cfg, 'podRentInterruptable', input, c.label);
      spot.interruptible = true;
      return spot;
    } catch (err) {
      if (!(err.noCapacity || isNoCapacity_(err.message) || /\bbid\b/i.test(err.message))) throw err;
      refused = err.message;
    }
    if (!cfg.interruptibleFallback) throw noCapacityError_(refused);
    delete input.bidPerGpu;
    console.log('RunPod: no interruptible ' + c.label + ' (' + refused + '); renting it on demand');
  }
  return createPod_(cfg, 'podFindAndDeployOnDemand', input, c.label);
}

function createPod_(cfg, mutation, input, label) {
  var q = 'mutation { ' + mutation + '(input: ' + gqlValue_(input) + ') { id name imageName desiredStatus costPerHr machineId } }';
  var pod = runpodQuery_(cfg, q)[mutation];
  if (!pod || !pod.id) throw new Error('RunPod returned no pod for ' + label);
  return pod;
}

function noCapacityError_(message) {
  var err = new Error(message);
  err.noCapacity = true;
  return err;
}

/** RunPod's current minimum bid per GPU-hour for one `gpuType` (the query runpod.get_gpu sends); unknown type: no capacity. */
function minimumBid_(cfg, gpuType) {
  var q = 'query GpuTypes { gpuTypes(input: ' + gqlValue_({ id: gpuType }) + ') { id lowestPrice(input: { gpuCount: 1 }) { minimumBidPrice uninterruptablePrice } } }';
  var types = (runpodQuery_(cfg, q) || {}).gpuTypes || [];
  if (!types.length) throw noCapacityError_('RunPod does not know GPU type ' + gpuType + ' (check RUNPOD_GPU_TYPES)');
  return Number((types[0].lowestPrice || {}).minimumBidPrice || 0);
}

function terminatePod_(cfg, podId) {
  runpodQuery_(cfg, 'mutation { podTerminate(input: ' + gqlValue_({ podId: podId }) + ') }');
}

// ---------------------------------------------------------------------------------------------------
// Drive (Advanced Drive service, v3)
// ---------------------------------------------------------------------------------------------------

var FILE_FIELDS = 'id,name,mimeType,size,md5Checksum,modifiedTime,properties,webViewLink,parents,trashed,shortcutDetails';

function listAll_(q, guard) {
  var files = [];
  var pageToken = null;
  do {
    if (guard && !guard.hasTime(10 * 1000)) throw new Error('run time budget reached while listing Drive');
    var args = {
      q: q,
      fields: 'nextPageToken,files(' + FILE_FIELDS + ')',
      pageSize: 1000,
      supportsAllDrives: true,
      includeItemsFromAllDrives: true,
    };
    if (pageToken) args.pageToken = pageToken;
    var page = Drive.Files.list(args);
    files = files.concat(page.files || []);
    pageToken = page.nextPageToken || null;
  } while (pageToken);
  return files;
}

function quote_(s) {
  return "'" + String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

/** The videos in a folder, as DriveStore.list_videos sees them (shortcuts resolved). */
function listVideosIn_(folderId, guard) {
  return videoItems_(listAll_(quote_(folderId) + ' in parents and trashed = false', guard))
    .map(function (x) { return x.video; });
}

/** Listed items that are videos, as [{item, video}] (shortcuts resolved: one get per shortcut). */
function videoItems_(items) {
  var targets = {};
  items.forEach(function (item) {
    var d = item.shortcutDetails || {};
    if (item.mimeType !== SHORTCUT_MIME || !d.targetId || d.targetId in targets) return;
    if (String(d.targetMimeType || '').indexOf(GOOGLE_APPS_MIME_PREFIX) === 0) return; // a folder or a Doc
    try {
      targets[d.targetId] = Drive.Files.get(d.targetId, { fields: FILE_FIELDS, supportsAllDrives: true });
    } catch (err) {
      targets[d.targetId] = null;
      console.warn('shortcut "' + item.name + '" points to a file that is gone or not shared');
    }
  });
  return items.map(function (item) {
    var d = item.shortcutDetails || {};
    return { item: item, video: toVideo_(item, d.targetId ? targets[d.targetId] : null) };
  }).filter(function (x) { return x.video; });
}

function listInbox_(cfg, guard) {
  return listVideosIn_(cfg.folderId, guard);
}

/**
 * The id of a managed folder (Done, Failed) where DriveStore creates it: inside the hot folder, so
 * everyone it is shared with sees it (STATUS_FOLDERS = 'beside': next to it, in its first parent, or
 * inside when it has none). Cached in Script Properties.
 */
function statusParent_(cfg) {
  if (cfg.statusFolders !== 'beside') return cfg.folderId;
  var hot = Drive.Files.get(cfg.folderId, { fields: 'id,parents', supportsAllDrives: true });
  return (hot.parents && hot.parents[0]) || cfg.folderId;
}

function findFolder_(cfg, name, guard) {
  var props = scriptProps_();
  var key = 'folder:' + cfg.folderId + ':' + (cfg.statusFolders === 'beside' ? 'beside:' : '') + name;
  var cached = props.getProperty(key);
  if (cached) return cached;
  var parent = statusParent_(cfg);
  var found = listAll_(quote_(parent) + ' in parents and name = ' + quote_(name) +
    ' and mimeType = ' + quote_(FOLDER_MIME) + ' and trashed = false', guard);
  if (!found.length) return null; // not created yet: no worker has finished anything
  props.setProperty(key, found[0].id);
  return found[0].id;
}

/**
 * The Drive query for what lies in Done or Failed (null while neither exists), and the Failed folder's
 * id (an item under it is a failure, anything else in the query a success).
 */
function outcomeQuery_(cfg, guard) {
  var done = findFolder_(cfg, cfg.doneFolder, guard);
  var failed = findFolder_(cfg, cfg.failedFolder, guard);
  var parents = [done, failed].filter(function (id) { return id; }).map(function (id) { return quote_(id) + ' in parents'; });
  if (!parents.length) return null;
  return { q: (parents.length > 1 ? '(' + parents.join(' or ') + ')' : parents[0]) + ' and trashed = false', failedId: failed };
}

/** [{item, video, failed}] for the video items of a Done/Failed listing. */
function outcomeItems_(items, failedId) {
  return videoItems_(items).map(function (x) {
    x.failed = !!failedId && (x.item.parents || []).indexOf(failedId) >= 0;
    return x;
  });
}

/**
 * Where a look for outcomes starts: the last look (at most OUTCOME_FIRST_LOOK_MS back; that far on the
 * first run) less `marginMs`, for Drive's search index catching up and worker clocks that run behind.
 */
function outcomeWindowStart_(sinceMs, nowMs, marginMs) {
  var since = (sinceMs === null || sinceMs === undefined || sinceMs < nowMs - OUTCOME_FIRST_LOOK_MS)
    ? nowMs - OUTCOME_FIRST_LOOK_MS : Math.min(sinceMs, nowMs);
  return since - marginMs;
}

/** The overlap between two looks: 10 minutes, or two trigger intervals when that is longer. */
function outcomeMarginMs_(cfg) {
  return Math.max(10 * 60 * 1000, 2 * cfg.triggerMinutes * 60 * 1000);
}

/** What arrived in Done/Failed (or changed there) after `startMs`: one windowed query, paged only by what arrived. */
function listOutcomes_(cfg, startMs, guard) {
  var oq = outcomeQuery_(cfg, guard);
  if (!oq) return [];
  return outcomeItems_(listAll_(oq.q + ' and modifiedTime > ' + quote_(formatTime_(startMs)), guard), oq.failedId);
}

// ---------------------------------------------------------------------------------------------------
// Script Properties state: settle observations, launched pods, mail dedupe, usage
// ---------------------------------------------------------------------------------------------------

function scriptProps_() {
  return PropertiesService.getScriptProperties();
}

function readPrefixed_(prefix) {
  var all = scriptProps_().getProperties();
  var out = {};
  Object.keys(all).forEach(function (k) {
    if (k.indexOf(prefix) === 0) {
      try { out[k.slice(prefix.length)] = JSON.parse(all[k]); } catch (e) { /* a damaged entry is dropped */ }
    }
  });
  return out;
}

/** Replaces every `prefix*` property with `values` (one JSON value per key: 9 KB limit per value). */
function writePrefixed_(prefix, values, old) {
  var props = scriptProps_();
  var batch = {};
  Object.keys(values).forEach(function (k) { batch[prefix + k] = JSON.stringify(values[k]); });
  if (Object.keys(batch).length) props.setProperties(batch, false);
  Object.keys(old).forEach(function (k) { if (!(k in values)) props.deleteProperty(prefix + k); });
}

function dayKey_(nowMs) {
  return 'usage:' + formatTime_(nowMs).slice(0, 10);
}

function usedToday_(nowMs) {
  return Number(scriptProps_().getProperty(dayKey_(nowMs)) || 0);
}

function addUsage_(nowMs, ms) {
  var props = scriptProps_();
  var key = dayKey_(nowMs);
  props.setProperty(key, String(usedToday_(nowMs) + ms));
  props.getKeys().forEach(function (k) { if (k.indexOf('usage:') === 0 && k !== key) props.deleteProperty(k); });
}

// ---------------------------------------------------------------------------------------------------
// The poll
// ---------------------------------------------------------------------------------------------------

/** One watcher cycle: reap, then launch if needed, then notify. Returns a summary (also stored). */
function poll_(source) {
  var startedMs = Date.now();
  var props = scriptProps_();
  var cfg = readConfig_(props.getProperties());
  if (source === 'trigger' && !dailyBudgetLeft_(usedToday_(startedMs), cfg.dailyBudgetMs, cfg.runBudgetMs)) {
    return record_({ at: formatTime_(startedMs), source: source, skipped: 'daily trigger time budget used up (DAILY_BUDGET_SECONDS)' });
  }
  var lock = LockService.getScriptLock();
  if (!lock.tryLock(5000)) {
    return { at: formatTime_(startedMs), source: source, skipped: 'another run is in progress' };
  }
  var summary = { at: formatTime_(startedMs), source: source, processable: [], reaped: [], launched: null, mails: 0, errors: [] };
  try {
    var guard = newGuard_(startedMs, cfg.runBudgetMs);
    var nowMs = Date.now();

    // The inbox and the settle observations.
    var videos = listInbox_(cfg, guard);
    var oldObs = readPrefixed_('settle:');
    var sel = selectProcessable_(videos, oldObs, nowMs, cfg.settleSeconds, cfg.maxAttempts);
    writePrefixed_('settle:', sel.observations, oldObs);
    summary.processable = sel.process;
    summary.waiting = sel.waiting;
    summary.exhausted = sel.exhausted;

    // Workers: reap first, then decide about launching. A RunPod outage must not stop the e-mails.
    try {
      manageWorkers_(cfg, props, guard, videos, sel, nowMs, summary);
    } catch (err) {
      summary.errors.push(err.message);
      console.error('workers: ' + err.message);
    }

    // E-mails: batch start, done, failed — each once.
    var extra = [];
    if (summary.launched) {
      var names = videos.filter(function (v) { return sel.ids.indexOf(v.id) >= 0; }).map(function (v) { return v.name; });
      extra.push(batchStartEvent_(summary.launched, names, sel.ids));
    }
    if (guard.hasTime(STEP_RESERVE_MS)) summary.mails += notifyStateChanges_(cfg, guard, { extra: extra });
    else summary.mails += sendOnce_(cfg, extra, guard);
  } catch (err) {
    summary.errors.push(err.message);
    console.error('poll failed: ' + err.message);
  } finally {
    var took = Date.now() - startedMs;
    summary.took_ms = took;
    if (source === 'trigger') addUsage_(startedMs, took);
    lock.releaseLock();
  }
  return record_(summary);
}

/** Reaps pods past their lifetime or idle, then launches one if there is work and none is alive. */
function manageWorkers_(cfg, props, guard, videos, sel, nowMs, summary) {
  var launched = readPrefixed_('pod:');
  var pods = listPods_(cfg);
  var reap = podsToReap_(pods, launched, workerActivity_(videos, cfg.leaseSeconds), nowMs, cfg.maxLifetimeMs, cfg.idleTimeoutMs, cfg.namePrefix);
  var reapedIds = {};
  reap.forEach(function (r) {
    if (!guard.hasTime(STEP_RESERVE_MS)) return;
    try {
      terminatePod_(cfg, r.pod.id);
      reapedIds[r.pod.id] = true;
      summary.reaped.push({ id: r.pod.id, name: r.pod.name, reason: r.reason });
      console.log('terminated ' + r.pod.name + ': ' + r.reason);
    } catch (err) {
      summary.errors.push('terminate ' + r.pod.name + ': ' + err.message);
    }
  });
  var listed = {};
  pods.forEach(function (p) { listed[p.id] = true; });
  Object.keys(launched).forEach(function (id) {
    // A recorded pod RunPod no longer lists (after the grace) or that was reaped is gone.
    if (reapedIds[id] || (!listed[id] && nowMs - launched[id].at >= LAUNCH_GRACE_MS)) delete launched[id];
    else if (listed[id]) {
      var p = pods.filter(function (x) { return x.id === id; })[0];
      if (!isAlive_(p)) delete launched[id];
    }
  });
  var alive = pods.filter(function (p) { return isAlive_(p) && !reapedIds[p.id]; });
  var retryAt = Number(props.getProperty('launch:retry_at') || 0);
  // An exhausted claim needs a worker too: its queue marks it failed (this script only reads Drive).
  var decision = launchDecision_(sel.process.length + sel.exhausted.length, alive, launched, nowMs, retryAt, cfg.podKind);
  summary.decision = decision.reason;
  if (decision.launch) {
    var env = buildPodEnv_(cfg);
    var name = podName_(cfg.namePrefix, nowMs);
    var res = launchWithFallback_(launchCandidates_(cfg), function (c) { return deployPod_(cfg, c, name, env); }, guard);
    if (res.pod) {
      // Record the pod before anything else can fail or time out.
      launched[res.pod.id] = { at: Date.now(), name: name, gpu: res.gpuType };
      props.setProperty('pod:' + res.pod.id, JSON.stringify(launched[res.pod.id]));
      props.deleteProperty('launch:retry_at');
      summary.launched = { id: res.pod.id, name: name, gpu: res.gpuType, kind: cfg.podKind, where: res.candidate.where ? res.candidate.where[1] : null,
        interruptible: !!res.pod.interruptible, costPerHr: typeof res.pod.costPerHr === 'number' ? res.pod.costPerHr : null, tried: res.tried };
      console.log('launched ' + name + ' (' + res.pod.id + ') on ' + res.candidate.label + ' (' + cfg.podKind.toUpperCase() +
        (res.pod.interruptible ? ', interruptible' : '') + ')');
    } else if (res.noCapacity) {
      props.setProperty('launch:retry_at', String(Date.now() + cfg.retryAfterMs));
      summary.errors.push(res.error + '; retrying after ' + Math.round(cfg.retryAfterMs / 1000) + ' s');
      console.warn(res.error);
    } else {
      // The request may have created the pod before its answer was lost: find it by its unique name.
      var found = null;
      if (res.tried.length && !res.outOfTime && guard.hasTime(STEP_RESERVE_MS)) {
        try { found = listPods_(cfg).filter(function (p) { return p.name === name; })[0] || null; } catch (e) { found = null; }
      }
      if (found) {
        launched[found.id] = { at: Date.now(), name: name, gpu: typeof res.candidate === 'string' ? res.candidate : res.candidate.offer };
        props.setProperty('pod:' + found.id, JSON.stringify(launched[found.id]));
        summary.launched = { id: found.id, name: name, gpu: launched[found.id].gpu, tried: res.tried };
        console.warn('RunPod answered "' + res.error + '", but pod ' + found.id + ' (' + name + ') was created');
      } else {
        summary.errors.push('launch: ' + res.error);
        console.error('launch failed: ' + res.error);
      }
    }
  }
  writePrefixed_('pod:', launched, readPrefixed_('pod:'));
}

/** Stores the run's summary for the status page (long id lists are cut to stay under 9 KB). */
function record_(summary) {
  var stored = {};
  Object.keys(summary).forEach(function (k) {
    var v = summary[k];
    stored[k] = Array.isArray(v) && v.length > 20 ? v.slice(0, 20).concat(['… ' + (v.length - 20) + ' more']) : v;
  });
  var text = JSON.stringify(stored);
  if (text.length > 8000) text = JSON.stringify({ at: summary.at, source: summary.source, decision: summary.decision, skipped: summary.skipped, errors: ['(summary too long to store)'] });
  scriptProps_().setProperty('last_run', text);
  return summary;
}

// ---------------------------------------------------------------------------------------------------
// E-mail
// ---------------------------------------------------------------------------------------------------

function fileLink_(id) {
  return 'https://drive.google.com/file/d/' + encodeURIComponent(id) + '/view';
}

/** 32-bit FNV-1a of a string, as 8 hex digits: a short, stable dedupe key. */
function fnv1a_(text) {
  var h = 0x811c9dc5;
  for (var i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return ('0000000' + h.toString(16)).slice(-8);
}

/**
 * Keyed by the set of videos, not the pod: when a pod dies and another is started for the same videos,
 * people are not told twice.
 */
function batchStartEvent_(launched, names, ids) {
  var list = names.map(function (n) { return '  - ' + n; }).join('\n');
  return {
    key: 'start:' + fnv1a_(ids.slice().sort().join('\n')),
    subject: 'Hot folder: processing ' + names.length + ' video(s)',
    body: 'A worker (' + launched.name + ', ' + launched.gpu + ') was started for:\n' + list +
      '\n\nReports will appear in the Reports folder; you get one e-mail per video.',
  };
}

// The worker's short verdict codes (hf_verdicts "part=code;...") in words, as the Python watcher's mail.
var VERDICT_WORDS = { ok: 'acceptable', cond: 'conditionally acceptable', bad: 'unacceptable', na: 'not assessed',
  k1: 'category 1', k2: 'category 2', k3: 'category 3', k4: 'category 4' };

function verdictLines_(properties) {
  var p = properties || {};
  var out = [];
  if (p.hf_verdict) out.push('Overall: ' + String(p.hf_verdict).replace(/_/g, ' '));
  String(p.hf_verdicts || '').split(';').forEach(function (item) {
    var i = item.indexOf('=');
    if (i < 0) return;
    var part = item.slice(0, i).trim(), code = item.slice(i + 1).trim();
    if (!part || !code) return;
    part = part.replace(/_/g, ' ');
    out.push(part.charAt(0).toUpperCase() + part.slice(1) + ': ' + (VERDICT_WORDS[code] || code.replace(/_/g, ' ')));
  });
  return out;
}

function doneEvent_(v) {
  var st = videoState_(v.properties);
  var link = st.reportId ? fileLink_(st.reportId) : '(no report id recorded)';
  var findings = verdictLines_(v.properties);
  return {
    key: 'done:' + v.id,
    subject: 'Hot folder: report ready for ' + v.name,
    body: 'The ergonomics report for "' + v.name + '" is ready:\n' + link + '\n' +
      (findings.length ? '\nKey findings:\n' + findings.map(function (l) { return '  - ' + l; }).join('\n') + '\n' : ''),
  };
}

function failedEvent_(v, cfg) {
  var st = videoState_(v.properties);
  return {
    key: 'failed:' + v.id,
    subject: 'Hot folder: ' + v.name + ' failed',
    body: '"' + v.name + '" could not be processed after ' + st.attempts + ' attempt(s): ' + (st.error || 'unknown reason') +
      '.\nThe video was moved to the "' + cfg.failedFolder + '" folder with "' + v.name.replace(/\.[^.]*$/, '') +
      ' - error.txt" explaining why and what to do. To try again after fixing the cause, drop a fresh copy of ' +
      'the video into the hot folder (a new file starts with a clean state).',
  };
}

/**
 * Collects done/failed events from what arrived in Done/Failed since the last look (one windowed query)
 * and sends the new ones. A baseline (setup() on a fresh installation) marks what the next window would
 * show as announced instead and starts the watch now: earlier results are never announced. Returns the
 * number sent or marked; a baseline on an installation that has looked before does nothing (null).
 */
function notifyStateChanges_(cfg, guard, opts) {
  var props = scriptProps_();
  var nowMs = Date.now();
  var lastLook = parseTime_(props.getProperty(OUTCOMES_SINCE_KEY));
  if (opts.baseline && lastLook !== null) return null;
  var marginMs = outcomeMarginMs_(cfg);
  var startMs = opts.baseline ? nowMs - marginMs : outcomeWindowStart_(lastLook, nowMs, marginMs);
  var events = [];
  var listedAt = {};
  listOutcomes_(cfg, startMs, guard).forEach(function (x) {
    var st = videoState_(x.video.properties);
    var state = st.state;
    // finished before any look could still announce it (its key may be gone): changed since, not news
    if (st.finishedAt !== null && st.finishedAt < nowMs - OUTCOME_KEY_KEEP_MS) return;
    var ev = x.failed ? (state === 'failed' ? failedEvent_(x.video, cfg) : null) : (state === 'done' ? doneEvent_(x.video) : null);
    if (!ev) return;
    events.push(ev);
    listedAt[ev.key] = parseTime_(x.item.modifiedTime);
  });
  pruneMailKeys_(nowMs);
  if (opts.baseline) {
    var fresh = unsentEvents_(events, readPrefixed_('mail:'));
    var batch = {};
    fresh.forEach(function (ev) { batch['mail:' + ev.key] = JSON.stringify({ at: formatTime_(nowMs), baseline: true }); });
    batch[OUTCOMES_SINCE_KEY] = formatTime_(nowMs);
    props.setProperties(batch, false);
    return fresh.length;
  }
  var sent = sendOnce_(cfg, (opts.extra || []).concat(events), guard);
  // The next look starts at this one, or earlier while an outcome still waits for its e-mail (a failed
  // send, the daily quota, the run's time budget), so that it is still in the next window.
  var next = nowMs;
  unsentEvents_(events, readPrefixed_('mail:')).forEach(function (ev) {
    if (listedAt[ev.key] !== null) next = Math.min(next, listedAt[ev.key]);
  });
  props.setProperty(OUTCOMES_SINCE_KEY, formatTime_(next));
  return sent;
}

/**
 * Keeps the dedupe store small (Script Properties hold 500 KB) by age alone, never by listing the folders:
 * a done/failed key goes after OUTCOME_KEY_KEEP_MS (longer than any window that can show its video), a
 * batch-start key after a week. A video changed in Done/Failed (renamed, say) after its key went is in the
 * window again; the worker's hf_finished_at (when it became done or failed) tells it is old news
 * (notifyStateChanges_), since no look reaches further back than OUTCOME_FIRST_LOOK_MS.
 */
function pruneMailKeys_(nowMs) {
  var sent = readPrefixed_('mail:');
  var props = scriptProps_();
  Object.keys(sent).forEach(function (key) {
    var at = parseTime_(sent[key] && sent[key].at);
    var keep = key.indexOf('start:') === 0 ? START_KEY_KEEP_MS : OUTCOME_KEY_KEEP_MS;
    if (at === null || nowMs - at > keep) props.deleteProperty('mail:' + key);
  });
}

/** Sends each event not sent before; marks it right after sending. A failed send is retried next run. */
function sendOnce_(cfg, events, guard) {
  var fresh = unsentEvents_(events, readPrefixed_('mail:'));
  if (!fresh.length) return 0;
  var to = cfg.recipients.length ? cfg.recipients.join(',') : Session.getEffectiveUser().getEmail();
  var sent = 0;
  for (var i = 0; i < fresh.length; i++) {
    if (guard && !guard.hasTime(15 * 1000)) break;
    if (MailApp.getRemainingDailyQuota() < 1) {
      console.warn('MailApp daily quota used up; ' + (fresh.length - i) + ' e-mail(s) wait for tomorrow');
      break;
    }
    try {
      MailApp.sendEmail({ to: to, subject: fresh[i].subject, body: fresh[i].body, name: 'ergo hot folder' });
    } catch (err) {
      console.error('mail "' + fresh[i].subject + '" failed: ' + err.message);
      continue;
    }
    scriptProps_().setProperty('mail:' + fresh[i].key, JSON.stringify({ at: formatTime_(Date.now()) }));
    sent++;
  }
  return sent;
}

// ---------------------------------------------------------------------------------------------------
// Triggers
// ---------------------------------------------------------------------------------------------------

function removeTriggers_() {
  var n = 0;
  ScriptApp.getProjectTriggers().forEach(function (t) {
    if (t.getHandlerFunction() === TRIGGER_HANDLER) {
      ScriptApp.deleteTrigger(t);
      n++;
    }
  });
  return n;
}

/** Exactly one time-driven trigger calling onTrigger every `minutes`. */
function installTrigger_(minutes) {
  removeTriggers_();
  return ScriptApp.newTrigger(TRIGGER_HANDLER).timeBased().everyMinutes(minutes).create();
}

// ---------------------------------------------------------------------------------------------------
// Status and the web page
// ---------------------------------------------------------------------------------------------------

/** Everything the page shows; never a secret (the API key is reported only as set/unset). */
function collectStatus_() {
  var props = scriptProps_();
  var all = props.getProperties();
  var status = { config: {}, problems: null, videos: [], pods: [], lastRun: null, trigger: null, usedTodayS: 0, olderInFolders: false };
  Object.keys(CONFIG_KEYS).forEach(function (k) {
    if (CONFIG_KEYS[k][1] === 'secret') status.config[k] = all[k] ? 'set' : 'NOT SET';
    else status.config[k] = all[k] || CONFIG_KEYS[k][0];
  });
  var trig = ScriptApp.getProjectTriggers().filter(function (t) { return t.getHandlerFunction() === TRIGGER_HANDLER; });
  status.trigger = trig.length ? 'every ' + (all.TRIGGER_MINUTES || CONFIG_KEYS.TRIGGER_MINUTES[0]) + ' min' : 'not installed (run setup)';
  status.usedTodayS = Math.round(usedToday_(Date.now()) / 1000);
  try { status.lastRun = all.last_run ? JSON.parse(all.last_run) : null; } catch (e) { status.lastRun = null; }
  var cfg;
  try {
    cfg = readConfig_(all);
  } catch (err) {
    status.problems = err.message;
    return status;
  }
  var nowMs = Date.now();
  var guard = newGuard_(nowMs, cfg.runBudgetMs);
  try {
    var obs = readPrefixed_('settle:');
    var inbox = listInbox_(cfg, guard);
    var sel = selectProcessable_(inbox, obs, nowMs, cfg.settleSeconds, cfg.maxAttempts);
    inbox.forEach(function (v) {
      var st = videoState_(v.properties);
      var shown = st.state;
      if (st.state === 'claimed' && !isClaimable_(st, nowMs)) shown = 'processing';
      else if (sel.process.indexOf(v.id) >= 0) shown = 'ready';
      else if (sel.waiting.indexOf(v.id) >= 0) shown = 'settling';
      else if (sel.exhausted.indexOf(v.id) >= 0) shown = 'attempts used up (to be failed)';
      status.videos.push({ name: v.name, state: shown, progress: st.progress, link: v.link });
    });
    recentOutcomes_(cfg, guard, status).forEach(function (x) {
      var v = x.video, st = videoState_(v.properties);
      if (x.failed) status.videos.push({ name: v.name, state: 'failed', error: st.error, link: v.link });
      else status.videos.push({ name: v.name, state: 'done', report: st.reportId ? fileLink_(st.reportId) : null, link: v.link });
    });
  } catch (err) {
    status.problems = 'Drive: ' + err.message;
  }
  try {
    var launched = readPrefixed_('pod:');
    listPods_(cfg).forEach(function (p) {
      var started = podStartedMs_(p, launched, nowMs, cfg.namePrefix);
      var upS = started === null ? null : Math.round((nowMs - started) / 1000);
      status.pods.push({
        id: p.id, name: p.name, status: p.desiredStatus, gpu: (p.machine && p.machine.gpuDisplayName) || (launched[p.id] && launched[p.id].gpu) || null,
        uptimeS: upS, costUsd: (upS !== null && typeof p.costPerHr === 'number') ? Math.round(p.costPerHr * upS / 36) / 100 : null,
      });
    });
  } catch (err) {
    status.problems = (status.problems ? status.problems + '; ' : '') + 'RunPod: ' + err.message;
  }
  return status;
}

/**
 * The RECENT_SHOWN most recently finished videos, newest first, from one page of one query (never the
 * folders in full). Whether older ones exist is known (status.olderInFolders); how many is not.
 */
function recentOutcomes_(cfg, guard, status) {
  var oq = outcomeQuery_(cfg, guard);
  if (!oq) return [];
  var page = Drive.Files.list({
    q: oq.q,
    fields: 'nextPageToken,files(' + FILE_FIELDS + ')',
    orderBy: 'modifiedTime desc',
    pageSize: RECENT_PAGE_SIZE,
    supportsAllDrives: true,
    includeItemsFromAllDrives: true,
  });
  var found = outcomeItems_(page.files || [], oq.failedId);
  status.olderInFolders = found.length > RECENT_SHOWN || !!page.nextPageToken;
  return found.slice(0, RECENT_SHOWN);
}

function esc_(s) {
  return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, function (c) {
    return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
  });
}

function link_(href, text) {
  return /^https:\/\//.test(href || '') ? '<a href="' + esc_(href) + '" target="_blank" rel="noopener">' + esc_(text) + '</a>' : esc_(text);
}

/** The status block (also what checkNow returns to replace it). */
function renderStatusHtml_(status, result) {
  var h = [];
  if (result) {
    var what = result.skipped ? 'skipped: ' + result.skipped
      : (result.launched ? 'launched ' + result.launched.name + ' on ' + result.launched.gpu : (result.decision || 'done'));
    h.push('<p class="note">Check finished: ' + esc_(what) + (result.errors && result.errors.length ? ' — ' + esc_(result.errors.join('; ')) : '') + '</p>');
  }
  if (status.problems) h.push('<p class="err">' + esc_(status.problems) + '</p>');
  h.push('<h2>Videos</h2>');
  if (!status.videos.length) h.push('<p>No videos.</p>');
  else {
    h.push('<table><tr><th>Video</th><th>State</th><th></th></tr>');
    status.videos.forEach(function (v) {
      var extra = v.state === 'processing' && v.progress !== null ? v.progress + ' %'
        : (v.report ? link_(v.report, 'report') : (v.error ? esc_(v.error) : ''));
      h.push('<tr><td>' + link_(v.link, v.name) + '</td><td>' + esc_(v.state) + '</td><td>' + extra + '</td></tr>');
    });
    h.push('</table>');
  }
  if (status.olderInFolders) h.push('<p>Only the ' + RECENT_SHOWN + ' most recent finished videos are shown; older ones are in the Done and Failed folders.</p>');
  h.push('<h2>Workers</h2>');
  if (!status.pods.length) h.push('<p>No worker pods.</p>');
  else {
    h.push('<table><tr><th>Pod</th><th>Status</th><th>GPU</th><th>Uptime</th><th>Cost</th></tr>');
    status.pods.forEach(function (p) {
      h.push('<tr><td>' + esc_(p.name) + '</td><td>' + esc_(p.status) + '</td><td>' + esc_(p.gpu) + '</td><td>' +
        (p.uptimeS === null ? '' : Math.round(p.uptimeS / 60) + ' min') + '</td><td>' + (p.costUsd === null ? '' : '$' + p.costUsd.toFixed(2)) + '</td></tr>');
    });
    h.push('</table>');
  }
  h.push('<h2>Watcher</h2><p>Trigger: ' + esc_(status.trigger) + '; trigger time used today: ' + esc_(status.usedTodayS) + ' s</p>');
  if (status.lastRun) {
    var r = status.lastRun;
    h.push('<p>Last run ' + esc_(r.at) + ' (' + esc_(r.source) + '): ' + esc_(r.skipped || r.decision || '') +
      (r.errors && r.errors.length ? ' — ' + esc_(r.errors.join('; ')) : '') + '</p>');
  }
  h.push('<details><summary>Settings</summary><table>');
  Object.keys(status.config).forEach(function (k) {
    h.push('<tr><td>' + esc_(k) + '</td><td>' + esc_(status.config[k]) + '</td></tr>');
  });
  h.push('</table></details>');
  return h.join('\n');
}

function renderPage_(status) {
  return '<!DOCTYPE html><html><head>' +
    '<style>body{font-family:sans-serif;margin:1em;max-width:50em}table{border-collapse:collapse;width:100%}' +
    'td,th{border-bottom:1px solid #ddd;padding:.3em;text-align:left}.err{color:#b00}.note{color:#060}' +
    'button{font-size:1.1em;padding:.4em 1em}</style></head><body>' +
    '<h1>ergo hot folder</h1><button id="check" onclick="checkNow()">Check now</button>' +
    '<div id="status">' + renderStatusHtml_(status, null) + '</div>' +
    '<script>function checkNow(){var b=document.getElementById("check");b.disabled=true;b.textContent="Checking…";' +
    'google.script.run.withSuccessHandler(function(html){document.getElementById("status").innerHTML=html;b.disabled=false;b.textContent="Check now";})' +
    '.withFailureHandler(function(e){document.getElementById("status").insertAdjacentHTML("afterbegin","<p class=err>"+String(e.message||e).replace(/</g,"&lt;")+"</p>");b.disabled=false;b.textContent="Check now";})' +
    '.checkNow();}</script></body></html>';
}
