#!/usr/bin/python3
"""Checks the Kubernetes manifests in deploy/ for the properties the
service relies on in production: probes on the admin port, non-root,
read-only root filesystem, no capabilities, seccomp, resource requests and
limits, a termination grace period that covers preStop + drain + grace,
enough replicas, secrets from Secrets only, the ConfigMap mounted as a
directory (never subPath) at the path the process reads, a NetworkPolicy
whose egress rules each name a port and a destination (ipBlocks only for
HTTPS and never to private ranges) and whose ingress rules each name ports
and sources, the admin port's only the monitoring namespace, a ServiceMonitor (overlays/monitoring)
that selects the Service's admin port, and an Ingress (overlays/ingress-nginx)
that reaches the public container port only (through the Service's
targetPort), speaks the protocol the gateway serves, has no annotation that
routes elsewhere or answers for the gateway (CORS), and no patch applied
after the check. Also runs the gateway's
--check-config on the ConfigMap's configuration when given the binary.

Every value is type-checked before use: a wrong type (replicas: "2",
periodSeconds: ten) is a problem reported like any other, never a crash.
Schema validation proper (every field of every object) is
deploy/validate/validate.mjs.

Usage: check_manifests.py [--gateway BIN --pki DIR] [--self-test]
  --self-test  removes or weakens each required property in turn and fails
               unless every such change is caught.
Exit status 0 when everything holds; 1 with one line per problem otherwise.
"""
import copy
import glob
import ipaddress
import json
import os
import posixpath
import subprocess
import sys
import tempfile

import yaml

DEPLOY = os.path.dirname(os.path.abspath(__file__))
BASE = os.path.join(DEPLOY, "base")
MONITORING = os.path.join(DEPLOY, "overlays", "monitoring")
INGRESS = os.path.join(DEPLOY, "overlays", "ingress-nginx")
OVERLAYS = ("overlays/monitoring", "overlays/ingress-nginx")
REQUIRED_KINDS = ["Deployment", "Service", "ConfigMap", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                  "NetworkPolicy"]
PROBE_INTEGERS = ("initialDelaySeconds", "periodSeconds", "timeoutSeconds", "successThreshold", "failureThreshold")
# Private and special ranges an HTTPS ipBlock must leave out.
PRIVATE_V4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"]
PRIVATE_V6 = ["fc00::/7", "fe80::/10"]


def load_dir(directory):
    """Every document of every manifest file in `directory`, by file name."""
    docs = {}
    for path in sorted(glob.glob(os.path.join(directory, "*.yaml"))):
        with open(path) as f:
            docs[os.path.basename(path)] = [d for d in yaml.safe_load_all(f) if d is not None]
    return docs


def load():
    docs = load_dir(BASE)
    docs["overlays/monitoring"] = load_dir(MONITORING)
    docs["overlays/ingress-nginx"] = load_dir(INGRESS)
    return docs


# --- typed access: wrong shapes become problems, never exceptions ---------

def dig(obj, *keys, default=None):
    """obj[k1][k2]..., or `default` when any step is missing or of the wrong shape."""
    for k in keys:
        if isinstance(obj, dict) and k in obj:
            obj = obj[k]
        elif isinstance(obj, list) and isinstance(k, int) and -len(obj) <= k < len(obj):
            obj = obj[k]
        else:
            return default
    return obj


def mapping(value):
    return value if isinstance(value, dict) else {}


def sequence(value):
    return value if isinstance(value, list) else []


def integer(problems, where, obj, key, default=None):
    """obj[key] when it is an integer (not a bool, not a string of digits);
    `default` when absent; None, with a problem, for anything else."""
    if not isinstance(obj, dict) or key not in obj:
        return default
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(f"{where}.{key} is not an integer: {value!r}")
        return None
    return value


def cpu_cores(quantity):
    """A CPU quantity ("2", "1500m", 2) in cores, or None when not one."""
    text = str(quantity)
    try:
        return float(text[:-1]) / 1000 if text.endswith("m") else float(text)
    except ValueError:
        return None


def docs_of(docs, kind, files=None):
    """The documents of `kind` in the base's files (`files`: only those)."""
    return [d for name, ds in docs.items() if (files is None or name in files) and isinstance(ds, list)
            for d in ds if isinstance(d, dict) and d.get("kind") == kind]


# --- the checks ------------------------------------------------------------

def check(docs):
    problems = []
    try:
        check_all(docs, problems)
    except Exception as e:  # a shape nobody foresaw: reported, never a traceback
        problems.append(f"manifests: unexpected structure ({type(e).__name__}: {e})")
    return problems


def check_all(docs, problems):
    add = problems.append
    kustomization = mapping(dig(docs, "kustomization.yaml", 0))
    resources = [r for r in sequence(kustomization.get("resources")) if isinstance(r, str)]
    for r in resources:
        if r not in docs:
            add(f"kustomization: resource {r} does not exist")
    for name in docs:
        if name not in resources and name not in ("kustomization.yaml", "secret.example.yaml", *OVERLAYS):
            add(f"kustomization: {name} is not listed in resources")
    applied = set(resources)
    for kind in REQUIRED_KINDS:
        if not docs_of(docs, kind, applied):
            add(f"missing a {kind}")
    if not docs_of(docs, "Secret", {"secret.example.yaml"}):
        add("secret.example.yaml: no example Secret")
    if docs_of(docs, "Secret", applied):
        add("a Secret is applied by kustomization; secrets must come from outside the repository")
    deployments = docs_of(docs, "Deployment", applied)
    configmaps = docs_of(docs, "ConfigMap", applied)
    if not deployments or not configmaps:
        return
    config = None
    try:
        config = json.loads(dig(configmaps[0], "data", "config.json", default=""))
        if not isinstance(config, dict):
            raise ValueError("not an object")
    except (TypeError, ValueError) as e:
        add(f"configmap: config.json missing or not a JSON object ({e})")
        config = None
    check_deployment(deployments[0], configmaps[0], config, problems)
    check_scaling(docs, applied, deployments[0], problems)
    check_network_policy(docs_of(docs, "NetworkPolicy", applied), problems)
    check_policy_sources(docs_of(docs, "NetworkPolicy", applied), config, problems)
    check_monitoring(docs, kustomization, docs_of(docs, "Service", applied), problems)
    check_ingress(docs, config, docs_of(docs, "Service", applied), deployments[0], problems)


def check_deployment(dep, configmap, config, problems):
    add = problems.append
    spec = mapping(dep.get("spec"))
    pod = mapping(dig(spec, "template", "spec"))
    containers = sequence(pod.get("containers"))
    replicas = integer(problems, "deployment: spec", spec, "replicas", 1)
    if replicas is not None and replicas < 2:
        add("deployment: fewer than 2 replicas")
    if not containers or not isinstance(containers[0], dict):
        add("deployment: no container")
        return
    c = containers[0]
    pod_sc = mapping(pod.get("securityContext"))
    sc = mapping(c.get("securityContext"))
    if sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is not True:
        add("deployment: runAsNonRoot is not true")
    user = integer(problems, "deployment: securityContext", sc, "runAsUser",
                   integer(problems, "deployment: pod securityContext", pod_sc, "runAsUser", 0))
    if user == 0:
        add("deployment: runs as user 0")
    if sc.get("readOnlyRootFilesystem") is not True:
        add("deployment: readOnlyRootFilesystem is not true")
    if sc.get("allowPrivilegeEscalation") is not False:
        add("deployment: allowPrivilegeEscalation is not false")
    if sc.get("privileged") is not False and sc.get("privileged") is not None:
        add("deployment: privileged")
    capabilities = mapping(sc.get("capabilities"))
    if "ALL" not in sequence(capabilities.get("drop")) or capabilities.get("add"):
        add("deployment: capabilities are not all dropped")
    seccomp = mapping(sc.get("seccompProfile", pod_sc.get("seccompProfile")))
    if seccomp.get("type") != "RuntimeDefault":
        add("deployment: seccompProfile is not RuntimeDefault")
    resources = mapping(c.get("resources"))
    for section in ("requests", "limits"):
        for what in ("cpu", "memory"):
            if what not in mapping(resources.get(section)):
                add(f"deployment: resources.{section}.{what} missing")
    check_probes(c, config, problems)
    check_config_mount(pod, c, configmap, problems)
    if config:
        check_against_config(pod, c, config, problems)


def port_number(container, port):
    if isinstance(port, int) and not isinstance(port, bool):
        return port
    for p in sequence(container.get("ports")):
        if mapping(p).get("name") == port:
            return mapping(p).get("containerPort")
    return None


def listen_port(address):
    """The port of a "host:port" listen address, or None."""
    if not isinstance(address, str) or ":" not in address:
        return None
    port = address.rsplit(":", 1)[1]
    return int(port) if port.isdigit() else None


def check_probes(c, config, problems):
    add = problems.append
    admin_port = listen_port(dig(config, "admin", "listen")) if config else None
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        for key in PROBE_INTEGERS:
            value = integer(problems, f"deployment: {probe}", mapping(c.get(probe)), key)
            if value is not None and value < 1 and key != "initialDelaySeconds":
                add(f"deployment: {probe}.{key} is below 1")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = dig(c, probe, "httpGet")
        if not isinstance(get, dict) or get.get("path") != path:
            add(f"deployment: {probe} is not an httpGet of {path}")
        elif port_number(c, get.get("port")) != admin_port:
            add(f"deployment: {probe} does not use the admin port {admin_port}")


def config_path(c):
    """The file given to --config in the container's command line, or None."""
    args = [a for a in sequence(c.get("command")) + sequence(c.get("args")) if isinstance(a, str)]
    for i, a in enumerate(args):
        if a == "--config" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--config="):
            return a.split("=", 1)[1]
    return None


def check_config_mount(pod, c, configmap, problems):
    """The ConfigMap is a mounted directory (updates reach the pod; a subPath
    copy never changes) and --config names a file in it."""
    add = problems.append
    name = dig(configmap, "metadata", "name")
    volumes = {mapping(v).get("name"): mapping(v) for v in sequence(pod.get("volumes"))}
    config_volumes = {n for n, v in volumes.items() if dig(v, "configMap", "name") == name}
    mounts = [mapping(m) for m in sequence(c.get("volumeMounts")) if mapping(m).get("name") in config_volumes]
    if not mounts:
        add(f"deployment: the ConfigMap {name} is not mounted")
        return
    for m in mounts:
        if "subPath" in m or "subPathExpr" in m:
            add("deployment: the ConfigMap is mounted with subPath (it would never update in place)")
    path = config_path(c)
    keys = set(mapping(configmap.get("data")))
    directories = [m.get("mountPath") for m in mounts if isinstance(m.get("mountPath"), str)]
    if path is None or not any(posixpath.dirname(path) == d.rstrip("/") and posixpath.basename(path) in keys
                               for d in directories):
        add(f"deployment: --config {path} is not a key of the ConfigMap's mounted directory {directories}")


def check_against_config(pod, c, config, problems):
    add = problems.append
    server = mapping(config.get("server"))
    admin_listen = dig(config, "admin", "listen", default="127.0.0.1:9090")
    if not isinstance(admin_listen, str) or not admin_listen.startswith("0.0.0.0:"):
        add("configmap: admin.listen must be reachable by the kubelet's probes (0.0.0.0)")
    ports = {mapping(p).get("containerPort") for p in sequence(c.get("ports"))}
    for key, address in (("server.listen", server.get("listen", "0.0.0.0:8443")), ("admin.listen", admin_listen)):
        if listen_port(address) not in ports:
            add(f"deployment: no containerPort for {key} {address}")
    pre_stop = integer(problems, "deployment: preStop.sleep", dig(c, "lifecycle", "preStop", "sleep"), "seconds", 0)
    drain = integer(problems, "configmap: server", server, "drain_seconds", 5)
    grace_config = integer(problems, "configmap: server", server, "shutdown_grace_seconds", 25)
    grace = integer(problems, "deployment: pod spec", pod, "terminationGracePeriodSeconds", 30)
    if None not in (pre_stop, drain, grace_config, grace) and grace <= pre_stop + drain + grace_config:
        add(f"deployment: terminationGracePeriodSeconds {grace} does not exceed preStop + drain + grace = "
            f"{pre_stop + drain + grace_config}")
    cpu = dig(c, "resources", "limits", "cpu", default="0")
    cores = cpu_cores(cpu)
    threads = integer(problems, "configmap: server", server, "threads", 0)
    if cores is None:
        add(f"deployment: resources.limits.cpu is not a CPU quantity: {cpu!r}")
    elif threads is not None and (threads == 0 or threads > max(1, round(cores))):
        add(f"configmap: server.threads {threads} does not match the CPU limit {cpu}")
    env = {mapping(e).get("name"): mapping(e) for e in sequence(c.get("env"))}
    secret_vars = [dig(config, "upstream", "api_key_env", default="OPENAI_API_KEY"),
                   dig(config, "sessions", "handle_key_env", default="CHATKIT_GATEWAY_HANDLE_KEY")]
    if dig(config, "users", "hmac_key_env"):
        secret_vars.append(config["users"]["hmac_key_env"])
    for name in secret_vars:
        if "secretKeyRef" not in mapping(dig(env, name, "valueFrom")):
            add(f"deployment: {name} does not come from a Secret")


def check_scaling(docs, applied, dep, problems):
    labels = mapping(dig(dep, "spec", "template", "metadata", "labels"))
    for hpa in docs_of(docs, "HorizontalPodAutoscaler", applied):
        spec = mapping(hpa.get("spec"))
        low = integer(problems, "hpa: spec", spec, "minReplicas", 1)
        high = integer(problems, "hpa: spec", spec, "maxReplicas")
        if low is not None and low < 2:
            problems.append("hpa: minReplicas below 2")
        if low is not None and high is not None and high < low:
            problems.append("hpa: maxReplicas below minReplicas")
        if dig(spec, "scaleTargetRef", "name") != dig(dep, "metadata", "name"):
            problems.append("hpa: does not target the deployment")
    for pdb in docs_of(docs, "PodDisruptionBudget", applied):
        spec = mapping(pdb.get("spec"))
        selector = mapping(dig(spec, "selector", "matchLabels"))
        if not selector or any(labels.get(k) != v for k, v in selector.items()):
            problems.append("pdb: selector does not match the pods")
        if "minAvailable" not in spec and "maxUnavailable" not in spec:
            problems.append("pdb: neither minAvailable nor maxUnavailable")


def check_ip_block(block, ports, problems):
    """An ipBlock is for public HTTPS only, with the private ranges of its family excluded."""
    cidr = block.get("cidr")
    try:
        network = ipaddress.ip_network(str(cidr))
        excepted = [ipaddress.ip_network(str(e)) for e in sequence(block.get("except"))]
    except ValueError as e:
        problems.append(f"networkpolicy: ipBlock {cidr!r} is not a network ({e})")
        return
    if ports != {443}:
        problems.append(f"networkpolicy: ipBlock {cidr} open to ports {sorted(ports, key=str)}, not HTTPS only")
    private = PRIVATE_V4 if network.version == 4 else PRIVATE_V6
    for p in map(ipaddress.ip_network, private):
        if p.overlaps(network) and not any(p.subnet_of(e) for e in excepted if e.version == p.version):
            problems.append(f"networkpolicy: ipBlock {cidr} lets private range {p} through")


def check_peer(peer, ports, problems):
    if "ipBlock" in peer:
        check_ip_block(mapping(peer["ipBlock"]), ports, problems)
        return
    # In-cluster peers name a namespace and pods: an empty selector is everything.
    if not mapping(dig(peer, "namespaceSelector", "matchLabels")) or not mapping(dig(peer, "podSelector", "matchLabels")):
        problems.append(f"networkpolicy: egress peer {peer} does not name both a namespace and pods")


def policy_rules(policies, direction, problems):
    """Each rule of `direction` ("Ingress" or "Egress") of the policies,
    once checked that the policies restrict that direction at all."""
    for np in policies:
        spec = mapping(np.get("spec"))
        if direction not in sequence(spec.get("policyTypes")):
            problems.append(f"networkpolicy: {direction.lower()} is not restricted")
        for rule in sequence(spec.get(direction.lower())):
            yield mapping(rule)


def check_network_policy(policies, problems):
    families = set()
    for rule in policy_rules(policies, "Egress", problems):
        ports = sequence(rule.get("ports"))
        if not ports:
            problems.append("networkpolicy: an egress rule allows every port")
            continue
        numbers = set()
        for p in ports:
            port = mapping(p).get("port")
            if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
                problems.append(f"networkpolicy: egress port {port!r} is not a port number")
            numbers.add(port)
        peers = sequence(rule.get("to"))
        if not peers:
            problems.append("networkpolicy: an egress rule allows every destination")
        for peer in peers:
            check_peer(mapping(peer), numbers, problems)
            cidr = dig(peer, "ipBlock", "cidr")
            if cidr in ("0.0.0.0/0", "::/0") and numbers == {443}:
                families.add(cidr)
    for cidr in ("0.0.0.0/0", "::/0"):
        if policies and cidr not in families:
            problems.append(f"networkpolicy: no HTTPS egress to public addresses ({cidr})")


def overlay_objects(docs, name, kind, problems):
    """The overlay `name`'s kustomization and its objects of `kind` (none:
    a problem), once checked that it builds on the base; None when the
    overlay is not there."""
    overlay = docs.get(name)
    if overlay is None:
        return None
    objects = docs_of({"o": sum(overlay.values(), [])}, kind)
    if not objects:
        problems.append(f"{name}: no {kind}")
        return None
    kustomization = mapping(dig(overlay, "kustomization.yaml", 0))
    resources = sequence(kustomization.get("resources"))
    if "../../base" not in resources:
        problems.append(f"{name}: does not build on ../../base")
    # What is checked is what is applied: no resource this check did not
    # read, and nothing that rewrites them on the way.
    for r in resources:
        if r != "../../base" and r not in overlay:
            problems.append(f"{name}: resource {r} is not one of the overlay's .yaml files")
    for f in overlay:
        if f != "kustomization.yaml" and f not in resources:
            problems.append(f"{name}: {f} is not listed in resources")
    for field in ("patches", "patchesStrategicMerge", "patchesJson6902", "components", "replacements"):
        if field in kustomization:
            problems.append(f"{name}: {field} would change the objects after this check")
    return kustomization, objects


def check_policy_sources(policies, config, problems):
    """Who may connect: every ingress rule names its ports and its sources;
    the admin port (probes, /metrics, the admin API) only from the
    monitoring namespace, never from the ingress controller's."""
    admin = listen_port(dig(config, "admin", "listen")) if isinstance(config, dict) else None
    for rule in policy_rules(policies, "Ingress", problems):
        ports = [mapping(p).get("port") for p in sequence(rule.get("ports"))]
        sources = [mapping(peer) for peer in sequence(rule.get("from"))]
        if not ports:
            problems.append("networkpolicy: an ingress rule admits every port")
        if not sources:
            problems.append("networkpolicy: an ingress rule admits every source")
        if admin in ports or "admin" in ports or not ports:
            namespaces = [dig(peer, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name")
                          for peer in sources]
            if not sources or any(ns != "monitoring" for ns in namespaces):
                problems.append("networkpolicy: the admin port is admitted from outside the monitoring namespace")


def check_monitoring(docs, kustomization, services, problems):
    found = overlay_objects(docs, "overlays/monitoring", "ServiceMonitor", problems)
    if found is None:
        return
    monitors = found[1]
    # The Service's labels once kustomize has added the common ones.
    common = {}
    for entry in sequence(kustomization.get("labels")):
        common.update(mapping(mapping(entry).get("pairs")))
    for monitor in monitors:
        spec = mapping(monitor.get("spec"))
        selector = mapping(dig(spec, "selector", "matchLabels"))
        ports = [mapping(e).get("port") for e in sequence(spec.get("endpoints"))]
        matched = [s for s in services
                   if selector and all({**common, **mapping(dig(s, "metadata", "labels"))}.get(k) == v
                                       for k, v in selector.items())]
        if not matched:
            problems.append("servicemonitor: selector matches no Service")
        for s in matched:
            names = {mapping(p).get("name"): mapping(p) for p in sequence(dig(s, "spec", "ports"))}
            if not ports or any(p not in names for p in ports):
                problems.append(f"servicemonitor: endpoint ports {ports} are not ports of the Service")
            elif any(dig(names, p, "port") != 9090 for p in ports):
                problems.append("servicemonitor: does not scrape the admin port 9090")
        if any(mapping(e).get("path", "/metrics") != "/metrics" for e in sequence(spec.get("endpoints"))):
            problems.append("servicemonitor: path is not /metrics")


def ingress_backends(ingress):
    """Every Service backend of an Ingress: the default one and each path's."""
    spec = mapping(ingress.get("spec"))
    backends = [dig(spec, "defaultBackend", "service")]
    for rule in sequence(spec.get("rules")):
        for p in sequence(dig(rule, "http", "paths")):
            backends.append(dig(p, "backend", "service"))
    return [mapping(b) for b in backends if b is not None]


# ingress-nginx annotations that send requests somewhere other than the
# Ingress's backends, or that answer in the gateway's place.
INGRESS_ROUTING_ANNOTATIONS = ("default-backend", "mirror-target", "mirror-host", "auth-url", "enable-cors",
                               "custom-http-errors")


def container_port(container, port):
    """The container port a Service targetPort (name or number) reaches."""
    for p in sequence(mapping(container).get("ports")):
        p = mapping(p)
        if port in (p.get("name"), p.get("containerPort")):
            return p.get("containerPort")
    return None


def check_ingress(docs, config, services, deployment, problems):
    found = overlay_objects(docs, "overlays/ingress-nginx", "Ingress", problems)
    if found is None:
        return
    kustomization, ingresses = found
    if kustomization.get("namespace") != "chatkit-gateway":
        problems.append("overlays/ingress-nginx: its Ingress is not in the namespace chatkit-gateway")
    ports = {}  # the Service's ports, by name and by number
    for s in services:
        if dig(s, "metadata", "name") == "chatkit-gateway":
            for p in sequence(dig(s, "spec", "ports")):
                ports[mapping(p).get("name")] = ports[mapping(p).get("port")] = mapping(p)
    server = mapping(config.get("server")) if isinstance(config, dict) else {}
    public = listen_port(server.get("listen"))
    container = (sequence(dig(deployment, "spec", "template", "spec", "containers")) or [{}])[0]
    for ingress in ingresses:
        annotations = mapping(dig(ingress, "metadata", "annotations"))
        protocol = str(annotations.get("nginx.ingress.kubernetes.io/backend-protocol", "HTTP")).upper()
        if protocol != ("HTTPS" if server.get("tls") is not None else "HTTP"):
            problems.append(f"ingress: backend protocol {protocol} while the gateway serves "
                            f"{'HTTPS' if server.get('tls') is not None else 'plain HTTP'}")
        for a in annotations:
            name = str(a).removeprefix("nginx.ingress.kubernetes.io/")
            if name in INGRESS_ROUTING_ANNOTATIONS or name.endswith("-snippet"):
                problems.append(f"ingress: annotation {name} sends requests elsewhere or answers for the gateway")
        backends = ingress_backends(ingress)
        if not backends:
            problems.append("ingress: routes to no Service")
        for b in backends:
            port = mapping(b.get("port"))
            target = ports.get(port.get("name", port.get("number")))
            if b.get("name") != "chatkit-gateway" or target is None:
                problems.append(f"ingress: backend {b.get('name')}:{port} is not a port of the gateway's Service")
                continue
            reached = container_port(container, target.get("targetPort", target.get("port")))
            if reached is None or reached != public:
                problems.append(f"ingress: routes to container port {reached}, not the public listener's "
                                f"({public}): the admin port must never be reachable from it")


def check_config_with_gateway(docs, gateway, pki):
    """The ConfigMap's configuration through the real loader, its TLS paths
    pointed at a test certificate and its secrets set to test values."""
    config = json.loads(docs_of(docs, "ConfigMap")[0]["data"]["config.json"])
    config["server"]["tls"] = {"cert_file": os.path.join(pki, "server.pem"), "key_file": os.path.join(pki, "server.key")}
    env = {"PATH": "/usr/bin:/bin", "OPENAI_API_KEY": "sk-test", "CHATKIT_GATEWAY_USER_ID_KEY": "test",
           "CHATKIT_GATEWAY_HANDLE_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(config, f)
        f.flush()
        r = subprocess.run([gateway, "--config", f.name, "--check-config"], env=env, capture_output=True, text=True)
    return [] if r.returncode == 0 else [f"configmap: --check-config failed: {r.stderr.strip()}"]


# --- self-test: every weakening is caught ----------------------------------

def deployment(docs):
    return docs_of(docs, "Deployment")[0]


def container(docs):
    return deployment(docs)["spec"]["template"]["spec"]["containers"][0]


def pod_spec(docs):
    return deployment(docs)["spec"]["template"]["spec"]


def egress(docs, index):
    return docs_of(docs, "NetworkPolicy")[0]["spec"]["egress"][index]


def monitor(docs):
    return docs["overlays/monitoring"]["servicemonitor.yaml"][0]


def ingress(docs):
    return docs["overlays/ingress-nginx"]["ingress.yaml"][0]


def policy_ingress(docs, index):
    return docs_of(docs, "NetworkPolicy")[0]["spec"]["ingress"][index]


def ingress_annotations(docs):
    return ingress(docs)["metadata"]["annotations"]


def set_config(docs, edit):
    cm = docs_of(docs, "ConfigMap")[0]
    config = json.loads(cm["data"]["config.json"])
    edit(config)
    cm["data"]["config.json"] = json.dumps(config)


def config_mount(docs):
    return next(m for m in container(docs)["volumeMounts"] if m["name"] == "config")


# Each weakening the check must catch: (description, edit of a copy of the docs).
MUTATIONS = [
    ("liveness probe removed", lambda d: container(d).pop("livenessProbe")),
    ("readiness probe removed", lambda d: container(d).pop("readinessProbe")),
    ("readiness probe on /healthz", lambda d: container(d)["readinessProbe"]["httpGet"].update(path="/healthz")),
    ("probe on the public port", lambda d: container(d)["livenessProbe"]["httpGet"].update(port="https")),
    ("periodSeconds: ten", lambda d: container(d)["livenessProbe"].update(periodSeconds="ten")),
    ("failureThreshold 0", lambda d: container(d)["readinessProbe"].update(failureThreshold=0)),
    ("probe that is a string", lambda d: container(d).update(readinessProbe="/readyz")),
    ("runAsNonRoot removed", lambda d: (container(d)["securityContext"].pop("runAsNonRoot"),
                                        pod_spec(d)["securityContext"].pop("runAsNonRoot"))),
    ("runAsNonRoot: \"true\"", lambda d: (container(d)["securityContext"].update(runAsNonRoot="true"),
                                          pod_spec(d)["securityContext"].pop("runAsNonRoot"))),
    ("runAsUser 0", lambda d: pod_spec(d)["securityContext"].update(runAsUser=0)),
    ("runAsUser: \"0\"", lambda d: pod_spec(d)["securityContext"].update(runAsUser="0")),
    ("writable root filesystem", lambda d: container(d)["securityContext"].pop("readOnlyRootFilesystem")),
    ("privilege escalation", lambda d: container(d)["securityContext"].update(allowPrivilegeEscalation=True)),
    ("privileged: \"yes\"", lambda d: container(d)["securityContext"].update(privileged="yes")),
    ("capabilities kept", lambda d: container(d)["securityContext"].pop("capabilities")),
    ("NET_ADMIN added", lambda d: container(d)["securityContext"]["capabilities"].update(add=["NET_ADMIN"])),
    ("seccomp removed", lambda d: pod_spec(d)["securityContext"].pop("seccompProfile")),
    ("memory limit removed", lambda d: container(d)["resources"]["limits"].pop("memory")),
    ("cpu limit removed", lambda d: container(d)["resources"]["limits"].pop("cpu")),
    ("cpu limit: two", lambda d: container(d)["resources"]["limits"].update(cpu="two")),
    ("requests removed", lambda d: container(d)["resources"].pop("requests")),
    ("one replica", lambda d: deployment(d)["spec"].update(replicas=1)),
    ("replicas: \"2\"", lambda d: deployment(d)["spec"].update(replicas="2")),
    ("no container", lambda d: pod_spec(d).update(containers=[])),
    ("grace period too short", lambda d: pod_spec(d).update(terminationGracePeriodSeconds=30)),
    ("grace period: \"40\"", lambda d: pod_spec(d).update(terminationGracePeriodSeconds="40")),
    ("preStop sleep: three", lambda d: container(d)["lifecycle"]["preStop"]["sleep"].update(seconds="three")),
    ("longer drain, same grace period", lambda d: set_config(d, lambda c: c["server"].update(drain_seconds=15))),
    ("drain_seconds: \"5\"", lambda d: set_config(d, lambda c: c["server"].update(drain_seconds="5"))),
    ("admin on loopback", lambda d: set_config(d, lambda c: c["admin"].update(listen="127.0.0.1:9090"))),
    ("threads from the node's cores", lambda d: set_config(d, lambda c: c["server"].update(threads=0))),
    ("config.json not JSON", lambda d: docs_of(d, "ConfigMap")[0]["data"].update({"config.json": "{"})),
    ("API key as a literal", lambda d: container(d)["env"].__setitem__(0, {"name": "OPENAI_API_KEY", "value": "sk-x"})),
    ("ConfigMap mounted with subPath", lambda d: config_mount(d).update(mountPath="/etc/chatkit-gateway/config.json",
                                                                        subPath="config.json")),
    ("--config outside the mounted directory", lambda d: container(d).update(args=["--config", "/etc/config.json"])),
    ("ConfigMap not mounted", lambda d: container(d)["volumeMounts"].remove(config_mount(d))),
    ("HPA down to one", lambda d: docs_of(d, "HorizontalPodAutoscaler")[0]["spec"].update(minReplicas=1)),
    ("HPA minReplicas: \"2\"", lambda d: docs_of(d, "HorizontalPodAutoscaler")[0]["spec"].update(minReplicas="2")),
    ("PDB selects nothing", lambda d: docs_of(d, "PodDisruptionBudget")[0]["spec"]["selector"].update(matchLabels={"x": "y"})),
    ("egress unrestricted", lambda d: docs_of(d, "NetworkPolicy")[0]["spec"].update(policyTypes=["Ingress"])),
    ("egress to any port", lambda d: egress(d, 1).pop("ports")),
    ("egress to any destination", lambda d: egress(d, 3).pop("to")),
    ("HTTPS ipBlock open to port 80", lambda d: egress(d, 1)["ports"].append({"port": 80, "protocol": "TCP"})),
    ("ipBlock without the private ranges", lambda d: egress(d, 1)["to"][0]["ipBlock"].pop("except")),
    ("IPv6 ipBlock without unique-local", lambda d: egress(d, 2)["to"][0]["ipBlock"]["except"].remove("fc00::/7")),
    ("no IPv6 HTTPS egress", lambda d: docs_of(d, "NetworkPolicy")[0]["spec"]["egress"].pop(2)),
    ("identity provider in any namespace", lambda d: egress(d, 3)["to"][0].update(namespaceSelector={})),
    ("Redis peer without pod selector", lambda d: egress(d, 4)["to"][0].pop("podSelector")),
    ("egress port: \"https\" as a word", lambda d: egress(d, 1)["ports"][0].update(port="https")),
    ("NetworkPolicy removed", lambda d: d.pop("networkpolicy.yaml")),
    ("PDB removed", lambda d: d.pop("pdb.yaml")),
    ("ServiceMonitor removed", lambda d: d["overlays/monitoring"].pop("servicemonitor.yaml")),
    ("ServiceMonitor on the public port", lambda d: monitor(d)["spec"]["endpoints"][0].update(port="https")),
    ("ServiceMonitor on a port the Service lacks", lambda d: monitor(d)["spec"]["endpoints"][0].update(port="metrics")),
    ("ServiceMonitor selects nothing", lambda d: monitor(d)["spec"]["selector"].update(matchLabels={"app": "other"})),
    ("Ingress removed", lambda d: d["overlays/ingress-nginx"].pop("ingress.yaml")),
    ("Ingress routed to the admin port",
     lambda d: ingress(d)["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"].update(name="admin")),
    ("Ingress default backend on port 9090",
     lambda d: ingress(d)["spec"].update(defaultBackend={"service": {"name": "chatkit-gateway", "port": {"number": 9090}}})),
    ("Ingress to another Service", lambda d: ingress(d)["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
     .update(name="other")),
    ("Ingress speaking HTTP to the TLS port", lambda d: ingress_annotations(d).pop("nginx.ingress.kubernetes.io/backend-protocol")),
    ("Ingress answering CORS", lambda d: ingress_annotations(d).update({"nginx.ingress.kubernetes.io/enable-cors": "true"})),
    ("Ingress answering CORS (\"1\")", lambda d: ingress_annotations(d).update({"nginx.ingress.kubernetes.io/enable-cors": "1"})),
    ("Ingress mirroring to the admin port",
     lambda d: ingress_annotations(d).update({"nginx.ingress.kubernetes.io/mirror-target": "http://chatkit-gateway:9090$request_uri"})),
    ("Ingress with a server snippet",
     lambda d: ingress_annotations(d).update({"nginx.ingress.kubernetes.io/server-snippet": "location /a { proxy_pass http://x:9090; }"})),
    ("Ingress backend protocol HTTPS to plain HTTP", lambda d: set_config(d, lambda c: c["server"].pop("tls"))),
    ("Service https port forwarding to the admin port",
     lambda d: docs_of(d, "Service")[0]["spec"]["ports"][0].update(targetPort="admin")),
    ("Ingress overlay patching the backend", lambda d: d["overlays/ingress-nginx"]["kustomization.yaml"][0].update(
        patches=[{"path": "p.yaml"}])),
    ("Ingress file not applied", lambda d: d["overlays/ingress-nginx"]["kustomization.yaml"][0]["resources"].remove("ingress.yaml")),
    ("Ingress overlay applying a file not checked",
     lambda d: d["overlays/ingress-nginx"]["kustomization.yaml"][0]["resources"].append("extra.yml")),
    ("admin port admitted from the ingress controller", lambda d: policy_ingress(d, 0)["ports"].append({"port": 9090, "protocol": "TCP"})),
    ("ingress rule from anywhere", lambda d: policy_ingress(d, 0).pop("from")),
    ("ingress rule to every port", lambda d: policy_ingress(d, 1).pop("ports")),
    ("Ingress outside the namespace", lambda d: d["overlays/ingress-nginx"]["kustomization.yaml"][0].pop("namespace")),
    ("a manifest that is a list", lambda d: d.update({"deployment.yaml": [["not", "an", "object"]]})),
]


def self_test(docs):
    failures = []
    shipped = check(docs)
    if shipped:
        failures.append("the shipped manifests do not pass: " + "; ".join(shipped))
    for name, mutate in MUTATIONS:
        mutated = copy.deepcopy(docs)
        mutate(mutated)
        caught = check(mutated)
        if not caught:
            failures.append(f"not caught: {name}")
        elif any(p.startswith("manifests: unexpected structure") for p in caught):
            failures.append(f"caught only as a crash: {name}: {caught}")
    print(f"self-test: {len(MUTATIONS) - len([f for f in failures if f.startswith(('not', 'caught'))])}"
          f"/{len(MUTATIONS)} weakened manifests caught")
    return failures


def main(argv):
    docs = load()
    if "--self-test" in argv:
        problems = self_test(docs)
    else:
        problems = check(docs)
        if "--gateway" in argv:
            problems += check_config_with_gateway(docs, argv[argv.index("--gateway") + 1], argv[argv.index("--pki") + 1])
    for p in problems:
        print(p)
    if not problems and "--self-test" not in argv:
        count = sum(len(ds) for ds in docs.values() if isinstance(ds, list))
        count += sum(len(ds) for overlay in OVERLAYS for ds in docs[overlay].values())
        print(f"manifests OK: {count} documents in {DEPLOY}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
