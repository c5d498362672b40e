// Browser test: examples/web exactly as the dev run serves it
// (tools/serve-example-web.py over HTTPS with a dev-config.json), driven in
// Debian's headless Chromium (playwright-core with executablePath) against
// the real gateway (HTTPS) and upstream simulator binaries. Chromium trusts
// the test certificate through --ignore-certificate-errors-spki-list (its
// key hash only; every other certificate is checked as usual). Asserts what
// a user and the upstream see: the minted session on the page, a refresh
// with `replaces` before expiry that cancels the old session upstream, a
// sign-out that cancels the last one, the user's threads, ChatKit's
// getClientSecret wired to the gateway, and a disallowed origin failing.
// Saves docs/example-web.png.
import { chromium } from "playwright-core";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { checklist, start } from "../support/start_process.mjs";

const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set`);
  return process.env[name];
};
const source = env("CKG_SOURCE_DIR");
const manifest = JSON.parse(fs.readFileSync(path.join(env("CKG_TOKENS_DIR"), "manifest.json"), "utf8"));
const pki = env("CKG_TEST_PKI_DIR");
const t = checklist("browser");
const CHATKIT_JS = "https://cdn.platform.openai.com/deployments/chatkit/chatkit.js";
const LIFETIME_SECONDS = 6;  // the page refreshes at 80% of a short lifetime
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "ckg-browser-"));

// base64(SHA-256(SubjectPublicKeyInfo)), the form Chromium's flag takes.
const spki = (pem) => crypto.createHash("sha256")
  .update(new crypto.X509Certificate(fs.readFileSync(pem)).publicKey.export({ type: "spki", format: "der" }))
  .digest("base64");

// The example page served as scripts/run-dev.sh serves it.
async function servePage(name, pageConfig) {
  const file = path.join(scratch, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(pageConfig));
  const page = await start("/usr/bin/python3",
    [path.join(source, "tools/serve-example-web.py"), "--listen", "127.0.0.1:0",
     "--cert", `${pki}/server.pem`, "--key", `${pki}/server.key`, "--page-config", file, "--quiet"],
    {}, /"port": ?(\d+)/);
  children.push(page.child);
  return `https://127.0.0.1:${page.port}`;
}

// A stand-in for chatkit.js (OpenAI's CDN is not reachable offline): an
// <openai-chatkit> that asks for a secret when mounted, as ChatKit does, and
// lets the test ask for a refreshed one.
const chatkitStub = `
customElements.define("openai-chatkit", class extends HTMLElement {
  setOptions(options) { this.options = options; }
  async connectedCallback() {
    this.secret = await this.options.api.getClientSecret(null);
    this.dataset.secret = this.secret;
  }
  async refresh() {
    this.secret = await this.options.api.getClientSecret(this.secret);
    this.dataset.secret = this.secret;
  }
});`;

const secrets = {
  OPENAI_API_KEY: "sk-browser-test-0123456789",
  CHATKIT_GATEWAY_HANDLE_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  HS: manifest.hs_secret,
};
const children = [];
let browser;

async function simulatorSessions(sim) {
  const res = await fetch(`${sim}/__sim/sessions`);
  return (await res.json()).data;
}
async function simulatorCount(sim, endpoint) {
  const res = await fetch(`${sim}/__sim/requests`);
  return (await res.json()).counts[endpoint] || 0;
}
const statusOf = (sessions, secret) => (sessions.find((s) => s.client_secret === secret) || {}).status;

// Polls `probe` until it returns true (the gateway cancels replaced sessions
// after answering), for at most `ms`.
async function eventually(probe, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return probe();
}

try {
  const simProc = await start(env("CKG_SIMULATOR_BINARY"),
    ["--listen", "127.0.0.1:0", "--cert", `${pki}/server.pem`, "--key", `${pki}/server.key`, "--seed-users", "alice,bob"],
    secrets, /"port":(\d+)/);
  children.push(simProc.child);
  const sim = `https://127.0.0.1:${simProc.port}`;

  // The pages' origins go into the gateway's configuration and the gateway's
  // URL into the pages' dev-config.json (read on every request).
  const gatewayPlaceholder = "https://127.0.0.1:0";
  const allowedOrigin = await servePage("allowed", { gateway: gatewayPlaceholder, token: manifest.users.alice, user: "alice" });
  const otherOrigin = await servePage("other", { gateway: gatewayPlaceholder, token: manifest.users.alice, user: "alice" });
  const config = {
    server: { listen: "127.0.0.1:0", drain_seconds: 0,
              tls: { cert_file: `${pki}/server.pem`, key_file: `${pki}/server.key` } },
    admin: { listen: "127.0.0.1:0" },
    upstream: { base_url: `${sim}/v1`, ca_file: `${pki}/ca.pem` },
    auth: { issuers: [{ issuer: "https://hs.test/", hmac_secret_env: "HS", algorithms: ["HS256"] }] },
    sessions: { workflows: { default: { id: "wf_browser", expires_after_seconds: LIFETIME_SECONDS } } },
    rate_limit: { sessions_per_minute: 600, burst: 100 },
    cors: { allowed_origins: [allowedOrigin] },
  };
  const configFile = path.join(scratch, "gateway.json");
  fs.writeFileSync(configFile, JSON.stringify(config));
  const gw = await start(env("CKG_GATEWAY_BINARY"), ["--config", configFile], secrets, /"public":"127\.0\.0\.1:(\d+)"/);
  children.push(gw.child);
  const gateway = `https://127.0.0.1:${gw.port}`;
  for (const name of ["allowed", "other"])
    fs.writeFileSync(path.join(scratch, `${name}.json`), JSON.stringify({ gateway, token: manifest.users.alice, user: "alice" }));

  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync",
           `--ignore-certificate-errors-spki-list=${spki(`${pki}/server.pem`)}`],
  });
  const context = await browser.newContext({ viewport: { width: 900, height: 980 } });
  await context.route(CHATKIT_JS, (route) => route.abort("internetdisconnected"));
  const page = await context.newPage();
  const minted = [];  // every client secret the page received, in order
  const mintBodies = [];
  page.on("request", (r) => { if (r.method() === "POST" && r.url().endsWith("/v1/chatkit/sessions")) mintBodies.push(r.postData() || ""); });
  page.on("response", async (r) => {
    if (r.request().method() === "POST" && r.url().endsWith("/v1/chatkit/sessions") && r.ok())
      minted.push((await r.json()).client_secret);
  });

  // The page as printed by the dev run: its defaults come from dev-config.json.
  await page.goto(`${allowedOrigin}/`);
  await page.waitForSelector("body[data-ready]");
  t.check(await page.inputValue("#gateway") === gateway, "the served dev-config.json points the page at the HTTPS gateway");
  await page.waitForFunction(() => !document.querySelector("#chatkit-note").hidden);
  t.check((await page.textContent("#chatkit-note")).includes("could not be loaded"), "without chatkit.js the page says so");

  // Sign in: the session is shown without its secret.
  await page.click("#sign-in");
  await page.waitForSelector("#status.ok, #status.error");
  t.check(await page.textContent("#status") === "Session minted.", `mint from the allowed origin (${await page.textContent("#status")})`);
  await eventually(() => minted.length === 1);  // the response event may trail the page
  const shown = await page.textContent("#secret");
  t.check(minted.length === 1 && shown === minted[0].slice(0, 8) + "…" && !(await page.content()).includes(minted[0]),
          `the page shows a prefix of the client secret, never all of it (${shown})`);
  t.check(/^\d{4}-\d\d-\d\dT/.test(await page.textContent("#expires")), "the page shows the expiry");

  // Refresh before expiry, with `replaces`: the old session is cancelled upstream.
  await page.waitForFunction(() => document.querySelector("#refreshes").textContent === "1", null, { timeout: LIFETIME_SECONDS * 4000 });
  t.check((await page.textContent("#status")).startsWith("Session refreshed (before expiry)"), "the page refreshed by itself before expiry");
  t.check(mintBodies.length === 2 && JSON.parse(mintBodies[1]).replaces?.length > 0, "the refresh sent replaces");
  t.check(await eventually(async () => statusOf(await simulatorSessions(sim), minted[0]) === "cancelled"),
          "the replaced session is cancelled at the upstream");
  t.check(statusOf(await simulatorSessions(sim), minted[1]) === "active", "the new session is active");

  // Threads: alice's only, and one deleted.
  await page.click("#list");
  await page.waitForFunction(() => document.querySelectorAll("#threads li").length > 0);
  const ids = await page.$$eval("#threads li", (lis) => lis.map((li) => li.dataset.id));
  t.check(JSON.stringify(ids) === JSON.stringify(["cthr_000003", "cthr_000002", "cthr_000001"]), `alice sees only her threads (${ids})`);
  await page.screenshot({ path: path.join(source, "docs/example-web.png") });
  await page.click('#threads li[data-id="cthr_000002"] button');
  await page.waitForFunction(() => document.querySelector("#status").textContent.startsWith("Deleted"));
  const left = await page.$$eval("#threads li", (lis) => lis.map((li) => li.dataset.id));
  t.check(JSON.stringify(left) === JSON.stringify(["cthr_000003", "cthr_000001"]), "delete removes the thread");

  // Sign out: the current session is cancelled, none of alice's stays active.
  await page.click("#sign-out");
  await page.waitForFunction(() => document.querySelector("#status").textContent.startsWith("Sign"));
  t.check(await page.textContent("#status") === "Signed out; the session is cancelled.", "sign-out cancels (DELETE)");
  t.check(await eventually(async () => (await simulatorSessions(sim)).every((s) => s.status === "cancelled")),
          "after sign-out no session is left active upstream");
  t.check(await page.isHidden("#session"), "the page forgets the session");

  // ChatKit mounted where chatkit.js loads (a stand-in here): its
  // getClientSecret gets the gateway's secret, and a refresh replaces it.
  const withChatKit = await browser.newContext();
  await withChatKit.route(CHATKIT_JS, (route) => route.fulfill({ contentType: "text/javascript", body: chatkitStub }));
  const ck = await withChatKit.newPage();
  await ck.goto(`${allowedOrigin}/`);
  await ck.waitForSelector("body[data-ready]");
  await ck.click("#sign-in");
  await ck.waitForSelector("openai-chatkit[data-secret]");
  const first = await ck.getAttribute("openai-chatkit", "data-secret");
  t.check(first.startsWith("ek_") && (await ck.textContent("#secret")) === first.slice(0, 8) + "…",
          "ChatKit is mounted and its getClientSecret returns the minted secret");
  t.check(await ck.isHidden("#chatkit-note"), "no note when ChatKit loads");
  await ck.$eval("openai-chatkit", (el) => el.refresh());
  await ck.waitForFunction((old) => document.querySelector("openai-chatkit").dataset.secret !== old, first);
  const second = await ck.getAttribute("openai-chatkit", "data-secret");
  t.check(await eventually(async () => statusOf(await simulatorSessions(sim), first) === "cancelled") &&
          statusOf(await simulatorSessions(sim), second) === "active",
          "ChatKit's refresh goes through the gateway with replaces");
  await ck.click("#sign-out");
  await withChatKit.close();

  // Another origin: no CORS headers, so the browser refuses, and the
  // preflight's 403 keeps the mint from ever reaching the upstream.
  const before = await simulatorCount(sim, "create_session");
  const evil = await context.newPage();
  await evil.goto(`${otherOrigin}/`);
  await evil.waitForSelector("body[data-ready]");
  await evil.click("#sign-in");
  await evil.waitForSelector("#status.error");
  t.check((await evil.textContent("#status")).startsWith("Mint failed"), "mint from a disallowed origin fails");
  await evil.click("#list");
  await evil.waitForFunction(() => document.querySelector("#status").textContent.startsWith("Listing failed"));
  t.check(true, "listing from a disallowed origin fails");
  t.check(await simulatorCount(sim, "create_session") === before, "nothing from the disallowed origin reached the upstream");
} catch (e) {
  t.fail(e);
} finally {
  if (browser) await browser.close();
  for (const c of children) c.kill("SIGTERM");
  fs.rmSync(scratch, { recursive: true, force: true });
}
t.finish();
