// The official `openai` npm SDK driven against the upstream simulator, as
// an application using the real ChatKit API would: client.beta.chatkit
// sessions.create / cancel and threads.list / retrieve / listItems / delete,
// with the SDK's own pagination and error classes. If the simulator drifts
// from what the SDK expects (paths, headers, shapes, error envelope), this
// fails. The simulator's CA is trusted through NODE_EXTRA_CA_CERTS.
import OpenAI from "openai";
import { checklist, start } from "../support/start_process.mjs";

const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set`);
  return process.env[name];
};
const t = checklist("openai sdk");
const apiKey = "sk-sdk-test-0123456789";
const pki = env("CKG_TEST_PKI_DIR");
let sim;

async function refusal(promise) {
  try { await promise; return null; } catch (e) { return e; }
}

try {
  sim = await start(env("CKG_SIMULATOR_BINARY"),
    ["--listen", "127.0.0.1:0", "--cert", `${pki}/server.pem`, "--key", `${pki}/server.key`, "--seed-users", "alice,bob"],
    { OPENAI_API_KEY: apiKey }, /"port":(\d+)/);
  const client = new OpenAI({ apiKey, baseURL: `https://127.0.0.1:${sim.port}/v1`, maxRetries: 0, timeout: 10000 });
  const chatkit = client.beta.chatkit;

  const session = await chatkit.sessions.create({
    user: "alice",
    workflow: { id: "wf_sdk", state_variables: { locale: "fr" } },
    chatkit_configuration: { history: { enabled: false } },
    expires_after: { anchor: "created_at", seconds: 300 },
  });
  t.check(session.object === "chatkit.session" && session.status === "active" && session.client_secret.startsWith("ek_"),
          "sessions.create returns an active session with a client secret");
  t.check(session.workflow.state_variables?.locale === "fr" && session.chatkit_configuration.history.enabled === false,
          "the workflow and the requested configuration come back");
  const cancelled = await chatkit.sessions.cancel(session.id);
  t.check(cancelled.id === session.id && cancelled.status === "cancelled", "sessions.cancel cancels it");

  const ids = [];
  for await (const thread of chatkit.threads.list({ user: "alice", limit: 2, order: "asc" })) ids.push(thread.id);
  t.check(JSON.stringify(ids) === JSON.stringify(["cthr_000001", "cthr_000002", "cthr_000003"]),
          `threads.list pages through alice's threads (${ids})`);
  const thread = await chatkit.threads.retrieve("cthr_000002");
  t.check(thread.user === "alice" && thread.object === "chatkit.thread", "threads.retrieve");
  const types = [];
  for await (const item of chatkit.threads.listItems("cthr_000002", { limit: 4 })) types.push(item.type);
  t.check(types.length === 6 && new Set(types).size === 6, `threads.listItems pages through six item types (${types})`);
  const deleted = await chatkit.threads.delete("cthr_000002");
  t.check(deleted.deleted === true && deleted.object === "chatkit.thread.deleted", "threads.delete");

  const gone = await refusal(chatkit.threads.retrieve("cthr_000002"));
  t.check(gone instanceof OpenAI.NotFoundError && gone.status === 404, "a deleted thread is the SDK's NotFoundError");
  const tooLong = await refusal(chatkit.sessions.create({
    user: "alice", workflow: { id: "wf_sdk" }, expires_after: { anchor: "created_at", seconds: 601 } }));
  t.check(tooLong instanceof OpenAI.BadRequestError && tooLong.param === "expires_after.seconds" &&
          tooLong.code === "integer_above_max_value", `expires_after 601 is the SDK's BadRequestError naming the param (${tooLong?.param})`);
  const misspelled = await refusal(chatkit.sessions.create({ user: "alice", workflow: { id: "wf_sdk" }, rate_limit: {} }));
  t.check(misspelled instanceof OpenAI.BadRequestError && misspelled.code === "unknown_parameter" && misspelled.param === "rate_limit",
          "a misspelled key is refused as unknown_parameter");
  const wrongKey = new OpenAI({ apiKey: "sk-wrong", baseURL: `https://127.0.0.1:${sim.port}/v1`, maxRetries: 0 });
  const denied = await refusal(wrongKey.beta.chatkit.threads.retrieve("cthr_000001"));
  t.check(denied instanceof OpenAI.AuthenticationError && denied.code === "invalid_api_key", "a wrong key is the SDK's AuthenticationError");
} catch (e) {
  t.fail(e);
} finally {
  sim?.child.kill("SIGTERM");
}
t.finish();
