// Drives LiveLike's web SDK (@livelike/javascript) against a running emulator.
//
// usage: node driver.cjs NODE_MODULES_DIR API_URL CLIENT_ID
//
// API_URL names the emulator as "localhost" while it is bound to 127.0.0.1, so
// the URLs the SDK follows from the config show that the emulator honours the
// Host header. Prints one JSON object: the SDK version and, per scenario, the
// calls the SDK made (method, path, status), what it answered, and how many
// profiles the emulator created meanwhile.
"use strict";

const path = require("path");

const [modules, apiUrl, clientId] = process.argv.slice(2);
const sdkDir = path.join(modules, "@livelike", "javascript");
const endpoint = apiUrl.replace(/\/?$/, "/");
const root = new URL(endpoint).origin;
const realFetch = globalThis.fetch;
const ORIGIN = "https://fan-site.example";
const SAFELISTED = new Set(["accept", "accept-language", "content-language"]);
const SIMPLE_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"];

let calls = [];
let browser = false;

function headersOf(init) {
  const headers = new Headers();
  const given = init && init.headers;
  if (given) {
    const pairs = typeof given[Symbol.iterator] === "function" ? given : Object.entries(given);
    for (const [name, value] of pairs) headers.append(name, value);
  }
  return headers;
}

// What a browser adds for a cross-origin call: a preflight when the request
// is not "simple", the Origin header, and a check of Access-Control-Allow-Origin.
async function browserFetch(url, init, headers) {
  const method = (init.method || "GET").toUpperCase();
  const unsafe = [];
  for (const [name, value] of headers) {
    const simpleType = name === "content-type" && SIMPLE_TYPES.includes(value.split(";")[0].trim());
    if (!SAFELISTED.has(name) && !simpleType) unsafe.push(name);
  }
  if (unsafe.length || !["GET", "HEAD", "POST"].includes(method)) {
    const preflight = await realFetch(url, {
      method: "OPTIONS",
      headers: {
        Origin: ORIGIN,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": unsafe.sort().join(","),
      },
    });
    const allowOrigin = preflight.headers.get("access-control-allow-origin");
    const methods = (preflight.headers.get("access-control-allow-methods") || "").split(",");
    const allowed = (preflight.headers.get("access-control-allow-headers") || "")
      .split(",")
      .map((name) => name.trim().toLowerCase());
    calls.push({ method: "OPTIONS", path: new URL(url).pathname, status: preflight.status });
    const ok =
      preflight.ok &&
      (allowOrigin === "*" || allowOrigin === ORIGIN) &&
      (["GET", "HEAD", "POST"].includes(method) || methods.map((m) => m.trim()).includes(method)) &&
      unsafe.every((name) => allowed.includes(name));
    if (!ok) throw new TypeError(`Failed to fetch: CORS preflight refused ${method} ${url}`);
  }
  headers.set("Origin", ORIGIN);
  const response = await realFetch(url, { ...init, headers });
  const allowOrigin = response.headers.get("access-control-allow-origin");
  if (allowOrigin !== "*" && allowOrigin !== ORIGIN) {
    throw new TypeError(`Failed to fetch: no Access-Control-Allow-Origin on ${method} ${url}`);
  }
  return response;
}

// Installed before the SDK is loaded: the SDK keeps a reference to globalThis.fetch.
globalThis.fetch = async function recordingFetch(url, init = {}) {
  const headers = headersOf(init);
  const target = String(url);
  const response = browser
    ? await browserFetch(target, init, headers)
    : await realFetch(target, { ...init, headers });
  const parsed = new URL(target);
  calls.push({
    method: (init.method || "GET").toUpperCase(),
    url: target,
    path: parsed.pathname,
    status: response.status,
    auth: headers.has("authorization") ? headers.get("authorization").split(" ")[0] : null,
  });
  return response;
};

// A minimal localStorage, and the storage strategy the engagement SDK uses on it.
const store = new Map();
globalThis.localStorage = {
  getItem: (key) => (store.has(key) ? store.get(key) : null),
  setItem: (key, value) => store.set(key, String(value)),
  removeItem: (key) => store.delete(key),
  clear: () => store.clear(),
};
function storageFor(id) {
  const key = `livelike-user-auth-${id}`;
  return {
    get: () => JSON.parse(localStorage.getItem(key) || "null") || undefined,
    set: (profile) => localStorage.setItem(key, JSON.stringify(profile)),
  };
}

// A fresh copy of the SDK (its module state is global), with console noise muted.
function freshSdk() {
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(sdkDir)) delete require.cache[key];
  }
  return require(sdkDir);
}

async function control(method, name, body) {
  const response = await realFetch(`${root}/_emulator/${name}`, {
    method,
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`control ${name} answered ${response.status}`);
  return response.json();
}

async function created() {
  return (await control("GET", "stats")).profiles_created_total;
}

const results = [];

async function scenario(name, action) {
  calls = [];
  const before = await created();
  const result = { name, calls };
  const quiet = { error: console.error, warn: console.warn, debug: console.debug };
  console.error = console.warn = console.debug = () => {};
  try {
    result.answer = await action();
    result.ok = true;
  } catch (error) {
    result.ok = false;
    result.error =
      error && typeof error === "object" && "status" in error
        ? { status: error.status, message: error.message, detail: error.errorDetail }
        : String(error && error.message ? error.message : error);
  } finally {
    Object.assign(console, quiet);
    browser = false;
  }
  result.created = (await created()) - before;
  results.push(result);
  return result;
}

function summary(profile) {
  return {
    id: profile.id,
    nickname: profile.nickname,
    custom_data: profile.custom_data,
    has_token: Boolean(profile.access_token),
  };
}

async function main() {
  const version = require(path.join(sdkDir, "package.json")).version;
  let saved;

  const first = await scenario("init without a token", async () => {
    const sdk = freshSdk();
    const profile = await sdk.init({ clientId, endpoint, storageStrategy: storageFor(clientId) });
    saved = profile;
    return summary(profile);
  });

  await scenario("init with the saved token", async () => {
    const sdk = freshSdk();
    const profile = await sdk.init({ clientId, endpoint, storageStrategy: storageFor(clientId) });
    return summary(profile);
  });

  await scenario("update nickname and custom_data", async () => {
    const sdk = freshSdk();
    await sdk.init({ clientId, endpoint, storageStrategy: storageFor(clientId) });
    const profile = await sdk.updateUserProfile({
      accessToken: saved.access_token,
      options: { nickname: "Conformance", custom_data: '{"team":"blue"}' },
    });
    return summary(profile);
  });

  await scenario("create a profile", async () => {
    const sdk = freshSdk();
    await sdk.init({ clientId, endpoint, storageStrategy: storageFor(clientId) });
    return summary(await sdk.createUserProfile({ nickname: "Second" }));
  });

  await scenario("get by token and by id", async () => {
    const sdk = freshSdk();
    await sdk.init({ clientId, endpoint, storageStrategy: storageFor(clientId) });
    const byToken = await sdk.getUserProfile({ accessToken: saved.access_token });
    const byId = await sdk.getUserProfile({ profileId: saved.id });
    return { by_token: summary(byToken), by_id: summary(byId) };
  });

  await scenario("init with a stale token", async () => {
    const sdk = freshSdk();
    const stale = { ...saved, access_token: "eyJhbGciOiJIUzI1NiJ9.e30.c3RhbGU" };
    const storage = storageFor(`${clientId}-stale`);
    storage.set(stale);
    return summary(await sdk.init({ clientId, endpoint, storageStrategy: storage }));
  });

  await scenario("503 while validating the saved token", async () => {
    await control("POST", "faults", { route: "get_profile", status: 503 });
    const sdk = freshSdk();
    return summary(await sdk.init({ clientId, endpoint, storageStrategy: storageFor(clientId) }));
  });

  await scenario("unknown client id", async () => {
    const sdk = freshSdk();
    const typo = `${clientId}-typo`;
    return summary(await sdk.init({ clientId: typo, endpoint, storageStrategy: storageFor(typo) }));
  });

  await scenario("browser origin through CORS", async () => {
    browser = true;
    const sdk = freshSdk();
    const storage = storageFor(`${clientId}-browser`);
    const profile = await sdk.init({ clientId, endpoint, storageStrategy: storage });
    const updated = await sdk.updateUserProfile({
      accessToken: profile.access_token,
      options: { nickname: "Browser" },
    });
    await sdk.getUserProfile({ profileId: profile.id });
    return summary(updated);
  });

  const urls = results.flatMap((result) => result.calls.map((call) => call.url).filter(Boolean));
  process.stdout.write(
    JSON.stringify({
      sdk: "@livelike/javascript",
      version,
      first_profile_id: first.answer && first.answer.id,
      all_urls_on_endpoint_host: urls.every((url) => url.startsWith(root + "/")),
      urls_called: urls.length,
      results,
    }) + "\n",
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`driver failed: ${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
  },
);
