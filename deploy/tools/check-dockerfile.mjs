// Lints deploy/Dockerfile offline and checks the image's policy.
//
//   node check-dockerfile.mjs [DOCKERFILE]            lint + policy; exit 1 on any finding
//   node check-dockerfile.mjs packages STAGE [FILE]   print the apt packages a stage installs
//                                                     (STAGE: build, runtime), one a line
//
// Lint: dockerfile-utils (the Dockerfile validator of the VS Code Docker language server), every
// error and warning counts. Policy (what the deployment relies on): two stages, debian:12 build
// and debian:12-slim runtime; apt-get install always with -y --no-install-recommends and the
// package lists removed in the same RUN; the runtime stage runs as a non-root user, exposes
// 8080, has a HEALTHCHECK, STOPSIGNAL SIGTERM, a VOLUME, and an exec-form ENTRYPOINT that
// passes --config /etc/coldtrack/coldtrack.yml.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import utils from "dockerfile-utils";
import ast from "dockerfile-ast";

const here = path.dirname(fileURLToPath(import.meta.url));
const defaultFile = path.join(here, "..", "Dockerfile");

function parse(file) {
  const content = readFileSync(file, "utf8");
  return { content, dockerfile: ast.DockerfileParser.parse(content) };
}

// Stages in order: {name, image, instructions[]}.
function stages(dockerfile) {
  const out = [];
  for (const ins of dockerfile.getInstructions()) {
    if (ins.getKeyword() === "FROM") {
      const args = ins.getArguments().map((a) => a.getValue());
      const as = args.findIndex((a) => a.toUpperCase() === "AS");
      out.push({ image: args[0], name: as >= 0 ? args[as + 1] : "", from: ins, instructions: [] });
    } else if (out.length > 0) {
      out[out.length - 1].instructions.push(ins);
    }
  }
  return out;
}

// The shell words of a RUN, split into commands at && ; and |.
function runCommands(ins) {
  const words = ins.getArguments().map((a) => a.getValue());
  const cmds = [[]];
  for (const w of words) {
    if (["&&", "||", ";", "|"].includes(w)) cmds.push([]);
    else cmds[cmds.length - 1].push(w);
  }
  return cmds.filter((c) => c.length > 0);
}

function aptInstalls(stage) {
  const found = [];
  for (const ins of stage.instructions) {
    if (ins.getKeyword() !== "RUN") continue;
    const cmds = runCommands(ins);
    for (const c of cmds) {
      const i = c.indexOf("apt-get");
      if (i < 0 || !c.slice(i + 1).includes("install")) continue;
      const rest = c.slice(c.indexOf("install", i) + 1);
      found.push({
        ins,
        flags: rest.filter((w) => w.startsWith("-")),
        packages: rest.filter((w) => !w.startsWith("-")),
        cleansLists: cmds.some((x) => x[0] === "rm" && x.some((w) => w.startsWith("/var/lib/apt/lists"))),
      });
    }
  }
  return found;
}

function stageByRole(all, role) {
  if (role === "build") return all.find((s) => s.name === "build");
  if (role === "runtime") return all[all.length - 1];
  throw new Error(`unknown stage ${role} (build, runtime)`);
}

function lineOf(ins) {
  return ins.getRange().start.line + 1;
}

function check(file) {
  const problems = [];
  const { content, dockerfile } = parse(file);
  const severity = { 1: "error", 2: "warning", 3: "info", 4: "hint" };
  for (const d of utils.validate(content)) {
    problems.push(`line ${d.range.start.line + 1}: ${severity[d.severity] || "problem"}: ${d.message}`);
  }
  const all = stages(dockerfile);
  if (all.length !== 2) problems.push(`expected 2 stages (build, runtime), found ${all.length}`);
  const build = stageByRole(all, "build");
  const runtime = stageByRole(all, "runtime");
  if (!build || build.image !== "debian:12") problems.push("the first stage must be FROM debian:12 AS build");
  if (!runtime || runtime.image !== "debian:12-slim") problems.push("the last stage must be FROM debian:12-slim");
  for (const s of all) {
    for (const a of aptInstalls(s)) {
      const at = `line ${lineOf(a.ins)}`;
      if (!a.flags.includes("-y")) problems.push(`${at}: apt-get install without -y`);
      if (!a.flags.includes("--no-install-recommends"))
        problems.push(`${at}: apt-get install without --no-install-recommends`);
      if (!a.cleansLists) problems.push(`${at}: the RUN that installs must remove /var/lib/apt/lists/*`);
      if (a.packages.length === 0) problems.push(`${at}: apt-get install names no package`);
      for (const p of a.packages)
        if (!/^[a-z0-9][a-z0-9.+-]+$/.test(p)) problems.push(`${at}: '${p}' is not a Debian package name`);
    }
  }
  if (runtime) {
    const kw = (k) => runtime.instructions.filter((i) => i.getKeyword() === k);
    const args = (i) => i.getArguments().map((a) => a.getValue());
    const users = kw("USER");
    const user = users.length ? args(users[users.length - 1])[0] : "";
    if (!user || /^(root|0)(:|$)/.test(user)) problems.push("runtime stage: USER must be a non-root user");
    if (!kw("EXPOSE").some((i) => args(i).includes("8080"))) problems.push("runtime stage: EXPOSE 8080 missing");
    if (kw("HEALTHCHECK").length !== 1) problems.push("runtime stage: exactly one HEALTHCHECK expected");
    else if (!kw("HEALTHCHECK")[0].toString().includes("/healthz"))
      problems.push("runtime stage: HEALTHCHECK must probe /healthz");
    if (!kw("STOPSIGNAL").some((i) => args(i)[0] === "SIGTERM"))
      problems.push("runtime stage: STOPSIGNAL SIGTERM missing");
    if (kw("VOLUME").length === 0) problems.push("runtime stage: VOLUME for the data directory missing");
    if (kw("WORKDIR").length === 0) problems.push("runtime stage: WORKDIR missing");
    const eps = kw("ENTRYPOINT");
    const ep = eps.length ? eps[eps.length - 1] : null;
    if (!ep || !ep.getRawArgumentsContent().trim().startsWith("["))
      problems.push("runtime stage: ENTRYPOINT must be in exec (JSON) form, so SIGTERM reaches the server");
    else if (!/"--config",\s*"\/etc\/coldtrack\/coldtrack\.yml"/.test(ep.getRawArgumentsContent()))
      problems.push("runtime stage: ENTRYPOINT must pass --config /etc/coldtrack/coldtrack.yml");
    if (aptInstalls(runtime).length === 0) problems.push("runtime stage installs no packages");
  }
  for (const s of all)
    if (/:latest$/.test(s.image) || !s.image.includes(":")) problems.push(`FROM ${s.image}: pin a tag`);
  // COPY --from=IMAGE (not a stage name) must name a tagged image too.
  const stageNames = new Set(all.map((s) => s.name).filter(Boolean));
  for (const s of all)
    for (const ins of s.instructions) {
      if (ins.getKeyword() !== "COPY") continue;
      const flag = ins.getFlags().find((f) => f.getName() === "from");
      if (!flag) continue;
      const ref = flag.getValue() || "";
      if (!stageNames.has(ref) && !/^\d+$/.test(ref) && (!/:[^/]+$/.test(ref) || /:latest$/.test(ref)))
        problems.push(`line ${lineOf(ins)}: COPY --from=${ref}: pin the image's tag`);
    }
  return problems;
}

const argv = process.argv.slice(2);
try {
  if (argv[0] === "packages") {
    const { dockerfile } = parse(argv[2] || defaultFile);
    const stage = stageByRole(stages(dockerfile), argv[1]);
    if (!stage) throw new Error(`no ${argv[1]} stage`);
    const pkgs = aptInstalls(stage).flatMap((a) => a.packages);
    process.stdout.write(pkgs.join("\n") + (pkgs.length ? "\n" : ""));
  } else {
    const file = argv[0] || defaultFile;
    const problems = check(file);
    for (const p of problems) console.log(`${path.relative(process.cwd(), file)}: ${p}`);
    if (problems.length) process.exit(1);
    console.log(`${path.relative(process.cwd(), file)}: no lint or policy findings`);
  }
} catch (e) {
  console.error(`check-dockerfile: ${e.message}`);
  process.exit(2);
}
