// API contract test: drives the real gateway binary (against the real
// upstream simulator over TLS) through every route and every error it can be
// made to produce, and validates each answer against docs/openapi.yaml:
// the status must be documented for the operation, the documented required
// headers present and well-formed, the body valid against the documented
// schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses). At the end, every
// documented operation must have been exercised.
//
// The cases are a table: add a row to cover a new route or error. The admin
// API rows run when this build knows `admin.token_env` (checked with
// --check-config); otherwise they are reported as skipped.
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import YAML from "yaml";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkConfig, rawRequest, startProcess } from "../support/gateway_processes.mjs";

const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set`);
  return process.env[name];
};
const source = env("CKG_SOURCE_DIR");
const pki = env("CKG_TEST_PKI_DIR");
const manifest = JSON.parse(fs.readFileSync(path.join(env("CKG_TOKENS_DIR"), "manifest.json"), "utf8"));
const token = (user) => manifest.users[user];

let passed = 0, failed = 0;
const check = (ok, what) => { ok ? passed++ : failed++; if (!ok) console.log(`FAIL ${what}`); return ok; };

// ---- The document ---------------------------------------------------------

const doc = YAML.parse(fs.readFileSync(path.join(source, "docs/openapi.yaml"), "utf8"));
const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv);
ajv.addSchema(doc, "openapi.yaml");

const escape = (s) => s.replace(/~/g, "~0").replace(/\//g, "~1");
// Follows a $ref (local to the document) and returns the node and its pointer.
function deref(node, pointer) {
  while (node && node.$ref) {
    pointer = node.$ref.slice(1);
    node = pointer.split("/").slice(1)
      .reduce((n, k) => (n === undefined ? n : n[k.replace(/~1/g, "/").replace(/~0/g, "~")]), doc);
  }
  return { node, pointer };
}
const validators = new Map();
function validatorAt(pointer) {
  if (!validators.has(pointer)) validators.set(pointer, ajv.compile({ $ref: `openapi.yaml#${pointer}` }));
  return validators.get(pointer);
}

const templates = Object.keys(doc.paths).map((t) => ({
  template: t,
  regex: new RegExp("^" + t.replace(/\{[^}]+\}/g, "[^/]+") + "$"),
}));
function operationOf(method, target) {
  const p = target.split("?")[0];
  const found = templates.find((t) => t.regex.test(p));
  if (!found) return null;
  return { template: found.template, method: method.toLowerCase(), op: doc.paths[found.template][method.toLowerCase()] };
}

const exercised = new Set();

// Validates one answer against the response object at `pointer`.
function validateResponse(what, res, responsePointer) {
  const { node: spec, pointer } = deref({ $ref: "#" + responsePointer });
  if (!check(spec !== undefined, `${what}: status ${res.status} is documented`)) return;
  for (const [name, header] of Object.entries(spec.headers || {})) {
    const { node: h, pointer: hp } = deref(header, `${pointer}/headers/${escape(name)}`);
    const value = res.headers[name.toLowerCase()];
    if (value === undefined) {
      check(!h.required, `${what}: required header ${name} is present`);
      continue;
    }
    const v = validatorAt(`${hp}/schema`);
    check(v(value), `${what}: header ${name}: ${JSON.stringify(value)} ${ajv.errorsText(v.errors)}`);
  }
  const content = spec.content || {};
  const mediaTypes = Object.keys(content);
  if (mediaTypes.length === 0) {
    check(res.body.length === 0, `${what}: no body (got ${res.body.length} bytes)`);
    return;
  }
  const type = (res.headers["content-type"] || "").split(";")[0].trim();
  if (!check(mediaTypes.includes(type), `${what}: Content-Type ${type} is one of ${mediaTypes}`)) return;
  let body = res.body;
  if (type === "application/json") {
    try { body = JSON.parse(res.body); } catch (e) { check(false, `${what}: body is JSON`); return; }
  }
  const v = validatorAt(`${pointer}/content/${escape(type)}/schema`);
  check(v(body), `${what}: body ${res.body.slice(0, 300)}: ${ajv.errorsText(v.errors)}`);
}

// Picks the documented response for a request and validates the answer.
function validate(c, res) {
  const what = `${c.name} (${c.method} ${c.path} -> ${res.status})`;
  if (c.lowLevel) {
    // Refused before routing (framing, header size): the Error schema, any path.
    const v = validatorAt("/components/schemas/Error");
    check(v(JSON.parse(res.body)), `${what}: ${ajv.errorsText(v.errors)}`);
    check(res.headers["x-request-id"] && res.headers["cache-control"] === "no-store" && res.headers["vary"] === "Origin",
      `${what}: public headers`);
    return;
  }
  const found = operationOf(c.method, c.path);
  if (!found && c.listener === "admin") return validateResponse(what, res, "/components/responses/AdminNotFound");
  if (!found) return validateResponse(what, res, "/components/responses/NotFound");
  if (!found.op) return validateResponse(what, res, "/components/responses/MethodNotAllowed");
  exercised.add(`${found.method} ${found.template}`);
  validateResponse(what, res, `/paths/${escape(found.template)}/${found.method}/responses/${res.status}`);
}

// ---- The services ---------------------------------------------------------

const secrets = {
  OPENAI_API_KEY: "sk-api-test-0123456789abcdef",
  CHATKIT_GATEWAY_HANDLE_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  HS: manifest.hs_secret,
  CKG_ADMIN_TOKEN: "admin-token-for-the-api-test-0123456789",
};
const children = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ckg-api-"));
const appOrigin = "https://app.example.com";

function gatewayConfig(simPort, withAdminApi) {
  return {
    server: { listen: "127.0.0.1:0", drain_seconds: 0, max_body_bytes: 4096 },
    admin: withAdminApi ? { listen: "127.0.0.1:0", token_env: "CKG_ADMIN_TOKEN" } : { listen: "127.0.0.1:0" },
    upstream: { base_url: `https://127.0.0.1:${simPort}/v1`, ca_file: `${pki}/ca.pem`,
                request_timeout_ms: 800, max_retries: 0 },
    auth: { issuers: [{ issuer: "https://hs.test/", hmac_secret_env: "HS", algorithms: ["HS256"] }] },
    sessions: { workflows: { default: { id: "wf_api", allowed_state_variables: ["locale"] } } },
    rate_limit: { sessions_per_minute: 1, burst: 2 },
    cors: { allowed_origins: [appOrigin, "capacitor://localhost", "https://*.preview.example.com"] },
  };
}

// The table. `as`: the user whose token goes in Authorization ("" for none);
// `code`/`param`: what the error body must say; `before`: a simulator fault.
function cases(ctx) {
  const json = { "Content-Type": "application/json" };
  const S = "/v1/chatkit/sessions", T = "/v1/chatkit/threads";
  return [
    // Sessions
    { name: "mint", method: "POST", path: S, as: "alice", body: "{}", headers: json, status: 200,
      after: (res) => { ctx.handle = JSON.parse(res.body).session_handle; } },
    { name: "mint with state and origin", method: "POST", path: S, as: "alice", status: 200,
      body: '{"state_variables": {"locale": "fr"}}', headers: { ...json, Origin: "capacitor://localhost" } },
    { name: "mint, empty body", method: "POST", path: S, as: "dave", status: 200 },
    { name: "unknown field", method: "POST", path: S, as: "alice", body: '{"device": "x"}', headers: json,
      status: 400, code: "invalid_request", param: "device" },
    { name: "state variable not allowed", method: "POST", path: S, as: "alice", headers: json,
      body: '{"state_variables": {"plan": "pro"}}', status: 400, code: "invalid_request", param: "state_variables" },
    { name: "malformed JSON", method: "POST", path: S, as: "alice", body: "{", headers: json, status: 400,
      code: "invalid_request" },
    { name: "missing token", method: "POST", path: S, as: "", body: "{}", headers: json, status: 401,
      code: "missing_token" },
    { name: "invalid token", method: "POST", path: S, as: "", body: "{}", status: 401, code: "invalid_token",
      headers: { ...json, Authorization: `Bearer ${token("alice")}x` } },
    { name: "disallowed origin", method: "POST", path: S, as: "alice", body: "{}", status: 403,
      code: "origin_not_allowed", headers: { ...json, Origin: "https://preview.example.com" } },
    { name: "wrong method", method: "PUT", path: S, as: "alice", status: 405, code: "method_not_allowed" },
    { name: "body too large", method: "POST", path: S, as: "alice", headers: json, status: 413,
      body: JSON.stringify({ workflow: "x".repeat(5000) }), code: "body_too_large" },
    { name: "not JSON", method: "POST", path: S, as: "alice", body: "{}", headers: { "Content-Type": "text/plain" },
      status: 415, code: "unsupported_media_type" },
    { name: "rate limited 1", method: "POST", path: S, as: "carol", status: 200 },
    { name: "rate limited 2", method: "POST", path: S, as: "carol", status: 200 },
    { name: "rate limited", method: "POST", path: S, as: "carol", status: 429, code: "rate_limited",
      headers: { Origin: "https://pr-1.preview.example.com" } },
    { name: "upstream error", method: "POST", path: S, as: "bob", status: 502, code: "upstream_error",
      before: ["create_session", { mode: "status", status: 500 }] },
    { name: "upstream 429", method: "POST", path: S, as: "bob", status: 503, code: "upstream_unavailable",
      before: ["create_session", { mode: "status", status: 429, retry_after: 7 }] },
    { name: "upstream timeout", method: "POST", path: S, as: "dave", status: 504, code: "upstream_timeout",
      before: ["create_session", { mode: "hang", hang_ms: 2000 }] },
    { name: "cancel", method: "DELETE", path: () => `${S}/${ctx.handle}`, as: "alice", status: 200 },
    { name: "cancel twice", method: "DELETE", path: () => `${S}/${ctx.handle}`, as: "alice", status: 200 },
    { name: "cancel another user's", method: "DELETE", path: () => `${S}/${ctx.handle}`, as: "bob", status: 404,
      code: "not_found" },
    { name: "cancel garbage", method: "DELETE", path: `${S}/garbage`, as: "alice", status: 404, code: "not_found" },
    { name: "cancel, upstream down", method: "DELETE", path: () => `${S}/${ctx.handle}`, as: "alice", status: 503,
      code: "upstream_unavailable", before: ["cancel_session", { mode: "status", status: 503 }] },
    { name: "preflight", method: "OPTIONS", path: S, as: "", status: 204,
      headers: { Origin: appOrigin, "Access-Control-Request-Method": "POST" } },
    { name: "preflight, handle", method: "OPTIONS", path: `${S}/x`, as: "", status: 204,
      headers: { Origin: "https://pr-9.preview.example.com", "Access-Control-Request-Method": "DELETE" } },
    { name: "preflight refused", method: "OPTIONS", path: S, as: "", status: 403, code: "origin_not_allowed",
      headers: { Origin: "https://evil.example.com", "Access-Control-Request-Method": "POST" } },
    { name: "plain OPTIONS", method: "OPTIONS", path: T, as: "", status: 204 },
    // Threads
    { name: "list threads", method: "GET", path: `${T}?limit=2&order=desc`, as: "alice", status: 200 },
    { name: "list threads, bad limit", method: "GET", path: `${T}?limit=0`, as: "alice", status: 400,
      code: "invalid_request", param: "limit" },
    { name: "list threads, user", method: "GET", path: `${T}?user=bob`, as: "alice", status: 400,
      code: "invalid_request", param: "user" },
    { name: "list threads, no token", method: "GET", path: T, as: "", status: 401, code: "missing_token" },
    { name: "list threads, upstream bad reply", method: "GET", path: T, as: "alice", status: 502,
      code: "upstream_error", before: ["list_threads", { mode: "malformed" }] },
    { name: "retrieve thread", method: "GET", path: `${T}/cthr_000001`, as: "alice", status: 200 },
    { name: "retrieve another user's thread", method: "GET", path: `${T}/cthr_000004`, as: "alice", status: 404,
      code: "not_found" },
    { name: "retrieve, bad id", method: "GET", path: `${T}/a.b`, as: "alice", status: 400,
      code: "invalid_request", param: "thread_id" },
    { name: "preflight, thread", method: "OPTIONS", path: `${T}/cthr_000001`, as: "", status: 204,
      headers: { Origin: appOrigin, "Access-Control-Request-Method": "DELETE" } },
    { name: "list items", method: "GET", path: `${T}/cthr_000001/items?limit=5`, as: "alice", status: 200 },
    { name: "list items, bad after", method: "GET", path: `${T}/cthr_000001/items?after=%2F`, as: "alice",
      status: 400, code: "invalid_request", param: "after" },
    { name: "list items, another user's", method: "GET", path: `${T}/cthr_000004/items`, as: "alice",
      status: 404, code: "not_found" },
    { name: "preflight, items", method: "OPTIONS", path: `${T}/cthr_000001/items`, as: "", status: 204,
      headers: { Origin: appOrigin, "Access-Control-Request-Method": "GET" } },
    { name: "delete thread", method: "DELETE", path: `${T}/cthr_000002`, as: "alice", status: 200 },
    { name: "delete another user's", method: "DELETE", path: `${T}/cthr_000005`, as: "alice", status: 404,
      code: "not_found" },
    { name: "delete, bad id", method: "DELETE", path: `${T}/..`, as: "alice", status: 400, code: "invalid_request",
      param: "thread_id" },
    { name: "unknown route", method: "GET", path: "/v1/chatkit/nothing", as: "alice", status: 404, code: "not_found" },
    // Refused before routing
    { name: "headers too large", method: "GET", path: T, as: "alice", status: 431, lowLevel: true,
      headers: { "X-Big": "x".repeat(17 * 1024) } },
    { name: "ambiguous framing", method: "POST", path: S, as: "alice", status: 400, lowLevel: true,
      headers: { ...json, "Transfer-Encoding": "chunked" }, body: "{}" },
    // Admin listener
    { name: "healthz", listener: "admin", method: "GET", path: "/healthz", status: 200 },
    { name: "readyz", listener: "admin", method: "GET", path: "/readyz", status: 200 },
    { name: "metrics", listener: "admin", method: "GET", path: "/metrics", status: 200 },
    { name: "admin, unknown route", listener: "admin", method: "GET", path: "/nothing", status: 404,
      code: "not_found" },
    ...adminApiCases(ctx),
  ];
}

// The admin API (docs/api.md, "Admin API"): only where this build has it.
function adminApiCases(ctx) {
  const admin = { Authorization: `Bearer ${secrets.CKG_ADMIN_TOKEN}`, "Content-Type": "application/json" };
  const who = '{"issuer": "https://hs.test/", "user": "dave"}';
  return [
    { name: "status", listener: "admin", adminApi: true, method: "GET", headers: admin, status: 200,
      path: "/admin/v1/users/status?issuer=https%3A%2F%2Fhs.test%2F&user=dave" },
    { name: "revoke and block", listener: "admin", adminApi: true, method: "POST", path: "/admin/v1/users/revoke",
      headers: admin, status: 200, body: '{"issuer": "https://hs.test/", "user": "dave", "block_seconds": 60}' },
    { name: "blocked user", method: "POST", path: "/v1/chatkit/sessions", as: "dave", adminApi: true, status: 403,
      code: "user_blocked" },
    { name: "unblock", listener: "admin", adminApi: true, method: "POST", path: "/admin/v1/users/unblock",
      headers: admin, body: who, status: 200 },
    { name: "revoke, unknown issuer", listener: "admin", adminApi: true, method: "POST",
      path: "/admin/v1/users/revoke", headers: admin, status: 400, code: "invalid_request",
      body: '{"issuer": "https://nobody.test/", "user": "dave"}' },
    { name: "revoke, unknown field", listener: "admin", adminApi: true, method: "POST",
      path: "/admin/v1/users/revoke", headers: admin, status: 400, code: "invalid_request",
      body: '{"issuer": "https://hs.test/", "user": "dave", "x": 1}' },
    { name: "status, no admin token", listener: "admin", adminApi: true, method: "GET", status: 401,
      code: "invalid_token", path: "/admin/v1/users/status?issuer=https%3A%2F%2Fhs.test%2F&user=dave" },
    // Without admin.token_env the admin API answers 404.
    { name: "admin API off", listener: "admin", adminApi: false, method: "POST", path: "/admin/v1/users/revoke",
      headers: admin, body: who, status: 404, code: "not_found" },
  ];
}

async function setFault(simPort, endpoint, spec) {
  const res = await rawRequest({ port: simPort, tls: { ca: fs.readFileSync(`${pki}/ca.pem`) },
    method: "PUT", path: `/__sim/faults/${endpoint}`, body: JSON.stringify({ count: 1, ...spec }),
    headers: { "Content-Type": "application/json" } });
  if (res.status !== 200) throw new Error(`fault ${endpoint}: ${res.status} ${res.body}`);
}

try {
  const sim = await startProcess(env("CKG_SIMULATOR_BINARY"),
    ["--listen", "127.0.0.1:0", "--cert", `${pki}/server.pem`, "--key", `${pki}/server.key`,
     "--seed-users", "alice,bob"], secrets, /"port":(\d+)/);
  children.push(sim.child);

  // The admin API exists in this build when the loader accepts admin.token_env.
  const configFile = path.join(tmp, "config.json");
  fs.writeFileSync(configFile, JSON.stringify(gatewayConfig(sim.port, true)));
  const withAdminApi = await checkConfig(env("CKG_GATEWAY_BINARY"), configFile, secrets);
  if (!withAdminApi) fs.writeFileSync(configFile, JSON.stringify(gatewayConfig(sim.port, false)));

  const gw = await startProcess(env("CKG_GATEWAY_BINARY"), ["--config", configFile], secrets,
    /"public":"127\.0\.0\.1:(\d+)"/);
  children.push(gw.child);
  const ports = { public: gw.port, admin: Number(gw.output.match(/"admin":"127\.0\.0\.1:(\d+)"/)[1]) };

  const ctx = {};
  let skipped = 0;
  for (const c of cases(ctx)) {
    if (c.adminApi !== undefined && c.adminApi !== withAdminApi) { skipped++; continue; }
    if (c.before) await setFault(sim.port, ...c.before);
    c.path = typeof c.path === "function" ? c.path() : c.path;
    const headers = { ...(c.headers || {}) };
    if (c.as) headers.Authorization = `Bearer ${token(c.as)}`;
    const res = await rawRequest({ port: ports[c.listener || "public"], method: c.method, path: c.path,
      headers, body: c.body || "" });
    const what = `${c.name} (${c.method} ${c.path})`;
    if (!check(res.status === c.status, `${what}: status ${res.status}, expected ${c.status}: ${res.body.slice(0, 300)}`))
      continue;
    validate(c, res);
    if (c.code || c.param !== undefined) {
      const error = JSON.parse(res.body).error || {};
      if (c.code) check(error.code === c.code, `${what}: code ${error.code}, expected ${c.code}`);
      check(error.param === c.param, `${what}: param ${error.param}, expected ${c.param}`);
    }
    check(!res.raw.includes(secrets.OPENAI_API_KEY) && !res.raw.includes(secrets.CKG_ADMIN_TOKEN),
          `${what}: no secret in the answer`);
    if (c.after) c.after(res);
    passed++;
  }

  // Every documented operation was exercised (the admin API's only where it exists).
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const method of ["get", "post", "delete", "options", "put", "patch"]) {
      if (!item[method]) continue;
      const isAdminApi = template.startsWith("/admin/v1/");
      if (isAdminApi && !withAdminApi) continue;
      check(exercised.has(`${method} ${template}`), `operation ${method.toUpperCase()} ${template} is exercised`);
    }
  }
  console.log(`admin API ${withAdminApi ? "on" : "off (this build has no admin.token_env)"}: ${skipped} cases skipped`);
} catch (e) {
  failed++;
  console.log(`FAIL ${e.stack || e}`);
} finally {
  for (const c of children) c.kill("SIGTERM");
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(`openapi: ${passed} checks passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
