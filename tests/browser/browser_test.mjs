// Browser test: examples/web, served from an allowed origin and from a
// disallowed one, driven in Debian's headless Chromium (playwright-core with
// executablePath) against the real gateway and upstream simulator binaries.
// Saves a screenshot of the page after a mint and a thread listing.
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set`);
  return process.env[name];
};
const source = env("CKG_SOURCE_DIR");
const manifest = JSON.parse(fs.readFileSync(path.join(env("CKG_TOKENS_DIR"), "manifest.json"), "utf8"));
const pki = env("CKG_TEST_PKI_DIR");
let passed = 0, failed = 0;
const check = (ok, what) => { ok ? passed++ : failed++; console.log(`${ok ? "ok  " : "FAIL"} ${what}`); };

// Serves examples/web on 127.0.0.1 with an ephemeral port (one origin each).
function serveExample() {
  const root = path.join(source, "examples/web");
  const server = http.createServer((req, res) => {
    const file = path.join(root, new URL(req.url, "http://x").pathname.replace(/^\/$/, "/index.html"));
    if (!file.startsWith(root) || !fs.existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "Content-Type": file.endsWith(".js") ? "text/javascript" : "text/html" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

// Starts a binary and resolves with the first stdout match of `pattern`.
function start(bin, args, extraEnv, pattern) {
  const child = spawn(bin, args, { env: { ...process.env, ...extraEnv }, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${bin} did not start: ${out}`)), 10000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(pattern);
      if (m) { clearTimeout(timer); resolve({ child, port: Number(m[1]) }); }
    });
    child.on("exit", (code) => reject(new Error(`${bin} exited ${code}: ${out}`)));
  });
}

const secrets = {
  OPENAI_API_KEY: "sk-browser-test-0123456789",
  CHATKIT_GATEWAY_HANDLE_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  HS: manifest.hs_secret,
};
const children = [];
let browser;
try {
  const allowed = await serveExample();
  const disallowed = await serveExample();
  const allowedOrigin = `http://127.0.0.1:${allowed.address().port}`;
  const disallowedOrigin = `http://127.0.0.1:${disallowed.address().port}`;

  const sim = await start(env("CKG_SIMULATOR_BINARY"),
    ["--listen", "127.0.0.1:0", "--cert", `${pki}/server.pem`, "--key", `${pki}/server.key`, "--seed-users", "alice,bob"],
    secrets, /"port":(\d+)/);
  children.push(sim.child);
  const config = {
    server: { listen: "127.0.0.1:0", drain_seconds: 0 },  // plain HTTP, as behind a TLS-terminating ingress
    admin: { listen: "127.0.0.1:0" },
    upstream: { base_url: `https://127.0.0.1:${sim.port}/v1`, ca_file: `${pki}/ca.pem` },
    auth: { issuers: [{ issuer: "https://hs.test/", hmac_secret_env: "HS", algorithms: ["HS256"] }] },
    sessions: { workflows: { default: { id: "wf_browser" } } },
    cors: { allowed_origins: [allowedOrigin] },
  };
  const configFile = path.join(os.tmpdir(), `ckg-browser-${process.pid}.json`);
  fs.writeFileSync(configFile, JSON.stringify(config));
  const gw = await start(env("CKG_GATEWAY_BINARY"), ["--config", configFile], secrets, /"public":"127\.0\.0\.1:(\d+)"/);
  children.push(gw.child);
  const gateway = `http://127.0.0.1:${gw.port}`;

  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage({ viewport: { width: 900, height: 760 } });
  const query = `?gateway=${encodeURIComponent(gateway)}&token=${manifest.users.alice}`;

  // The allowed origin: mint, list, delete.
  await page.goto(`${allowedOrigin}/index.html${query}`);
  await page.click("#mint");
  await page.waitForSelector("#status.ok, #status.error");
  check((await page.textContent("#status")) === "Session minted.", "mint from an allowed origin");
  check(/^Client secret ek_.*expires \d{4}-/.test(await page.textContent("#session")), "the page shows the client secret's expiry");
  await page.click("#list");
  await page.waitForFunction(() => document.querySelectorAll("#threads li").length > 0);
  const titles = await page.$$eval("#threads li", (lis) => lis.map((li) => li.dataset.id));
  check(JSON.stringify(titles) === JSON.stringify(["cthr_000003", "cthr_000002", "cthr_000001"]), `alice sees only her threads (${titles})`);
  await page.screenshot({ path: path.join(source, "docs/example-web.png") });
  await page.click('#threads li[data-id="cthr_000002"] button');
  await page.waitForFunction(() => document.querySelector("#status").textContent.startsWith("Deleted"));
  const left = await page.$$eval("#threads li", (lis) => lis.map((li) => li.dataset.id));
  check(JSON.stringify(left) === JSON.stringify(["cthr_000003", "cthr_000001"]), "delete removes the thread");
  await page.click("#mint");  // a second mint replaces the first session
  await page.waitForFunction(() => document.querySelector("#status").textContent === "Session minted.");
  check(true, "a second mint (replaces) succeeds");

  // The disallowed origin: the browser gets no CORS headers and the mint fails.
  const evil = await browser.newPage();
  await evil.goto(`${disallowedOrigin}/index.html${query}`);
  await evil.click("#mint");
  await evil.waitForSelector("#status.error");
  check((await evil.textContent("#status")).startsWith("Mint failed"), "mint from a disallowed origin fails");
  await evil.click("#list");
  await evil.waitForFunction(() => document.querySelector("#status").textContent.startsWith("Listing failed"));
  check(true, "listing from a disallowed origin fails");
  fs.rmSync(configFile);
  allowed.close();
  disallowed.close();
} catch (e) {
  failed++;
  console.log(`FAIL ${e.stack || e}`);
} finally {
  if (browser) await browser.close();
  for (const c of children) c.kill("SIGTERM");
}
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
