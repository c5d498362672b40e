// Uses chatkit-gateway the way a web app's ChatKit integration does
// (docs/api.md): the user's token in Authorization, JSON bodies, errors as
// {"error": {"code", "message", "param"}}. Mints a session on sign-in,
// refreshes it with `replaces` before it expires (the gateway cancels the
// old one upstream), cancels it on sign-out, and lists the user's threads.
// Where OpenAI's ChatKit web component loads, it is mounted with
// getClientSecret wired to the same calls.
const CHATKIT_JS = "https://cdn.platform.openai.com/deployments/chatkit/chatkit.js";
const $ = (id) => document.getElementById(id);
const state = { session: null, timer: null, refreshes: 0, chatkit: null };

function show(text, kind) {
  $("status").textContent = text;
  $("status").className = kind || "";
}

// One gateway call; throws an Error whose message says what went wrong.
async function gateway(method, path, body) {
  let res;
  try {
    res = await fetch($("gateway").value.replace(/\/+$/, "") + path, {
      method,
      headers: Object.assign({ Authorization: "Bearer " + $("token").value },
                             body ? { "Content-Type": "application/json" } : {}),
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    // The browser hides why: unreachable, certificate not trusted, or this
    // page's origin is not in the gateway's cors.allowed_origins.
    throw new Error("no answer from the gateway (unreachable, untrusted certificate, or origin not allowed)");
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const error = (data && data.error) || {};
    const id = res.headers.get("X-Request-Id");
    throw new Error(`${res.status} ${error.code || res.statusText}: ${error.message || ""}` + (id ? ` (request ${id})` : ""));
  }
  return data;
}

// Mints a session (replacing `replaces` when given) and makes it current.
async function mint(replaces) {
  const session = await gateway("POST", "/v1/chatkit/sessions", replaces ? { replaces } : {});
  if (replaces) state.refreshes++;
  state.session = session;
  scheduleRefresh();
  render();
  return session;
}

// A minute before expiry (or at 80% of a short lifetime). When ChatKit is
// mounted it asks for a fresh secret itself (getClientSecret), so the page
// does not refresh behind its back.
function scheduleRefresh() {
  clearTimeout(state.timer);
  state.timer = null;
  if (!state.session || state.chatkit) return;
  const lifetime = state.session.expires_at - Date.now() / 1000;
  const refreshIn = Math.max(1, lifetime > 120 ? lifetime - 60 : lifetime * 0.8);
  state.refreshAt = Date.now() + refreshIn * 1000;
  state.timer = setTimeout(() => refresh("before expiry"), refreshIn * 1000);
}

function render() {
  const s = state.session;
  $("session").hidden = !s;
  $("no-session").hidden = !!s;
  $("refresh").disabled = $("sign-out").disabled = !s;
  if (!s) return;
  // Never the whole secret on screen: a prefix is enough to tell sessions apart.
  $("secret").textContent = s.client_secret.slice(0, 8) + "…";
  $("expires").textContent = new Date(s.expires_at * 1000).toISOString();
  $("next-refresh").textContent = state.chatkit ? "when ChatKit asks (getClientSecret)"
                                                : new Date(state.refreshAt).toISOString();
  $("refreshes").textContent = String(state.refreshes);
}

async function signIn() {
  try {
    await mint(state.session && state.session.session_handle);
    show("Session minted.", "ok");
    await mountChatKit();
  } catch (e) {
    show("Mint failed: " + e.message, "error");
  }
}

async function refresh(why) {
  if (!state.session) return;
  try {
    await mint(state.session.session_handle);
    show(`Session refreshed (${why}); the previous one is cancelled.`, "ok");
  } catch (e) {
    show("Refresh failed: " + e.message, "error");
  }
}

async function signOut() {
  const handle = state.session && state.session.session_handle;
  clearTimeout(state.timer);
  state.session = null;
  unmountChatKit();
  render();
  if (!handle) return;
  try {
    await gateway("DELETE", "/v1/chatkit/sessions/" + encodeURIComponent(handle));
    show("Signed out; the session is cancelled.", "ok");
  } catch (e) {
    show("Sign-out failed: " + e.message, "error");
  }
}

async function listThreads() {
  try {
    const page = await gateway("GET", "/v1/chatkit/threads?limit=20");
    const ul = $("threads");
    ul.textContent = "";
    for (const t of page.data) {
      const li = document.createElement("li");
      li.dataset.id = t.id;
      li.textContent = `${t.title || "(untitled)"} — ${t.status.type} `;
      const del = document.createElement("button");
      del.textContent = "Delete";
      del.onclick = () => deleteThread(t.id);
      li.appendChild(del);
      ul.appendChild(li);
    }
    show(page.data.length + " thread(s).", "ok");
  } catch (e) {
    show("Listing failed: " + e.message, "error");
  }
}

async function deleteThread(id) {
  try {
    await gateway("DELETE", "/v1/chatkit/threads/" + encodeURIComponent(id));
    await listThreads();
    show("Deleted " + id + ".", "ok");
  } catch (e) {
    show("Delete failed: " + e.message, "error");
  }
}

// Resolves true when <openai-chatkit> is defined, false when chatkit.js
// cannot be loaded (offline, blocked) or does not define it within 10 s.
function loadChatKit() {
  return new Promise((resolve) => {
    const script = document.createElement("script");
    script.src = CHATKIT_JS;
    script.async = true;
    script.onerror = () => resolve(false);
    script.onload = () => {
      const timeout = new Promise((r) => setTimeout(() => r(false), 10000));
      Promise.race([customElements.whenDefined("openai-chatkit").then(() => true), timeout]).then(resolve);
    };
    document.head.appendChild(script);
  });
}
const chatkitLoaded = loadChatKit().then((ok) => {
  const note = $("chatkit-note");
  note.hidden = ok;
  note.textContent = ok ? "" :
    "The ChatKit web component (chatkit.js from OpenAI's CDN) could not be loaded here — offline or blocked. " +
    "Everything else on this page works without it; where it loads, it is mounted here after sign-in " +
    "with getClientSecret wired to the gateway.";
  return ok;
});

async function mountChatKit() {
  if (!(await chatkitLoaded) || state.chatkit || !state.session) return;
  const chatkit = document.createElement("openai-chatkit");
  chatkit.setOptions({
    api: {
      // ChatKit calls this at start (no current secret: the one just minted)
      // and before the secret expires (refresh, cancelling the old session).
      async getClientSecret(current) {
        if (!current && state.session) return state.session.client_secret;
        const session = await mint(state.session && state.session.session_handle);
        return session.client_secret;
      },
    },
  });
  state.chatkit = chatkit;
  $("chatkit").appendChild(chatkit);
  scheduleRefresh();
  render();
}

function unmountChatKit() {
  if (state.chatkit) state.chatkit.remove();
  state.chatkit = null;
}

// scripts/run-dev.sh serves dev-config.json beside this page: the gateway's
// URL and a dev user's token. Without it, type them in.
async function loadDevConfig() {
  try {
    const res = await fetch("dev-config.json", { cache: "no-store" });
    if (!res.ok) return;
    const config = await res.json();
    if (config.gateway) $("gateway").value = config.gateway;
    if (config.token) $("token").value = config.token;
    $("config-note").textContent = `Gateway and a token for "${config.user}" filled in by the dev run (dev-config.json).`;
  } catch (e) {
    // No dev config: the fields keep their defaults.
  }
}

$("sign-in").onclick = signIn;
$("refresh").onclick = () => refresh("by hand");
$("sign-out").onclick = signOut;
$("list").onclick = listThreads;
loadDevConfig().then(() => { document.body.dataset.ready = "true"; });
