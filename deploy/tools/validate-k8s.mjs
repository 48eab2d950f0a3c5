// Validates ColdTrack's Kubernetes manifests offline against the Kubernetes API types.
//
//   node validate-k8s.mjs [--dir DIR] [--config-keys FILE] [--binary COLDTRACK] [--no-render]
//
// DIR (default ../k8s) holds base/, overlays/*/ and secret.example.yaml. Checked:
//  1. Every manifest file (every *.yaml but kustomization.yaml), each document on its own.
//  2. Every overlay rendered the way it is applied (`kustomize build`, or `kubectl kustomize`,
//     which embeds kustomize), when either tool is installed; otherwise only the files, and the
//     run says so.
// Each object is checked twice against the API types of kubernetes-models (generated from the
// Kubernetes OpenAPI schema; no cluster, no network):
//  - its JSON schema (required fields, types, formats such as int32) through the model's validate();
//  - TypeScript's type checker over the object as a literal of the model's interface, which also
//    rejects unknown fields (a misspelt `replica: 2`) that the schema lets through.
// Rendered overlays are also checked as a whole: names a workload refers to (ConfigMaps,
// Services, PVCs, ServiceAccounts, the HPA target) exist in the same output or among the Secrets
// of secret.example.yaml; selectors select pod templates; ColdTrack pods turn off service links
// and run read-only as non-root; the Deployment's termination grace covers preStop plus
// server.shutdown_grace_s from its ConfigMap; with --config-keys (the output of
// `coldtrack config-keys`), every COLDTRACK_* variable and Secret key names a configuration key;
// with --binary, every coldtrack command line in a pod (args after the image's entrypoint, or
// a `coldtrack ...` line of a shell script) names a subcommand and options that binary has.
// Exit status: 0 clean, 1 findings, 2 the check itself could not run.
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import ts from "typescript";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// ---------- arguments ----------
const args = process.argv.slice(2);
let dir = path.join(here, "..", "k8s");
let configKeysFile = null;
let render = true;
let binary = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--dir") dir = path.resolve(args[++i]);
  else if (args[i] === "--config-keys") configKeysFile = path.resolve(args[++i]);
  else if (args[i] === "--no-render") render = false;
  else if (args[i] === "--binary") binary = path.resolve(args[++i]);
  else {
    console.error(`validate-k8s: unknown argument ${args[i]}`);
    process.exit(2);
  }
}
const configKeys = configKeysFile
  ? new Set(readFileSync(configKeysFile, "utf8").split("\n").map((s) => s.trim()).filter(Boolean))
  : null;
const envName = (key) => "COLDTRACK_" + key.toUpperCase().replace(/\./g, "_");
const knownEnv = configKeys ? new Set([...configKeys].map(envName)) : null;

const findings = [];
const rel = (p) => path.relative(process.cwd(), p) || p;
function finding(where, msg) {
  findings.push(`${where}: ${msg}`);
}

// ---------- loading ----------
function walk(d) {
  const out = [];
  for (const name of readdirSync(d).sort()) {
    const p = path.join(d, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

// [{source, index, obj}] from YAML text; parse errors become findings.
function loadDocs(text, source) {
  const out = [];
  const docs = YAML.parseAllDocuments(text, { prettyErrors: true });
  docs.forEach((doc, index) => {
    for (const e of doc.errors) finding(`${source} [doc ${index + 1}]`, `YAML: ${e.message}`);
    if (doc.errors.length) return;
    const obj = doc.toJS({ maxAliasCount: 100 });
    if (obj === null || obj === undefined) return; // empty document
    out.push({ source, index, obj });
  });
  return out;
}

// ---------- the API types ----------
// apiVersion + kind -> module path inside kubernetes-models ("apps/v1/Deployment", "v1/Secret").
function modelPath(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string") return null;
  const p = `${apiVersion}/${kind}`;
  try {
    require.resolve(`kubernetes-models/${p}`);
    return p;
  } catch {
    return null;
  }
}

function describe(item) {
  const o = item.obj || {};
  const name = o.metadata && o.metadata.name ? o.metadata.name : "(no name)";
  return `${item.source} [doc ${item.index + 1}] ${o.kind || "(no kind)"}/${name}`;
}

function schemaCheck(items) {
  const typed = [];
  for (const item of items) {
    const { apiVersion, kind } = item.obj;
    if (!apiVersion || !kind) {
      finding(describe(item), "not a Kubernetes object: apiVersion and kind are required");
      continue;
    }
    const mp = modelPath(apiVersion, kind);
    if (!mp) {
      finding(describe(item), `unknown API type ${apiVersion} ${kind}`);
      continue;
    }
    const Model = require(`kubernetes-models/${mp}`)[kind];
    try {
      new Model(item.obj).validate();
    } catch (e) {
      for (const line of String(e.message).split("\n")) finding(describe(item), `schema: ${line}`);
    }
    typed.push({ item, mp });
  }
  typeCheck(typed);
}

// TypeScript over `const oN: IKind = {...}`: excess-property and type errors for every object.
function typeCheck(typed) {
  if (typed.length === 0) return;
  const file = path.join(here, "__manifests__.ts"); // virtual: never written to disk
  const lines = [];
  const spans = [];
  typed.forEach(({ mp }, n) => {
    const kind = mp.split("/").pop();
    lines.push(`import type { I${kind} as T${n} } from "kubernetes-models/${mp}";`);
  });
  typed.forEach(({ item }, n) => {
    const start = lines.length;
    const json = JSON.stringify(item.obj, null, 2).split("\n");
    lines.push(`export const o${n}: T${n} = ${json[0]}`, ...json.slice(1));
    lines[lines.length - 1] += ";";
    spans.push({ start, end: lines.length - 1, item });
  });
  const text = lines.join("\n") + "\n";
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) =>
    path.resolve(name) === file ? ts.createSourceFile(name, text, lang, true) : getSourceFile(name, lang, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (path.resolve(name) === file ? text : readFile(name));
  const program = ts.createProgram([file], options, host);
  const diags = ts.getPreEmitDiagnostics(program);
  for (const d of diags) {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, " ");
    if (!d.file || path.resolve(d.file.fileName) !== file) {
      throw new Error(`TypeScript could not load the API types: ${msg}`);
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const span = spans.find((s) => line >= s.start && line <= s.end);
    if (!span) throw new Error(`TypeScript: ${msg}`);
    const at = lines[line].trim().replace(/^export const o\d+: T\d+ = /, "");
    finding(describe(span.item), `type: ${shorten(msg)} (at ${at})`);
  }
}

function shorten(msg) {
  // Keep the first sentence that names the problem; the rest repeats the interface.
  return msg.replace(/IIoK8s(Api|Apimachinery)[A-Za-z0-9]*?V\d+(beta\d+|alpha\d+)?/g, "").slice(0, 400);
}

// ---------- rendering ----------
function renderer() {
  const tryRun = (cmd, a) => {
    try {
      execFileSync(cmd, a, { stdio: "ignore", timeout: 20000 });
      return true;
    } catch {
      return false;
    }
  };
  if (tryRun("kustomize", ["version"])) return { name: "kustomize build", run: (d) => ["kustomize", ["build", d]] };
  if (tryRun("kubectl", ["kustomize", "--help"]))
    return { name: "kubectl kustomize", run: (d) => ["kubectl", ["kustomize", d]] };
  return null;
}

// ---------- coldtrack command lines ----------
// The argv after the entrypoint (`coldtrack --config FILE`) of every coldtrack invocation of a
// container: its args when it keeps the entrypoint, or the `coldtrack ...` lines of a shell
// script it runs instead.
function invocations(c) {
  const cmd = c.command || [];
  const argv = c.args || [];
  if (cmd.length === 0) return [argv];
  const script = /(^|\/)(ba)?sh$/.test(cmd[0]) ? [...cmd.slice(1), ...argv].filter((a) => a !== "-c").join("\n") : null;
  if (!script) return /(^|\/)coldtrack$/.test(cmd[0]) ? [[...cmd.slice(1), ...argv]] : [];
  const out = [];
  for (const line of script.split("\n")) {
    const m = line.match(/(?:^|[\s;&|(])(?:exec\s+)?(?:\/opt\/coldtrack\/bin\/)?coldtrack\s+(.*)$/);
    if (m) out.push(m[1].trim().split(/\s+/).map((t) => t.replace(/^["']|["']$/g, "")));
  }
  if (out.length === 0) out.push(null); // a shell script that never runs coldtrack
  return out;
}

const helpCache = new Map();
function help(words) {
  const key = words.join(" ");
  if (!helpCache.has(key)) {
    let text = null;
    try {
      text = execFileSync(binary, [...words, "--help"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10000 });
    } catch {
      text = null;
    }
    helpCache.set(key, text);
  }
  return helpCache.get(key);
}

function checkCommand(owner, c, where) {
  for (const inv of invocations(c)) {
    if (inv === null) {
      finding(where, `container ${c.name}: its shell script never runs coldtrack`);
      continue;
    }
    const words = [];
    const rest = [...inv];
    while (rest.length && (rest[0] === "--config" || rest[0] === "-c")) rest.splice(0, 2);
    while (rest.length && !rest[0].startsWith("-")) words.push(rest.shift());
    if (words.length === 0) {
      finding(where, `container ${c.name}: no coldtrack subcommand in [${inv.join(" ")}]`);
      continue;
    }
    const text = help(words);
    if (!text || !text.includes(`${words.join(" ")} [OPTIONS]`)) {
      finding(where, `container ${c.name}: \`coldtrack ${words.join(" ")}\` is not a subcommand of ${binary}`);
      continue;
    }
    for (const flag of rest.filter((t) => t.startsWith("--")).map((t) => t.split("=")[0]))
      if (!new RegExp(`(^|[\\s,])${flag.replace(/[-]/g, "\\-")}\\b`).test(text))
        finding(where, `container ${c.name}: \`coldtrack ${words.join(" ")}\` has no option ${flag}`);
  }
}

// ---------- whole-render checks ----------
function podSpecs(o) {
  if (["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(o.kind))
    return [{ spec: o.spec?.template?.spec, labels: o.spec?.template?.metadata?.labels || {} }];
  if (o.kind === "CronJob")
    return [
      {
        spec: o.spec?.jobTemplate?.spec?.template?.spec,
        labels: o.spec?.jobTemplate?.spec?.template?.metadata?.labels || {},
      },
    ];
  return [];
}
const isColdtrack = (c) => typeof c.image === "string" && /(^|\/)coldtrack(:|@|$)/.test(c.image);
const matches = (selector, labels) =>
  selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

function shutdownGrace(configMaps) {
  for (const cm of configMaps) {
    const text = cm.data && cm.data["coldtrack.yml"];
    if (!text) continue;
    const cfg = YAML.parse(text) || {};
    const v = cfg.server && cfg.server.shutdown_grace_s;
    return v === undefined ? 20 : Number(v); // the server's default
  }
  return null;
}

function checkRendered(items, where, externalSecrets) {
  const objs = items.map((i) => i.obj);
  const names = (kind) => new Set(objs.filter((o) => o.kind === kind).map((o) => o.metadata?.name));
  const configMaps = names("ConfigMap");
  const secrets = new Set([...names("Secret"), ...externalSecrets]);
  const services = objs.filter((o) => o.kind === "Service");
  const pvcs = names("PersistentVolumeClaim");
  const sas = names("ServiceAccount");
  const templates = objs.flatMap((o) => podSpecs(o).map((p) => ({ owner: o, ...p })));
  const grace = shutdownGrace(objs.filter((o) => o.kind === "ConfigMap"));
  const at = (o) => `${where}: ${o.kind}/${o.metadata?.name}`;

  for (const { owner, spec, labels } of templates) {
    if (!spec) continue;
    if (spec.serviceAccountName && !sas.has(spec.serviceAccountName))
      finding(at(owner), `serviceAccountName ${spec.serviceAccountName} is not in this output`);
    for (const v of spec.volumes || []) {
      if (v.configMap && !configMaps.has(v.configMap.name))
        finding(at(owner), `volume ${v.name}: ConfigMap ${v.configMap.name} is not in this output`);
      if (v.secret && !secrets.has(v.secret.secretName))
        finding(at(owner), `volume ${v.name}: Secret ${v.secret.secretName} is unknown`);
      if (v.persistentVolumeClaim && !pvcs.has(v.persistentVolumeClaim.claimName))
        finding(at(owner), `volume ${v.name}: PVC ${v.persistentVolumeClaim.claimName} is not in this output`);
    }
    const containers = [...(spec.initContainers || []), ...(spec.containers || [])];
    for (const c of containers) {
      for (const ef of c.envFrom || []) {
        if (ef.secretRef && !secrets.has(ef.secretRef.name)) finding(at(owner), `envFrom Secret ${ef.secretRef.name} is unknown`);
        if (ef.configMapRef && !configMaps.has(ef.configMapRef.name))
          finding(at(owner), `envFrom ConfigMap ${ef.configMapRef.name} is not in this output`);
      }
      for (const e of c.env || []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref && !secrets.has(ref.name)) finding(at(owner), `env ${e.name}: Secret ${ref.name} is unknown`);
        if (knownEnv && e.name.startsWith("COLDTRACK_") && isColdtrack(c) && !knownEnv.has(e.name))
          finding(at(owner), `env ${e.name} names no configuration key (coldtrack would refuse to start)`);
      }
      const mounts = new Set((spec.volumes || []).map((v) => v.name));
      for (const m of c.volumeMounts || [])
        if (!mounts.has(m.name)) finding(at(owner), `container ${c.name}: volumeMount ${m.name} has no volume`);
    }
    const ct = containers.filter(isColdtrack);
    if (ct.length === 0) continue;
    if (binary) for (const c of ct) checkCommand(owner, c, at(owner));
    if (spec.enableServiceLinks !== false)
      finding(at(owner), "enableServiceLinks must be false: service links inject COLDTRACK_* variables that stop start-up");
    const podNonRoot = spec.securityContext?.runAsNonRoot === true;
    for (const c of ct) {
      if (c.securityContext?.readOnlyRootFilesystem !== true) finding(at(owner), `container ${c.name}: readOnlyRootFilesystem must be true`);
      if (!podNonRoot && c.securityContext?.runAsNonRoot !== true) finding(at(owner), `container ${c.name}: runAsNonRoot must be true`);
      if (c.securityContext?.allowPrivilegeEscalation !== false)
        finding(at(owner), `container ${c.name}: allowPrivilegeEscalation must be false`);
      if (!c.resources?.requests || !c.resources?.limits) finding(at(owner), `container ${c.name}: requests and limits are required`);
    }
    if (owner.kind === "Deployment") {
      const c = ct[0];
      const probe = (p) => p?.httpGet?.path;
      if (probe(c.readinessProbe) !== "/readyz") finding(at(owner), "readinessProbe must GET /readyz");
      if (probe(c.livenessProbe) !== "/healthz") finding(at(owner), "livenessProbe must GET /healthz");
      if (!c.startupProbe) finding(at(owner), "startupProbe missing (migrations run before the port opens)");
      const cmd = c.lifecycle?.preStop?.exec?.command || [];
      const sleep = cmd[0] === "sleep" ? Number(cmd[1]) : c.lifecycle?.preStop?.sleep?.seconds || 0;
      if (!sleep) finding(at(owner), "preStop sleep missing (endpoints must drop before SIGTERM)");
      const tgp = spec.terminationGracePeriodSeconds ?? 30;
      if (grace !== null && !(tgp > sleep + grace))
        finding(at(owner), `terminationGracePeriodSeconds ${tgp} must exceed preStop ${sleep} s + server.shutdown_grace_s ${grace} s`);
      const sel = owner.spec?.selector?.matchLabels;
      if (!matches(sel, labels)) finding(at(owner), "spec.selector does not match the pod template labels");
    }
  }
  const apiPods = templates.filter((t) => t.owner.kind === "Deployment");
  for (const s of services) {
    const sel = s.spec?.selector;
    const hit = apiPods.filter((t) => matches(sel, t.labels));
    if (hit.length === 0) finding(at(s), "selector matches no Deployment's pods in this output");
    for (const p of s.spec?.ports || []) {
      if (typeof p.targetPort === "string" && !hit.some((t) => (t.spec.containers || []).some((c) => (c.ports || []).some((cp) => cp.name === p.targetPort))))
        finding(at(s), `targetPort ${p.targetPort} is no container port name of the selected pods`);
    }
    for (const t of templates.filter((t) => t.owner.kind === "CronJob"))
      if (matches(sel, t.labels)) finding(at(s), `selector also matches the pods of CronJob ${t.owner.metadata?.name}`);
  }
  for (const o of objs.filter((o) => o.kind === "PodDisruptionBudget")) {
    if (!apiPods.some((t) => matches(o.spec?.selector?.matchLabels, t.labels))) finding(at(o), "selector matches no Deployment's pods");
  }
  for (const o of objs.filter((o) => o.kind === "HorizontalPodAutoscaler")) {
    const ref = o.spec?.scaleTargetRef || {};
    if (!objs.some((x) => x.kind === ref.kind && x.metadata?.name === ref.name)) finding(at(o), `scaleTargetRef ${ref.kind}/${ref.name} is not in this output`);
  }
  for (const o of objs.filter((o) => o.kind === "Ingress")) {
    for (const r of o.spec?.rules || [])
      for (const p of r.http?.paths || []) {
        const b = p.backend?.service;
        const svc = services.find((s) => s.metadata?.name === b?.name);
        if (!svc) finding(at(o), `path ${p.path}: Service ${b?.name} is not in this output`);
        else if (b.port?.name && !(svc.spec?.ports || []).some((sp) => sp.name === b.port.name))
          finding(at(o), `path ${p.path}: Service ${b.name} has no port named ${b.port.name}`);
      }
    for (const t of o.spec?.tls || []) if (!secrets.has(t.secretName)) finding(at(o), `TLS Secret ${t.secretName} is unknown`);
  }
}

// ---------- main ----------
function main() {
  if (!existsSync(dir)) throw new Error(`no directory ${dir}`);
  const files = walk(dir).filter((p) => /\.ya?ml$/.test(p));
  const manifests = [];
  const kustomizations = [];
  let secretItems = [];
  for (const f of files) {
    const base = path.basename(f);
    if (base === "kustomization.yaml" || base === "kustomization.yml") {
      kustomizations.push(path.dirname(f));
      continue;
    }
    if (base === "coldtrack.yml") continue; // ColdTrack's own config (configMapGenerator input)
    const docs = loadDocs(readFileSync(f, "utf8"), rel(f));
    if (base === "secret.example.yaml") secretItems = docs;
    manifests.push(...docs);
  }
  schemaCheck(manifests);
  const externalSecrets = new Set(secretItems.filter((i) => i.obj.kind === "Secret").map((i) => i.obj.metadata?.name));
  for (const s of secretItems.filter((i) => i.obj.kind === "Secret")) {
    const data = { ...(s.obj.data || {}), ...(s.obj.stringData || {}) };
    if (s.obj.metadata?.name === "coldtrack-secrets" && knownEnv)
      for (const k of Object.keys(data))
        if (!knownEnv.has(k)) finding(describe(s), `key ${k} names no configuration key (coldtrack would refuse to start)`);
    for (const [k, v] of Object.entries(data))
      if (!String(v).includes("CHANGE_ME")) finding(describe(s), `key ${k} must be a CHANGE_ME placeholder, never a real value`);
  }
  console.log(`validate-k8s: ${manifests.length} objects in ${files.length} files checked against the API types`);

  const overlays = kustomizations.filter((k) => path.basename(path.dirname(k)) === "overlays");
  if (!render) {
    console.log("validate-k8s: overlays not rendered (--no-render): files checked one by one only");
  } else {
    const r = renderer();
    if (!r) {
      console.log(
        "validate-k8s: NOTE neither kustomize nor kubectl is installed: overlays were not rendered; " +
          "base and overlay files were checked one by one (patched results unchecked)",
      );
    } else {
      for (const k of overlays) {
        const [cmd, a] = r.run(k);
        let out;
        try {
          out = execFileSync(cmd, a, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60000 });
        } catch (e) {
          finding(rel(k), `${r.name} failed: ${(e.stderr || e.message).toString().trim()}`);
          continue;
        }
        const items = loadDocs(out, `${rel(k)} (rendered)`);
        schemaCheck(items);
        checkRendered(items, `${rel(k)} (rendered)`, externalSecrets);
        const kinds = {};
        for (const i of items) kinds[i.obj.kind] = (kinds[i.obj.kind] || 0) + 1;
        console.log(
          `validate-k8s: ${rel(k)} rendered with ${r.name}: ` +
            Object.entries(kinds).map(([kd, n]) => `${n} ${kd}`).join(", "),
        );
      }
    }
  }
  for (const f of findings) console.log(`  ${f}`);
  if (findings.length) {
    console.log(`validate-k8s: ${findings.length} finding(s)`);
    process.exit(1);
  }
  console.log("validate-k8s: no findings");
}

try {
  main();
} catch (e) {
  console.error(`validate-k8s: ${e.message}`);
  process.exit(2);
}
