// A small Envoy plugin with no npm dependencies that talks to the Envoy API
// exactly as a plugin built on Envoy's Node.js SDK (@envoy/envoy-integrations-sdk)
// does: it verifies X-Envoy-Signature, logs in at ENVOY_BASE_URL before
// handling a request (Basic auth + JSON body), attaches to the job, runs
// storage pipelines, reads and writes the install config, sends a
// notification, answers 202 and completes the job afterwards.
//
// Every API answer is checked as the SDK's API client checks it: a 2xx
// status and a non-null `data` (with no null element when it is an array);
// anything else throws, as the SDK would.
//
// Run it under the simulator:  envoy-plugin dev -- node plugin.js
'use strict';

const http = require('node:http');
const crypto = require('node:crypto');

const BASE_URL = process.env.ENVOY_BASE_URL;
const CLIENT_ID = process.env.ENVOY_CLIENT_ID;
const CLIENT_SECRET = process.env.ENVOY_CLIENT_SECRET;
const PORT = Number(process.env.PORT || 3000);
const HOST = process.env.HOST || '127.0.0.1';

for (const [name, value] of Object.entries({ ENVOY_BASE_URL: BASE_URL, ENVOY_CLIENT_ID: CLIENT_ID, ENVOY_CLIENT_SECRET: CLIENT_SECRET })) {
  if (!value) {
    console.error(`${name} is not set; run this plugin with: envoy-plugin dev -- node plugin.js`);
    process.exit(1);
  }
}

const EMPTY_STORAGE_ERROR_MESSAGE = 'The data you are looking for may not exist';
const USER_AGENT = 'envoy-integrations-sdk/2.5.0 (envoy-plugin node test plugin)';
const MAX_BODY = 100 * 1000; // body-parser's default limit

// ---- HTTP client (what the SDK's axios instances do) ----

function request(method, path, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const url = new URL(path, BASE_URL);
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(url, { method, headers: { ...headers, ...(data ? { 'Content-Length': data.length } : {}) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = text;
        }
        resolve({ status: res.statusCode, body: json, text });
      });
    });
    req.setTimeout(5000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

// EnvoyPluginAPI.loginAsPlugin: Basic auth and the same credentials in the body.
async function loginAsPlugin() {
  const res = await request('POST', '/a/auth/v0/token', {
    headers: {
      Authorization: 'Basic ' + Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64'),
      'Content-Type': 'application/json',
      Accept: 'application/json, text/plain, */*',
    },
    body: { grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, scope: 'plugin,token.refresh' },
  });
  if (res.status < 200 || res.status > 299) {
    throw new Error(`Request failed with status code ${res.status}: ${res.text}`);
  }
  const { access_token: accessToken, expires_in: expiresIn } = res.body || {};
  if (typeof accessToken !== 'string' || !accessToken || typeof expiresIn !== 'number') {
    throw new Error(`the token endpoint answered no access_token/expires_in: ${res.text}`);
  }
  return { accessToken, expiresIn };
}

// The SDK's API client: vnd.api+json headers, bearer token, and the
// response interceptor that rejects a null data (or a null element).
async function api(token, method, path, body) {
  const res = await request(method, path, {
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/vnd.api+json',
      Accept: 'application/vnd.api+json',
      'User-Agent': USER_AGENT,
    },
    body,
  });
  if (res.status < 200 || res.status > 299) {
    throw new Error(`Request failed with status code ${res.status} (${method} ${path}): ${res.text}`);
  }
  if (!res.body || typeof res.body !== 'object') {
    throw new Error(`${method} ${path}: the answer is not a JSON object: ${res.text}`);
  }
  const { data, included } = res.body;
  (included || []).concat(data).forEach((model) => {
    if (!model) {
      throw new Error(EMPTY_STORAGE_ERROR_MESSAGE);
    }
  });
  return data;
}

// The SDK's objects, reduced to the calls this plugin makes.
function sdk(token, meta) {
  const pluginAPI = {
    updateJob: (jobId, update) => api(token, 'PATCH', `/api/v2/plugin-services/jobs/${jobId}`, update),
    getPluginInstallConfig: (installId) => api(token, 'GET', `/api/v2/plugin-services/installs/${installId}/config`),
    setPluginInstallConfig: (installId, config) => api(token, 'PUT', `/api/v2/plugin-services/installs/${installId}/config`, config),
    storagePipeline: (commands, installId) => {
      const req = { commands };
      if (installId) req.install_id = installId;
      return api(token, 'POST', '/api/v2/plugin-services/storage', req);
    },
    createNotification: (installId, params = {}) => api(token, 'POST', `/api/v2/plugin-services/installs/${installId}/notifications`, params),
  };
  const job = {
    id: meta.job.id,
    execute(status, message, reason, attachments = []) {
      const update = { attachments: attachments.map((a) => ({ type: 'text', ...a })) };
      if (status) update.status = status;
      if (message) update.status_message = message;
      if (reason) update.failure_reason = reason;
      return pluginAPI.updateJob(this.id, update);
    },
    attach(...a) { return this.execute(null, null, null, a); },
    update(message, ...a) { return this.execute(null, message, null, a); },
    complete(message, ...a) { return this.execute('done', message, null, a); },
    fail(message, reason) { return this.execute('failed', message, reason); },
  };
  const pipeline = (installId) => {
    const commands = [];
    const p = {
      get: (key) => (commands.push({ action: 'get', key }), p),
      set: (key, value) => (commands.push({ action: 'set', key, value }), p),
      setUnique: (key, options = {}) => (commands.push({ action: 'set_unique', key, ...options }), p),
      setUniqueNum: (key, options = {}) => (commands.push({ action: 'set_unique_num', key, ...options }), p),
      unset: (key) => (commands.push({ action: 'unset', key }), p),
      list: (page = 1) => (commands.push({ action: 'list', page: page || 1 }), p),
      execute: () => pluginAPI.storagePipeline(commands, installId),
      executeSingle: async () => (await pluginAPI.storagePipeline(commands, installId))[0],
    };
    return p;
  };
  const storage = (installId) => ({
    pipeline: () => pipeline(installId),
    get: (key) => pipeline(installId).get(key).executeSingle(),
    set: (key, value) => pipeline(installId).set(key, value).executeSingle(),
  });
  return { pluginAPI, job, installStorage: storage(meta.install_id), globalStorage: storage(undefined) };
}

// ---- the middleware: body, signature, login ----

let accessToken = null;
let threshold = 0;

function verifySignature(raw, signature) {
  const expected = crypto.createHmac('sha256', CLIENT_SECRET).update(raw).digest('base64');
  // The SDK compares with timingSafeEqual, which throws on a length mismatch.
  return crypto.timingSafeEqual(Buffer.from(String(signature || '')), Buffer.from(expected));
}

function send(res, status, body) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(body));
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request entity too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function middleware(req) {
  const raw = await readBody(req);
  const isJSON = /^application\/json\b/i.test(req.headers['content-type'] || '');
  const body = isJSON && raw.length ? JSON.parse(raw.toString('utf8')) : {};
  const verified = isJSON && verifySignature(raw, req.headers['x-envoy-signature']);
  const now = Date.now();
  if (now > threshold) {
    const t = await loginAsPlugin();
    accessToken = t.accessToken;
    threshold = now + t.expiresIn * 1000 - 1000 * 60 * 10;
    console.log(`logged in at ${BASE_URL} (token expires in ${t.expiresIn}s)`);
  }
  return {
    get meta() {
      if (!verified) throw new Error('Could not verify meta.');
      return body.meta;
    },
    get payload() {
      if (!verified) throw new Error('Could not verify payload.');
      return body.payload;
    },
  };
}

// ---- the worker ----

async function inviteCreated(envoy, res) {
  const { meta, payload } = envoy;
  const { job, installStorage, globalStorage, pluginAPI } = sdk(accessToken, meta);
  const name = (payload && payload.attributes && payload.attributes['full-name']) || 'visitor';

  await job.attach(
    { label: 'Greeting', value: `Hello ${name}` },
    { type: 'password', label: 'Door code', value: '4242' },
    { type: 'json', label: 'Invite', value: { id: payload.id, event: meta.event } },
    { type: 'link', label: 'Docs', value: 'Read the docs', url: 'https://example.com/docs' },
    { type: 'credential_image', label: 'Badge', value: name, title: `${name}'s badge`, image: { type: 's3', link: 'https://example.com/badge.png' } },
  );

  const results = await installStorage.pipeline()
    .set('greeting', { text: `Hello ${name}`, invite: payload.id })
    .get('greeting')
    .setUnique('badge', { chars: 'ABCDEF0123456789', size: 8 })
    .setUniqueNum('visitor_number', { min: 1, max: 1000000 })
    .set('scratch', true)
    .unset('scratch')
    .list(1)
    .execute();
  const [setItem, getItem, badge, number, , removed, list] = results;
  if (getItem.value.text !== setItem.value.text || removed.key !== 'scratch' || !Array.isArray(list)) {
    throw new Error(`storage answered unexpected results: ${JSON.stringify(results)}`);
  }

  // A missing key makes the whole call throw: catch it as SDK users do
  // (isEmptyStorageError).
  let deliveries = 0;
  try {
    const item = await globalStorage.get('deliveries');
    deliveries = item.value;
  } catch (err) {
    if (!String(err.message).includes(EMPTY_STORAGE_ERROR_MESSAGE)) throw err;
  }
  await globalStorage.set('deliveries', deliveries + 1);

  const config = await pluginAPI.getPluginInstallConfig(meta.install_id);
  const saved = await pluginAPI.setPluginInstallConfig(meta.install_id, { LAST_INVITE: payload.id, SCRATCH: null });
  if (saved.LAST_INVITE !== payload.id || 'SCRATCH' in saved) {
    throw new Error(`setPluginInstallConfig answered ${JSON.stringify(saved)}`);
  }
  await pluginAPI.createNotification(meta.install_id, { title: `Invite for ${name}`, message: `badge ${badge.value}` });
  console.log(`job ${job.id}: badge ${badge.value}, visitor #${number.value}, delivery ${deliveries + 1}, config keys ${Object.keys(config).join(',') || '(none)'}`);

  // res.sendOngoing(), then finish the job after answering.
  send(res, 202, { message: 'greeting queued', debugInfo: {} });
  await job.update('sending the greeting');
  // Logged before the call: once the job is done, send-event (and so
  // dev --then) may end and stop this process at any moment.
  console.log(`job ${job.id}: completing`);
  await job.complete(`Greeted ${name}`, { label: 'Badge number', value: badge.value });
}

const routes = {
  '/invite-created': inviteCreated,
  '/entry-sign-in': inviteCreated,
};

const server = http.createServer(async (req, res) => {
  const route = routes[req.url.split('?')[0]];
  if (req.method !== 'POST' || !route) {
    send(res, 404, { message: `no route ${req.method} ${req.url}` });
    return;
  }
  try {
    const envoy = await middleware(req);
    await route(envoy, res);
  } catch (err) {
    // The SDK's error middleware: 500 {message}, or a log line once answered.
    console.error(`PLUGIN ERROR on ${req.url}: ${err.message}`);
    if (!res.headersSent) {
      send(res, 500, { message: err.message });
    }
  }
});

server.listen(PORT, HOST, () => {
  console.log(`node plugin listening on http://${HOST}:${PORT}`);
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.log(`${sig}: stopping`);
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
  });
}
