// Starts a binary for the Node-driven tests (browser, upstream contract) and
// resolves once its stdout matches `pattern` (the port it bound, or a
// readiness line), with the match's first group as `port`. Fails after 10 s
// or when the process exits first, with what it printed. `output` is what it
// printed up to the match.
import { spawn } from "node:child_process";

export function start(bin, args, extraEnv, pattern) {
  const child = spawn(bin, args, { env: { ...process.env, ...extraEnv }, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${bin} did not start: ${out}`)), 10000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(pattern);
      if (m) { clearTimeout(timer); resolve({ child, port: Number(m[1]), output: out }); }
    });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`${bin} exited ${code}: ${out}`)); });
  });
}

// A tally of named checks; `finish` prints the summary and exits non-zero
// unless every check passed (and at least one ran).
export function checklist(name) {
  let passed = 0, failed = 0;
  return {
    check(ok, what) { ok ? passed++ : failed++; console.log(`${ok ? "ok  " : "FAIL"} ${what}`); return ok; },
    fail(error) { failed++; console.log(`FAIL ${error.stack || error}`); },
    finish() {
      console.log(`${name}: ${passed} passed, ${failed} failed`);
      process.exit(failed === 0 && passed > 0 ? 0 : 1);
    },
  };
}
