#!/usr/bin/python3
"""Checks the Kubernetes manifests in deploy/base for the properties the
service relies on in production: probes on the admin port, non-root,
read-only root filesystem, no capabilities, seccomp, resource requests and
limits, a termination grace period that covers preStop + drain + grace,
enough replicas, secrets from Secrets only, and a NetworkPolicy whose egress
is DNS and HTTPS only. Also runs the gateway's --check-config on the
ConfigMap's configuration when given the binary.

Usage: check_manifests.py [--gateway BIN --pki DIR] [--self-test]
  --self-test  removes or weakens each required property in turn and fails
               unless every such change is caught.
Exit status 0 when everything holds; 1 with one line per problem otherwise.
"""
import copy
import glob
import json
import os
import subprocess
import sys
import tempfile

import yaml

BASE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "base")
REQUIRED_KINDS = ["Deployment", "Service", "ConfigMap", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                  "NetworkPolicy"]


def load_base():
    """Every document of every manifest file, and the kustomization."""
    docs = {}
    for path in sorted(glob.glob(os.path.join(BASE, "*.yaml"))):
        with open(path) as f:
            docs[os.path.basename(path)] = [d for d in yaml.safe_load_all(f) if d is not None]
    return docs


def by_kind(docs, kind, files=None):
    return [d for name, ds in docs.items() if files is None or name in files for d in ds if d.get("kind") == kind]


def port_number(container, port):
    if isinstance(port, int):
        return port
    for p in container.get("ports", []):
        if p.get("name") == port:
            return p.get("containerPort")
    return None


def listen_port(address):
    return int(address.rsplit(":", 1)[1])


def check(docs):
    problems = []
    add = problems.append
    kustomization = docs.get("kustomization.yaml", [{}])[0]
    resources = kustomization.get("resources", [])
    for r in resources:
        if r not in docs:
            add(f"kustomization: resource {r} does not exist")
    for name in docs:
        if name not in resources and name not in ("kustomization.yaml", "secret.example.yaml"):
            add(f"kustomization: {name} is not listed in resources")
    applied = set(resources)
    for kind in REQUIRED_KINDS:
        if not by_kind(docs, kind, applied):
            add(f"missing a {kind}")
    if not by_kind(docs, "Secret", {"secret.example.yaml"}):
        add("secret.example.yaml: no example Secret")
    if by_kind(docs, "Secret", applied):
        add("a Secret is applied by kustomization; secrets must come from outside the repository")
    deployments = by_kind(docs, "Deployment", applied)
    configmaps = by_kind(docs, "ConfigMap", applied)
    if not deployments or not configmaps:
        return problems
    config = None
    try:
        config = json.loads(configmaps[0]["data"]["config.json"])
    except (KeyError, ValueError) as e:
        add(f"configmap: config.json missing or not JSON ({e})")
    problems += check_deployment(deployments[0], config)
    problems += check_scaling(docs, applied, deployments[0])
    problems += check_network_policy(by_kind(docs, "NetworkPolicy", applied))
    return problems


def check_deployment(dep, config):
    problems = []
    add = problems.append
    spec = dep.get("spec", {})
    pod = spec.get("template", {}).get("spec", {})
    containers = pod.get("containers", [])
    if spec.get("replicas", 1) < 2:
        add("deployment: fewer than 2 replicas")
    if not containers:
        return problems + ["deployment: no container"]
    c = containers[0]
    pod_sc = pod.get("securityContext", {})
    sc = c.get("securityContext", {})
    if not (sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True):
        add("deployment: runAsNonRoot is not true")
    if sc.get("runAsUser", pod_sc.get("runAsUser", 0)) == 0:
        add("deployment: runs as user 0")
    if sc.get("readOnlyRootFilesystem") is not True:
        add("deployment: readOnlyRootFilesystem is not true")
    if sc.get("allowPrivilegeEscalation") is not False:
        add("deployment: allowPrivilegeEscalation is not false")
    if sc.get("privileged"):
        add("deployment: privileged")
    if "ALL" not in sc.get("capabilities", {}).get("drop", []) or sc.get("capabilities", {}).get("add"):
        add("deployment: capabilities are not all dropped")
    seccomp = sc.get("seccompProfile", pod_sc.get("seccompProfile", {}))
    if seccomp.get("type") != "RuntimeDefault":
        add("deployment: seccompProfile is not RuntimeDefault")
    resources = c.get("resources", {})
    for section in ("requests", "limits"):
        for what in ("cpu", "memory"):
            if what not in resources.get(section, {}):
                add(f"deployment: resources.{section}.{what} missing")
    admin_port = listen_port(config["admin"]["listen"]) if config else None
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = c.get(probe, {}).get("httpGet")
        if not get or get.get("path") != path:
            add(f"deployment: {probe} is not an httpGet of {path}")
        elif port_number(c, get.get("port")) != admin_port:
            add(f"deployment: {probe} does not use the admin port {admin_port}")
    if config:
        problems += check_against_config(pod, c, config)
    return problems


def check_against_config(pod, c, config):
    problems = []
    add = problems.append
    server = config.get("server", {})
    if not config["admin"]["listen"].startswith("0.0.0.0:"):
        add("configmap: admin.listen must be reachable by the kubelet's probes (0.0.0.0)")
    ports = {p.get("containerPort") for p in c.get("ports", [])}
    for key, address in (("server.listen", server.get("listen", "")), ("admin.listen", config["admin"]["listen"])):
        if listen_port(address) not in ports:
            add(f"deployment: no containerPort for {key} {address}")
    pre_stop = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    needed = pre_stop + server.get("drain_seconds", 5) + server.get("shutdown_grace_seconds", 25)
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if grace <= needed:
        add(f"deployment: terminationGracePeriodSeconds {grace} does not exceed preStop + drain + grace = {needed}")
    cpu = str(c.get("resources", {}).get("limits", {}).get("cpu", "0"))
    cpu_limit = float(cpu[:-1]) / 1000 if cpu.endswith("m") else float(cpu)
    threads = server.get("threads", 0)
    if threads == 0 or threads > max(1, round(cpu_limit)):
        add(f"configmap: server.threads {threads} does not match the CPU limit {cpu}")
    env = {e.get("name"): e for e in c.get("env", [])}
    secret_vars = [config.get("upstream", {}).get("api_key_env", "OPENAI_API_KEY"),
                   config.get("sessions", {}).get("handle_key_env", "CHATKIT_GATEWAY_HANDLE_KEY")]
    if config.get("users", {}).get("hmac_key_env"):
        secret_vars.append(config["users"]["hmac_key_env"])
    for name in secret_vars:
        if "secretKeyRef" not in env.get(name, {}).get("valueFrom", {}):
            add(f"deployment: {name} does not come from a Secret")
    return problems


def check_scaling(docs, applied, dep):
    problems = []
    labels = dep["spec"]["template"]["metadata"].get("labels", {})
    for hpa in by_kind(docs, "HorizontalPodAutoscaler", applied):
        if hpa["spec"].get("minReplicas", 1) < 2:
            problems.append("hpa: minReplicas below 2")
        if hpa["spec"].get("scaleTargetRef", {}).get("name") != dep["metadata"]["name"]:
            problems.append("hpa: does not target the deployment")
    for pdb in by_kind(docs, "PodDisruptionBudget", applied):
        selector = pdb["spec"].get("selector", {}).get("matchLabels", {})
        if not selector or any(labels.get(k) != v for k, v in selector.items()):
            problems.append("pdb: selector does not match the pods")
        if "minAvailable" not in pdb["spec"] and "maxUnavailable" not in pdb["spec"]:
            problems.append("pdb: neither minAvailable nor maxUnavailable")
    return problems


def check_network_policy(policies):
    problems = []
    for np in policies:
        spec = np.get("spec", {})
        if "Egress" not in spec.get("policyTypes", []):
            problems.append("networkpolicy: egress is not restricted")
        for rule in spec.get("egress", []):
            ports = rule.get("ports")
            if not ports:
                problems.append("networkpolicy: an egress rule allows every port")
                continue
            for p in ports:
                if p.get("port") not in (53, 443):
                    problems.append(f"networkpolicy: egress to port {p.get('port')}")
            if not rule.get("to"):
                problems.append("networkpolicy: an egress rule allows every destination")
    return problems


def check_config_with_gateway(docs, gateway, pki):
    """The ConfigMap's configuration through the real loader, its TLS paths
    pointed at a test certificate and its secrets set to test values."""
    config = json.loads(by_kind(docs, "ConfigMap")[0]["data"]["config.json"])
    config["server"]["tls"] = {"cert_file": os.path.join(pki, "server.pem"), "key_file": os.path.join(pki, "server.key")}
    env = {"PATH": "/usr/bin:/bin", "OPENAI_API_KEY": "sk-test", "CHATKIT_GATEWAY_USER_ID_KEY": "test",
           "CHATKIT_GATEWAY_HANDLE_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(config, f)
        f.flush()
        r = subprocess.run([gateway, "--config", f.name, "--check-config"], env=env, capture_output=True, text=True)
    return [] if r.returncode == 0 else [f"configmap: --check-config failed: {r.stderr.strip()}"]


def container(docs):
    return by_kind(docs, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]


def pod_spec(docs):
    return by_kind(docs, "Deployment")[0]["spec"]["template"]["spec"]


def set_config(docs, edit):
    cm = by_kind(docs, "ConfigMap")[0]
    config = json.loads(cm["data"]["config.json"])
    edit(config)
    cm["data"]["config.json"] = json.dumps(config)


# Each weakening the check must catch: (description, edit of a copy of the docs).
MUTATIONS = [
    ("liveness probe removed", lambda d: container(d).pop("livenessProbe")),
    ("readiness probe removed", lambda d: container(d).pop("readinessProbe")),
    ("readiness probe on /healthz", lambda d: container(d)["readinessProbe"]["httpGet"].update(path="/healthz")),
    ("probe on the public port", lambda d: container(d)["livenessProbe"]["httpGet"].update(port="https")),
    ("runAsNonRoot removed", lambda d: (container(d)["securityContext"].pop("runAsNonRoot"),
                                        pod_spec(d)["securityContext"].pop("runAsNonRoot"))),
    ("runAsUser 0", lambda d: pod_spec(d)["securityContext"].update(runAsUser=0)),
    ("writable root filesystem", lambda d: container(d)["securityContext"].pop("readOnlyRootFilesystem")),
    ("privilege escalation", lambda d: container(d)["securityContext"].update(allowPrivilegeEscalation=True)),
    ("capabilities kept", lambda d: container(d)["securityContext"].pop("capabilities")),
    ("NET_ADMIN added", lambda d: container(d)["securityContext"]["capabilities"].update(add=["NET_ADMIN"])),
    ("seccomp removed", lambda d: pod_spec(d)["securityContext"].pop("seccompProfile")),
    ("memory limit removed", lambda d: container(d)["resources"]["limits"].pop("memory")),
    ("cpu limit removed", lambda d: container(d)["resources"]["limits"].pop("cpu")),
    ("requests removed", lambda d: container(d)["resources"].pop("requests")),
    ("one replica", lambda d: by_kind(d, "Deployment")[0]["spec"].update(replicas=1)),
    ("grace period too short", lambda d: pod_spec(d).update(terminationGracePeriodSeconds=30)),
    ("longer drain, same grace period", lambda d: set_config(d, lambda c: c["server"].update(drain_seconds=15))),
    ("admin on loopback", lambda d: set_config(d, lambda c: c["admin"].update(listen="127.0.0.1:9090"))),
    ("threads from the node's cores", lambda d: set_config(d, lambda c: c["server"].update(threads=0))),
    ("API key as a literal", lambda d: container(d)["env"].__setitem__(0, {"name": "OPENAI_API_KEY", "value": "sk-x"})),
    ("HPA down to one", lambda d: by_kind(d, "HorizontalPodAutoscaler")[0]["spec"].update(minReplicas=1)),
    ("PDB selects nothing", lambda d: by_kind(d, "PodDisruptionBudget")[0]["spec"]["selector"].update(matchLabels={"x": "y"})),
    ("egress unrestricted", lambda d: by_kind(d, "NetworkPolicy")[0]["spec"].update(policyTypes=["Ingress"])),
    ("egress to any port", lambda d: by_kind(d, "NetworkPolicy")[0]["spec"]["egress"][1].pop("ports")),
    ("NetworkPolicy removed", lambda d: d.pop("networkpolicy.yaml")),
    ("PDB removed", lambda d: d.pop("pdb.yaml")),
]


def self_test(docs):
    failures = []
    if check(docs):
        failures.append("the shipped manifests do not pass")
    for name, mutate in MUTATIONS:
        mutated = copy.deepcopy(docs)
        mutate(mutated)
        if not check(mutated):
            failures.append(f"not caught: {name}")
    print(f"self-test: {len(MUTATIONS) - len(failures)}/{len(MUTATIONS)} weakened manifests caught")
    return failures


def main(argv):
    docs = load_base()
    if "--self-test" in argv:
        problems = self_test(docs)
    else:
        problems = check(docs)
        if "--gateway" in argv:
            problems += check_config_with_gateway(docs, argv[argv.index("--gateway") + 1], argv[argv.index("--pki") + 1])
    for p in problems:
        print(p)
    if not problems:
        print(f"manifests OK: {sum(len(d) for d in docs.values())} documents in {BASE}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
