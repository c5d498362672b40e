// The upstream simulator against the official ChatKit OpenAPI description:
// every reply of all six operations (every thread item type and thread
// status included) and every error it sends must validate, and for a table
// of create-session bodies the simulator must accept exactly what the
// upstream's request schema accepts (ranges, required and unknown members).
// Runs the real simulator binary over HTTPS (test CA via NODE_EXTRA_CA_CERTS).
import path from "node:path";
import { checklist, start } from "../support/start_process.mjs";
import { loadUpstreamSchema } from "./upstream_schema.mjs";

const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set`);
  return process.env[name];
};
const t = checklist("upstream contract");
const apiKey = "sk-contract-test-0123456789";
const schema = loadUpstreamSchema(path.join(env("CKG_SOURCE_DIR"), "../shared/upstream/chatkit-openapi.yaml"));
const pki = env("CKG_TEST_PKI_DIR");
let sim;

async function call(base, method, target, body, headers = {}) {
  const res = await fetch(base + target, {
    method,
    headers: { Authorization: `Bearer ${apiKey}`, "OpenAI-Beta": "chatkit_beta=v1",
               ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

// A 200 reply of `operationId`, valid against its schema.
function expectReply(operationId, r, what) {
  const problem = r.status === 200 ? schema.checkReply(operationId, r.body) : `status ${r.status} ${JSON.stringify(r.body)}`;
  t.check(problem === null, `${operationId}: ${what}${problem ? ` (${problem})` : ""}`);
  return r.body;
}

function expectError(r, status, what) {
  const problem = schema.checkError(r.body);
  t.check(r.status === status && problem === null, `error ${status}: ${what}${problem ? ` (${problem})` : ` (got ${r.status})`}`);
}

const session = (extra = {}) => ({ user: "alice", workflow: { id: "wf_contract" }, ...extra });
const withWorkflow = (workflow) => ({ user: "alice", workflow: { id: "wf_contract", ...workflow } });

// Create-session bodies; the schema and the simulator must give the same verdict.
const bodies = [
  session(),
  withWorkflow({ version: "7", state_variables: { locale: "fr", beta: true, seats: 3, ratio: 0.5 }, tracing: { enabled: false } }),
  withWorkflow({ tracing: {} }),
  session({ expires_after: { anchor: "created_at", seconds: 600 } }),
  session({ expires_after: { anchor: "created_at", seconds: 1 } }),
  session({ expires_after: { anchor: "created_at", seconds: 601 } }),
  session({ expires_after: { anchor: "created_at", seconds: 0 } }),
  session({ expires_after: { anchor: "created_at", seconds: 60.5 } }),
  session({ expires_after: { seconds: 60 } }),
  session({ expires_after: { anchor: "updated_at", seconds: 60 } }),
  session({ rate_limits: {} }),
  session({ rate_limits: { max_requests_per_1_minute: 1 } }),
  session({ rate_limits: { max_requests_per_1_minute: 0 } }),
  session({ rate_limits: { max_requests_per_minute: 5 } }),
  session({ chatkit_configuration: {} }),
  session({ chatkit_configuration: { automatic_thread_titling: { enabled: false }, file_upload: { enabled: true, max_file_size: 512, max_files: 1 }, history: { enabled: false, recent_threads: 1 } } }),
  session({ chatkit_configuration: { file_upload: { max_file_size: 513 } } }),
  session({ chatkit_configuration: { file_upload: { max_files: 0 } } }),
  session({ chatkit_configuration: { history: { recent_threads: 0 } } }),
  session({ chatkit_configuration: { history: { enabled: "yes" } } }),
  session({ chatkit_configuration: { theme: "dark" } }),
  session({ expires_after: 1800 }),
  session({ scope: { project: "alpha" } }),
  withWorkflow({ state_variables: { nested: { a: 1 } } }),
  withWorkflow({ state_variables: { list: [1] } }),
  withWorkflow({ state_variables: { none: null } }),
  withWorkflow({ stat_variables: {} }),
  withWorkflow({ version: 2 }),
  withWorkflow({ tracing: { enabled: 1 } }),
  { user: "alice" },
  { workflow: { id: "wf" } },
  { user: "", workflow: { id: "wf" } },
  { user: 42, workflow: { id: "wf" } },
  { user: "alice", workflow: "wf" },
  { user: "alice", workflow: {} },
];

try {
  sim = await start(env("CKG_SIMULATOR_BINARY"),
    ["--listen", "127.0.0.1:0", "--cert", `${pki}/server.pem`, "--key", `${pki}/server.key`, "--seed-users", "alice,bob,carol,dave,erin"],
    { OPENAI_API_KEY: apiKey }, /"port":(\d+)/);
  const base = `https://127.0.0.1:${sim.port}/v1`;
  const control = `https://127.0.0.1:${sim.port}/__sim`;

  // Create and cancel, with a configuration that must come back resolved.
  const requested = { file_upload: { enabled: true, max_files: 2 }, history: { recent_threads: 3 } };
  const created = expectReply("CreateChatSessionMethod",
    await call(base, "POST", "/chatkit/sessions", session({ chatkit_configuration: requested,
      expires_after: { anchor: "created_at", seconds: 120 }, rate_limits: { max_requests_per_1_minute: 7 } })),
    "a session with every option");
  t.check(created.chatkit_configuration?.file_upload?.max_files === 2 && created.chatkit_configuration?.history?.recent_threads === 3 &&
          created.chatkit_configuration?.file_upload?.max_file_size === 512, "the requested chatkit_configuration is reflected over the defaults");
  t.check(Math.abs(created.expires_at - (Date.now() / 1000 + 120)) < 5, "expires_at follows expires_after.seconds");
  const cancelled = expectReply("CancelChatSessionMethod", await call(base, "POST", `/chatkit/sessions/${created.id}/cancel`), "cancel");
  t.check(cancelled.status === "cancelled", "a cancelled session says so");

  // Every thread and every item of every seeded user, page by page.
  const itemTypes = new Set(), statuses = new Set();
  let after = null, threads = [];
  do {
    const page = expectReply("ListThreadsMethod",
      await call(base, "GET", `/chatkit/threads?limit=4&order=asc${after ? `&after=${after}` : ""}`), `a page after ${after}`);
    threads = threads.concat(page.data ?? []);
    after = page.has_more ? page.last_id : null;
  } while (after);
  t.check(threads.length === 15, `15 seeded threads listed (${threads.length})`);
  expectReply("ListThreadsMethod", await call(base, "GET", "/chatkit/threads?user=nobody"), "an empty list");
  for (const thread of threads) {
    const got = expectReply("GetThreadMethod", await call(base, "GET", `/chatkit/threads/${thread.id}`), `retrieve ${thread.id}`);
    statuses.add(got.status?.type);
    const items = expectReply("ListThreadItemsMethod", await call(base, "GET", `/chatkit/threads/${thread.id}/items?limit=100`), `items of ${thread.id}`);
    for (const item of items.data ?? []) itemTypes.add(item.type);
  }
  t.check(itemTypes.size === 6, `every thread item type seen (${[...itemTypes]})`);
  t.check(statuses.size === 3, `every thread status seen (${[...statuses]})`);
  expectReply("DeleteThreadMethod", await call(base, "DELETE", `/chatkit/threads/${threads[0].id}`), "delete");

  // Errors: the envelope on every refusal.
  expectError(await call(base, "GET", `/chatkit/threads/${threads[0].id}`), 404, "a deleted thread");
  expectError(await call(base, "GET", "/chatkit/threads/cthr_none/items"), 404, "items of an unknown thread");
  expectError(await call(base, "DELETE", "/chatkit/threads/cthr_none"), 404, "delete of an unknown thread");
  expectError(await call(base, "POST", "/chatkit/sessions/cksess_none/cancel"), 404, "cancel of an unknown session");
  expectError(await call(base, "GET", "/chatkit/threads", undefined, { Authorization: "Bearer sk-wrong" }), 401, "a wrong API key");
  expectError(await call(base, "POST", "/chatkit/sessions", "{not json"), 400, "malformed JSON");
  expectError(await call(base, "GET", "/chatkit/threads?limit=101"), 400, "limit over 100");
  expectError(await call(base, "GET", "/chatkit/threads?sort=asc"), 400, "an unknown query parameter");
  await call(control, "PUT", "/faults/list_threads", { mode: "status", status: 503, retry_after: 2, count: 1 });
  expectError(await call(base, "GET", "/chatkit/threads"), 503, "an injected 503");

  // Requests: the simulator accepts exactly what the schema accepts.
  for (const body of bodies) {
    const schemaSays = schema.checkComponent("CreateChatSessionBody", body) === null;
    const r = await call(base, "POST", "/chatkit/sessions", body);
    const agrees = schemaSays ? r.status === 200 : r.status === 400;
    t.check(agrees, `${JSON.stringify(body)}: schema ${schemaSays ? "accepts" : "refuses"}, simulator ${r.status}`);
    if (r.status === 200) expectReply("CreateChatSessionMethod", r, "an accepted body");
    else expectError(r, 400, `refusal names ${r.body?.error?.param}`);
  }
} catch (e) {
  t.fail(e);
} finally {
  sim?.child.kill("SIGTERM");
}
t.finish();
