// Calls the gateway the way a web app's ChatKit integration does: the
// user's token in Authorization, JSON bodies, errors in the SPEC's shape.
const $ = (id) => document.getElementById(id);
let handle = null;

function show(text, kind) {
  $("status").textContent = text;
  $("status").className = kind || "";
}

async function gateway(method, path, body) {
  const res = await fetch($("gateway").value + path, {
    method,
    headers: Object.assign({ Authorization: "Bearer " + $("token").value },
                           body ? { "Content-Type": "application/json" } : {}),
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json();
  if (!res.ok) throw new Error(res.status + " " + data.error.code);
  return data;
}

async function mint() {
  try {
    const session = await gateway("POST", "/v1/chatkit/sessions", handle ? { replaces: handle } : {});
    handle = session.session_handle;
    const expires = new Date(session.expires_at * 1000).toISOString();
    $("session").textContent = "Client secret " + session.client_secret.slice(0, 10) + "… expires " + expires;
    show("Session minted.", "ok");
  } catch (e) {
    show("Mint failed: " + e.message, "error");
  }
}

async function list() {
  try {
    const page = await gateway("GET", "/v1/chatkit/threads?limit=20");
    const ul = $("threads");
    ul.textContent = "";
    for (const t of page.data) {
      const li = document.createElement("li");
      li.dataset.id = t.id;
      li.textContent = (t.title || "(untitled)") + " ";
      const del = document.createElement("button");
      del.textContent = "Delete";
      del.onclick = () => remove(t.id);
      li.appendChild(del);
      ul.appendChild(li);
    }
    show(page.data.length + " thread(s).", "ok");
  } catch (e) {
    show("Listing failed: " + e.message, "error");
  }
}

async function remove(id) {
  try {
    await gateway("DELETE", "/v1/chatkit/threads/" + encodeURIComponent(id));
    await list();
    show("Deleted " + id + ".", "ok");
  } catch (e) {
    show("Delete failed: " + e.message, "error");
  }
}

$("mint").onclick = mint;
$("list").onclick = list;
const params = new URLSearchParams(location.search);
if (params.get("gateway")) $("gateway").value = params.get("gateway");
if (params.get("token")) $("token").value = params.get("token");
