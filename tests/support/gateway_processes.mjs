// Helpers for node tests that drive the real binaries: start a process and
// wait for its "listening" line, check a configuration with --check-config,
// and send one raw HTTP/1.1 request (plain or TLS) with exactly the bytes a
// test wants (an Origin, a conflicting framing header, an oversized header),
// reading the whole answer.
import { spawn } from "node:child_process";
import net from "node:net";
import tls from "node:tls";

// Starts a binary and waits for its "listening" line (start_process.mjs).
export { start as startProcess } from "./start_process.mjs";

// True when `bin --config file --check-config` accepts the file.
export function checkConfig(bin, file, extraEnv) {
  const child = spawn(bin, ["--config", file, "--check-config"],
                      { env: { ...process.env, ...extraEnv }, stdio: ["ignore", "ignore", "ignore"] });
  return new Promise((resolve) => child.on("exit", (code) => resolve(code === 0)));
}

function parseAnswer(raw) {
  const text = raw.toString("utf8");
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return { status: 0, headers: {}, body: "", raw: text };
  const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body: text.slice(end + 4), raw: text };
}

// One request on a new connection ("Connection: close"); resolves with
// {status, headers (lower-case names), body, raw} within 10 s.
export function rawRequest({ port, method, path, headers = {}, body = "", tls: tlsOptions }) {
  const lines = [`${method} ${path} HTTP/1.1`, "Host: 127.0.0.1", "Connection: close"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body.length > 0 || method === "POST" || method === "PUT") lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  const request = lines.join("\r\n") + "\r\n\r\n" + body;
  return new Promise((resolve, reject) => {
    const chunks = [];
    const socket = tlsOptions ? tls.connect({ host: "127.0.0.1", port, ca: tlsOptions.ca })
                              : net.connect({ host: "127.0.0.1", port });
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`${method} ${path}: no answer in 10 s`)); }, 10000);
    const done = () => { clearTimeout(timer); resolve(parseAnswer(Buffer.concat(chunks))); };
    socket.on(tlsOptions ? "secureConnect" : "connect", () => socket.write(request));
    socket.on("data", (d) => chunks.push(d));
    socket.on("end", done);
    // A refused request is answered and the connection closed, maybe before
    // all was written: what arrived is the answer.
    socket.on("error", (e) => (chunks.length ? done() : (clearTimeout(timer), reject(e))));
  });
}
