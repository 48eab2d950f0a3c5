// Helpers for scripts/check-deploy.sh around Prometheus and Grafana files. No network except
// the local Prometheus that the live check starts.
//
//   node promql.mjs dashboard-rules DASHBOARD.json OUT.rules.yml
//       Checks the Grafana dashboard's structure and writes every panel query as a recording
//       rule (Grafana variables replaced by PromQL-valid values), for `promtool check rules`.
//   node promql.mjs promtool-config PROMETHEUS.yml OUT.yml TARGETS.json
//       Debian's Prometheus is built without Kubernetes service discovery, so promtool rejects
//       kubernetes_sd_configs. Checks those blocks here, then writes a copy where each is
//       replaced by an equivalent file_sd_configs (relabelling unchanged) for
//       `promtool check config`.
//   node promql.mjs wait-up PROM_URL JOB SECONDS
//       Polls /api/v1/targets until every active target of JOB is up.
//   node promql.mjs query-all PROM_URL RULES.yml [DASHBOARD.json]
//       Evaluates every alert expression (and every dashboard query) with /api/v1/query;
//       fails unless each answers status "success".
//   node promql.mjs rules-health PROM_URL
//       Fails unless Prometheus loaded rules and none reports an evaluation error.
//   node promql.mjs metric-names PROM_URL SRC_DIR RULES.yml DASHBOARD.json
//       Every coldtrack_* metric the rules and the dashboard use must be exported: seen in the
//       live Prometheus, or (for metrics only some backends export, e.g. Redis or RabbitMQ)
//       registered in the server's source under SRC_DIR (`.Name("coldtrack_...")`). Every
//       process_* metric they use must be seen live (coldtrack exports them on every backend).
//   node promql.mjs test-coverage RULES.yml TESTS.yml
//       Fails unless every alert has a promtool test case in which it fires and one in which it
//       stays silent (`exp_alerts: []`).
//   node promql.mjs limits RULES.yml DEPLOYMENT.yaml
//       The process alerts' constants are the container's limits: ColdTrackMemoryHigh and
//       ColdTrackMemoryGrowing must name limits.memory in bytes, ColdTrackCpuSaturated
//       limits.cpu in cores.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";

const die = (msg, code = 1) => {
  console.error(msg);
  process.exit(code);
};

// ---------- Grafana ----------
const GRAFANA_VARS = {
  __rate_interval: "5m",
  __interval: "1m",
  __range: "1h",
  __interval_ms: "60000",
  __range_s: "3600",
};
function substitute(expr, vars) {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (m, a, b) => {
    const name = a || b;
    if (name in GRAFANA_VARS) return GRAFANA_VARS[name];
    if (vars.has(name)) return ".*";
    throw new Error(`unknown variable $${name} in ${expr}`);
  });
}

function dashboardQueries(file) {
  let d;
  try {
    d = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: not valid JSON: ${e.message}`);
  }
  const problems = [];
  const need = (cond, msg) => cond || problems.push(msg);
  need(typeof d.title === "string" && d.title, "title missing");
  need(typeof d.uid === "string" && /^[a-zA-Z0-9_-]{1,40}$/.test(d.uid), "uid missing or invalid");
  need(Number.isInteger(d.schemaVersion) && d.schemaVersion >= 36 && d.schemaVersion <= 41, `schemaVersion ${d.schemaVersion} (expected 36-41)`);
  need(Array.isArray(d.panels) && d.panels.length > 0, "no panels");
  const vars = new Set(((d.templating && d.templating.list) || []).map((v) => v.name));
  need(vars.has("datasource"), "no datasource variable");
  const ids = new Set();
  const queries = [];
  const all = [];
  for (const p of d.panels || []) {
    all.push(p);
    for (const c of p.panels || []) all.push(c);
  }
  for (const p of all) {
    const where = `panel ${p.id} "${p.title}"`;
    need(Number.isInteger(p.id) && !ids.has(p.id), `${where}: id missing or repeated`);
    ids.add(p.id);
    need(typeof p.type === "string", `${where}: no type`);
    const g = p.gridPos || {};
    need(
      [g.x, g.y, g.w, g.h].every(Number.isInteger) && g.w >= 1 && g.x >= 0 && g.x + g.w <= 24 && g.h >= 1,
      `${where}: gridPos invalid`,
    );
    if (p.type === "row") continue;
    need(typeof p.title === "string" && p.title, `${where}: no title`);
    need(Array.isArray(p.targets) && p.targets.length > 0, `${where}: no queries`);
    const refs = new Set();
    for (const t of p.targets || []) {
      need(typeof t.expr === "string" && t.expr.trim(), `${where}: target ${t.refId} has no expr`);
      need(t.refId && !refs.has(t.refId), `${where}: refId missing or repeated`);
      refs.add(t.refId);
      try {
        queries.push({ panel: p.id, title: p.title, refId: t.refId, expr: substitute(t.expr, vars) });
      } catch (e) {
        problems.push(`${where}: ${e.message}`);
      }
    }
  }
  if (problems.length) throw new Error(`${file}:\n  ${problems.join("\n  ")}`);
  return queries;
}

function dashboardRules(file, out) {
  const queries = dashboardQueries(file);
  const rules = queries.map((q) => ({ record: `dashboard:panel_${q.panel}_${q.refId}`, expr: q.expr }));
  writeFileSync(out, YAML.stringify({ groups: [{ name: "grafana-dashboard-queries", rules }] }));
  console.log(`${queries.length} queries from ${file} written to ${out}`);
}

// ---------- Prometheus config ----------
const SD_ROLES = ["node", "service", "pod", "endpoints", "endpointslice", "ingress"];
const SD_KEYS = new Set([
  "role", "namespaces", "selectors", "api_server", "kubeconfig_file", "attach_metadata",
  "basic_auth", "authorization", "oauth2", "proxy_url", "follow_redirects", "enable_http2", "tls_config",
]);
function promtoolConfig(file, out, targets) {
  const cfg = YAML.parse(readFileSync(file, "utf8"));
  const problems = [];
  const dir = path.dirname(path.resolve(file));
  cfg.rule_files = (cfg.rule_files || []).map((r) => (path.isAbsolute(r) ? r : path.join(dir, r)));
  let replaced = 0;
  for (const sc of cfg.scrape_configs || []) {
    if (!sc.kubernetes_sd_configs) continue;
    for (const sd of sc.kubernetes_sd_configs) {
      for (const k of Object.keys(sd)) if (!SD_KEYS.has(k)) problems.push(`${sc.job_name}: kubernetes_sd_configs: unknown field ${k}`);
      if (!SD_ROLES.includes(sd.role)) problems.push(`${sc.job_name}: kubernetes_sd_configs: role ${sd.role} is not one of ${SD_ROLES.join(", ")}`);
      if (sd.namespaces) {
        for (const k of Object.keys(sd.namespaces))
          if (!["names", "own_namespace"].includes(k)) problems.push(`${sc.job_name}: namespaces: unknown field ${k}`);
        if (sd.namespaces.names && !(Array.isArray(sd.namespaces.names) && sd.namespaces.names.every((n) => typeof n === "string")))
          problems.push(`${sc.job_name}: namespaces.names must be a list of strings`);
      }
      // Meta labels of the role must be the ones relabelling reads.
      for (const rc of sc.relabel_configs || [])
        for (const l of rc.source_labels || [])
          if (l.startsWith("__meta_kubernetes_") && !l.startsWith("__meta_kubernetes_namespace") && !l.startsWith(`__meta_kubernetes_${sd.role}_`))
            problems.push(`${sc.job_name}: relabel source ${l} does not exist for role ${sd.role}`);
    }
    delete sc.kubernetes_sd_configs;
    sc.file_sd_configs = [{ files: [path.resolve(targets)] }];
    replaced++;
  }
  if (problems.length) die(`${file}:\n  ${problems.join("\n  ")}`);
  writeFileSync(targets, "[]\n");
  writeFileSync(out, YAML.stringify(cfg));
  console.log(`${file}: ${replaced} kubernetes_sd job(s) checked and replaced by file_sd in ${out}`);
}

// ---------- live Prometheus ----------
async function getJSON(url) {
  const r = await fetch(url, { signal: AbortSignal.timeout(10000) });
  const body = await r.text();
  try {
    return JSON.parse(body);
  } catch {
    throw new Error(`${url}: HTTP ${r.status}: ${body.slice(0, 200)}`);
  }
}

async function waitUp(base, job, seconds) {
  const deadline = Date.now() + seconds * 1000;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const j = await getJSON(`${base}/api/v1/targets?state=active`);
      const ts = (j.data?.activeTargets || []).filter((t) => t.labels?.job === job);
      last = ts.length ? ts.map((t) => `${t.scrapeUrl}: ${t.health}${t.lastError ? ` (${t.lastError})` : ""}`).join(", ") : "no target yet";
      if (ts.length && ts.every((t) => t.health === "up")) {
        console.log(`target ${job} up: ${last}`);
        return;
      }
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  die(`target ${job} not up after ${seconds} s: ${last}`);
}

async function queryAll(base, rulesFile, dashboard) {
  const rules = YAML.parse(readFileSync(rulesFile, "utf8"));
  const exprs = [];
  for (const g of rules.groups || [])
    for (const r of g.rules || []) if (r.alert) exprs.push({ name: `alert ${r.alert}`, expr: r.expr });
  if (dashboard)
    for (const q of dashboardQueries(dashboard))
      exprs.push({ name: `dashboard panel ${q.panel} ${q.refId} (${q.title})`, expr: q.expr.replaceAll("[5m]", "[1m]") });
  let bad = 0;
  let withData = 0;
  for (const { name, expr } of exprs) {
    let j;
    try {
      j = await getJSON(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
    } catch (e) {
      j = { status: "error", error: e.message };
    }
    if (j.status !== "success") {
      bad++;
      console.log(`  FAIL ${name}: ${j.errorType || ""} ${j.error || JSON.stringify(j).slice(0, 200)}`);
      continue;
    }
    const n = Array.isArray(j.data?.result) ? j.data.result.length : 1;
    if (n > 0) withData++;
    console.log(`  ok   ${name}: ${j.data?.resultType}, ${n} series`);
  }
  console.log(`${exprs.length - bad}/${exprs.length} expressions evaluated (${withData} returned series)`);
  if (bad) process.exit(1);
}

function walkFiles(d, out = []) {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walkFiles(p, out);
    else if (/\.(cc|cpp|h)$/.test(e.name)) out.push(p);
  }
  return out;
}

async function metricNames(base, srcDir, rulesFile, dashboard) {
  const rules = YAML.parse(readFileSync(rulesFile, "utf8"));
  const exprs = rules.groups.flatMap((g) => g.rules).map((r) => r.expr);
  exprs.push(...dashboardQueries(dashboard).map((q) => q.expr));
  const used = new Set(exprs.flatMap((e) => e.match(/\b(?:coldtrack|process)_[a-z0-9_]+\b/g) || []));
  const live = new Set((await getJSON(`${base}/api/v1/label/__name__/values`)).data || []);
  const registered = new Set();
  for (const f of walkFiles(srcDir))
    for (const m of readFileSync(f, "utf8").matchAll(/\.Name\("(coldtrack_[a-z0-9_]+)"\)/g)) registered.add(m[1]);
  const family = (n) => n.replace(/_(bucket|sum|count)$/, "");
  let bad = 0;
  for (const n of [...used].sort()) {
    if (live.has(n)) console.log(`  live        ${n}`);
    else if (n.startsWith("coldtrack_") && (registered.has(n) || registered.has(family(n))))
      console.log(`  source only ${n} (not exported by this demo's backends)`);
    else {
      console.log(`  MISSING     ${n}: neither exported nor registered in ${srcDir}`);
      bad++;
    }
  }
  if (bad) die(`${bad} metric name(s) used by rules or dashboard do not exist`);
  console.log(`${used.size} coldtrack_* and process_* metric names used by rules and dashboard, all exported`);
}

async function rulesHealth(base) {
  const j = await getJSON(`${base}/api/v1/rules`);
  const groups = j.data?.groups || [];
  const rules = groups.flatMap((g) => g.rules || []);
  const bad = rules.filter((r) => r.lastError || !["ok", "unknown"].includes(r.health));
  for (const r of bad) console.log(`  rule ${r.name}: ${r.health} ${r.lastError || ""}`);
  if (bad.length || rules.length === 0) die(`${bad.length} rule(s) failing, ${rules.length} loaded`);
  console.log(`${rules.length} rules in ${groups.length} groups loaded by Prometheus, none with an evaluation error`);
}

function testCoverage(rulesFile, testsFile) {
  const rules = YAML.parse(readFileSync(rulesFile, "utf8"));
  const tests = YAML.parse(readFileSync(testsFile, "utf8"));
  const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert).map((r) => r.alert);
  const cases = tests.tests.flatMap((t) => t.alert_rule_test || []);
  const fired = new Set(cases.filter((t) => (t.exp_alerts || []).length > 0).map((t) => t.alertname));
  const silent = new Set(cases.filter((t) => (t.exp_alerts || []).length === 0).map((t) => t.alertname));
  const problems = [];
  const noFire = alerts.filter((x) => !fired.has(x));
  const noSilent = alerts.filter((x) => !silent.has(x));
  if (noFire.length) problems.push(`alerts without a test in which they fire: ${noFire.join(", ")}`);
  if (noSilent.length) problems.push(`alerts without a test in which they stay silent (exp_alerts: []): ${noSilent.join(", ")}`);
  const unknown = [...new Set(cases.map((t) => t.alertname))].filter((x) => !alerts.includes(x));
  if (unknown.length) problems.push(`tests of alerts that do not exist: ${unknown.join(", ")}`);
  if (problems.length) die(problems.join("\n"));
  console.log(`${alerts.length} alerts, each with a test in which it fires and one in which it stays silent`);
}

// Kubernetes quantities of the container limits: memory in bytes, cpu in cores.
function quantity(q) {
  const m = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(q));
  if (!m) throw new Error(`cannot read the quantity ${q}`);
  const f = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(m[1]) * (m[2] ? f[m[2]] : 1);
}

function limits(rulesFile, deploymentFile) {
  const rules = YAML.parse(readFileSync(rulesFile, "utf8"));
  const dep = YAML.parse(readFileSync(deploymentFile, "utf8"));
  const c = (dep.spec?.template?.spec?.containers || []).find((x) => x.name === "coldtrack");
  const lim = c?.resources?.limits;
  if (!lim?.memory || !lim?.cpu) die(`${deploymentFile}: container coldtrack has no memory and cpu limits`);
  const want = {
    ColdTrackMemoryHigh: String(quantity(lim.memory)),
    ColdTrackMemoryGrowing: String(quantity(lim.memory)),
    ColdTrackCpuSaturated: String(quantity(lim.cpu)),
  };
  const byName = new Map(rules.groups.flatMap((g) => g.rules).filter((r) => r.alert).map((r) => [r.alert, r.expr]));
  const problems = [];
  for (const [alert, value] of Object.entries(want)) {
    const expr = byName.get(alert);
    if (expr === undefined) problems.push(`${alert}: no such alert`);
    else if (!new RegExp(`(^|[^0-9.])${value.replace(".", "\\.")}([^0-9.]|$)`).test(expr))
      problems.push(`${alert}: the expression does not use the container limit ${value} (${deploymentFile}): ${expr.trim()}`);
  }
  if (problems.length) die(problems.join("\n"));
  console.log(`process alerts use the container limits (memory ${lim.memory} = ${want.ColdTrackMemoryHigh} bytes, cpu ${lim.cpu})`);
}

const [cmd, ...a] = process.argv.slice(2);
try {
  if (cmd === "dashboard-rules" && a.length === 2) dashboardRules(a[0], a[1]);
  else if (cmd === "promtool-config" && a.length === 3) promtoolConfig(a[0], a[1], a[2]);
  else if (cmd === "wait-up" && a.length === 3) await waitUp(a[0], a[1], Number(a[2]));
  else if (cmd === "query-all" && (a.length === 2 || a.length === 3)) await queryAll(a[0], a[1], a[2]);
  else if (cmd === "rules-health" && a.length === 1) await rulesHealth(a[0]);
  else if (cmd === "metric-names" && a.length === 4) await metricNames(a[0], a[1], a[2], a[3]);
  else if (cmd === "test-coverage" && a.length === 2) testCoverage(a[0], a[1]);
  else if (cmd === "limits" && a.length === 2) limits(a[0], a[1]);
  else die("usage: promql.mjs dashboard-rules|promtool-config|wait-up|query-all|rules-health|metric-names|test-coverage|limits ... (see the header)", 2);
} catch (e) {
  die(e.message);
}
