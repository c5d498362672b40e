// Validates every Kubernetes object under deploy/ against the Kubernetes
// OpenAPI schemas (kubernetes-models, generated from Kubernetes 1.27's
// OpenAPI document; ServiceMonitor and PrometheusRule from the Prometheus
// Operator's CRDs), as the API server would check types and required
// fields. The objects are those each kustomization.yaml lists under
// `resources` (followed into the bases they name), plus the example Secret.
//
// Usage: node validate.mjs [--self-test]
//   --self-test  breaks a copy of the manifests in ways the schemas forbid
//                (a string for an integer, a missing required field, ...)
//                and fails unless every break is refused.
// Exit status 0 when every object is valid; 1 with one line per problem.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

const deployDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// apiVersion -> the module holding its models.
const modules = {
  "v1": "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "autoscaling/v2": "kubernetes-models/autoscaling/v2",
  "policy/v1": "kubernetes-models/policy/v1",
  "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
  "monitoring.coreos.com/v1": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
};

function readDocs(file) {
  return YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))
    .map((d) => {
      if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
      return d.toJS();
    })
    .filter((d) => d !== null);
}

// [{file, doc}] for every resource reachable from the kustomizations.
function collect() {
  const seen = new Set();
  const out = [];
  const visit = (dir) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const kustomization = readDocs(path.join(dir, "kustomization.yaml"))[0] ?? {};
    for (const r of kustomization.resources ?? []) {
      const target = path.resolve(dir, r);
      if (fs.existsSync(target) && fs.statSync(target).isDirectory()) visit(target);
      else for (const doc of readDocs(target)) out.push({ file: path.relative(deployDir, target), doc });
    }
  };
  visit(path.join(deployDir, "base"));
  const overlays = path.join(deployDir, "overlays");
  if (fs.existsSync(overlays))
    for (const name of fs.readdirSync(overlays).sort()) visit(path.join(overlays, name));
  for (const doc of readDocs(path.join(deployDir, "base", "secret.example.yaml")))
    out.push({ file: "base/secret.example.yaml", doc });
  return out;
}

async function problemsOf(objects) {
  const problems = [];
  for (const { file, doc } of objects) {
    const where = `${file}: ${doc?.kind ?? "?"} ${doc?.metadata?.name ?? "?"}`;
    const module = modules[doc?.apiVersion];
    if (!module) {
      problems.push(`${where}: no schema for apiVersion ${doc?.apiVersion}`);
      continue;
    }
    const Model = (await import(module))[doc.kind];
    if (typeof Model !== "function") {
      problems.push(`${where}: ${doc.apiVersion} has no kind ${doc.kind}`);
      continue;
    }
    try {
      new Model(structuredClone(doc)).validate();
    } catch (e) {
      problems.push(`${where}: ${e.message}`);
    }
  }
  return problems;
}

const find = (objects, kind) => objects.find((o) => o.doc.kind === kind).doc;
const container = (objects) => find(objects, "Deployment").spec.template.spec.containers[0];

// Each must be refused by the schemas.
const breaks = [
  ["replicas as a string", (o) => (find(o, "Deployment").spec.replicas = "2")],
  ["periodSeconds as a word", (o) => (container(o).livenessProbe.periodSeconds = "ten")],
  ["containerPort as a string", (o) => (container(o).ports[0].containerPort = "8443")],
  ["no containers", (o) => delete find(o, "Deployment").spec.template.spec.containers],
  ["no selector", (o) => delete find(o, "Deployment").spec.selector],
  ["HPA without maxReplicas", (o) => delete find(o, "HorizontalPodAutoscaler").spec.maxReplicas],
  ["egress ports as a map", (o) => (find(o, "NetworkPolicy").spec.egress[0].ports = { port: 53 })],
  ["ConfigMap data not strings", (o) => (find(o, "ConfigMap").data = { "config.json": { server: {} } })],
  ["ServiceMonitor endpoints as a string", (o) => (find(o, "ServiceMonitor").spec.endpoints = "admin")],
  ["ServiceMonitor without a selector", (o) => delete find(o, "ServiceMonitor").spec.selector],
];

async function selfTest(objects) {
  const failures = [];
  if ((await problemsOf(objects)).length) failures.push("the shipped manifests do not pass");
  for (const [name, edit] of breaks) {
    const copy = structuredClone(objects);
    edit(copy);
    if (!(await problemsOf(copy)).length) failures.push(`not refused: ${name}`);
  }
  const missed = failures.filter((f) => f.startsWith("not refused")).length;
  console.log(`self-test: ${breaks.length - missed}/${breaks.length} schema breaks refused`);
  return failures;
}

const objects = collect();
const problems = process.argv.includes("--self-test") ? await selfTest(objects) : await problemsOf(objects);
for (const p of problems) console.log(p);
if (!problems.length && !process.argv.includes("--self-test"))
  console.log(`schemas OK: ${objects.length} objects (${[...new Set(objects.map((o) => o.doc.kind))].join(", ")})`);
process.exit(problems.length ? 1 : 0);
