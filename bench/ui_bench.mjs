#!/usr/bin/env node
// The web UI's benchmark (issue 10, deliverable 5): time to first render of the experiment page,
// its trials table and each plot in headless Chromium with 100, 1 000 and 10 000 finished
// trials, and the size of the embedded assets. For each N it seeds a fresh store with one
// finished experiment of N trials (ktune_server_seed --experiments 1 --trials N --logs K),
// starts the real `ktune server` on it and loads the experiment's page in a fresh browser
// context per measurement: first with a cold cache (nothing cached), then, in the same context,
// again with a warm cache (the hashed assets from the HTTP cache, index.html revalidated; the API
// is always asked afresh). Every time is milliseconds from navigation start (the document's
// performance.timeOrigin), taken inside the page:
//   - overview (?tab absent, 1280x800): the experiment's summary shown, and the trials loaded
//     (the Trials tab shows their count);
//   - trials (?tab=trials, 1280x800): the first rows of the trials table shown;
//   - plots (?tab=plots, 1280x800): the parallel-coordinates plot drawn (data-drawn="1", set
//     when ECharts reports `finished`, or its empty state);
//   - every plot (?tab=plots, a 1280x4000 viewport so that no plot waits for a scroll): each
//     plot drawn or its empty state shown;
//   - click (overview loaded, trials loaded, then a click on the Plots tab): the parallel plot
//     drawn, from the click.
// "Shown" is the animation frame after the element entered the DOM (a MutationObserver sees it);
// "usable" is the first moment after that at which the main thread has been free of long tasks
// (PerformanceObserver "longtask", > 50 ms) for 50 ms, i.e. when input is answered again.
// Also recorded: the API requests the page made (resource timing: server time = responseStart -
// requestStart, download = responseEnd - responseStart, bytes on the wire and decoded), the
// JSON.parse of each answer over 64 KB (JSON.parse is wrapped to time it), the long tasks, the
// bytes transferred by a cold load, the files under BUILD/ui-dist raw and gzipped, and the load
// average. Prints a Markdown table and writes it to --out.
//
//   node bench/ui_bench.mjs [BUILD_DIR | --build=build] [--trials=100,1000,10000] [--reps=5] [--logs=3]
//                           [--out=bench/results/ui-DATE.md] [--quick] [--profile] [--keep]
//                           [--assets=DIR] [--only=SCENARIOS] [--timeout-ms=60000] [--max-s=1800]
//
// --quick: N=100, one repetition, no file unless --out (a smoke test of the script itself).
// --profile: after the repetitions of the largest N, one cold load of the plots tab under the
// V8 CPU profiler and a Chrome trace; prints where the main thread's time went until the
// parallel plot was drawn (self time by script and by function, trace events by name).
// --only=overview,trials,plots,allPlots,click: only those scenarios. --reps=0 with --profile:
// only the profile. --assets=DIR: the UI's files from DIR instead of
// the server (the API still from it; e.g. `npx vite build --minify false` for readable names
// in the profile; not cached, so compare cold loads only).
// --keep: leave the temporary directories (stores, server output) in place.
// Every wait is bounded by --timeout-ms, the whole run by --max-s; servers, the browser and the
// temporary directories are removed on exit (also on an error or a signal).

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceDir = path.resolve(here, "..");
const { chromium } = createRequire(path.join(sourceDir, "ui", "package.json"))("playwright-core");

// ---- options -----------------------------------------------------------------------------------
const opt = {
  build: "build",
  trials: [100, 1000, 10000],
  reps: 5,
  logs: 3,
  out: undefined,
  quick: false,
  profile: false,
  keep: false,
  assets: undefined,
  timeoutMs: 60_000,
  maxS: 1800,
};
for (const a of process.argv.slice(2)) {
  const [k, v] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a];
  if (k === "--build") opt.build = v;
  else if (k === "--trials") opt.trials = v.split(",").map((s) => Number(s.replace(/_/g, "")));
  else if (k === "--reps") opt.reps = Number(v);
  else if (k === "--logs") opt.logs = Number(v);
  else if (k === "--out") opt.out = v;
  else if (k === "--quick") opt.quick = true;
  else if (k === "--profile") opt.profile = true;
  else if (k === "--keep") opt.keep = true;
  else if (k === "--assets") opt.assets = path.resolve(v);
  else if (k === "--only") opt.only = v.split(",");
  else if (k === "--timeout-ms") opt.timeoutMs = Number(v);
  else if (k === "--max-s") opt.maxS = Number(v);
  else if (!a.startsWith("-")) opt.build = a;
  else {
    console.error(`ui_bench: unknown option ${a}`);
    process.exit(2);
  }
}
if (opt.quick) {
  opt.trials = [100];
  opt.reps = 1;
}
if (opt.trials.some((n) => !Number.isInteger(n) || n < 1) || !(opt.reps >= (opt.profile ? 0 : 1))) {
  console.error("ui_bench: --trials takes positive integers, --reps at least 1 (0 with --profile: only the profile)");
  process.exit(2);
}
const build = path.resolve(opt.build);
const ktune = path.join(build, "bin", "ktune");
const seeder = path.join(build, "bin", "ktune_server_seed");
const dist = path.join(build, "ui-dist");
for (const f of [ktune, seeder, path.join(dist, "index.html")]) {
  if (!fs.existsSync(f)) {
    console.error(`ui_bench: ${f} missing (cmake --build ${opt.build} --target ktune ktune_server_seed)`);
    process.exit(2);
  }
}
const chromiumPath = process.env.KTUNE_CHROMIUM ?? "/usr/bin/chromium";
const log = (...a) => console.error("ui_bench:", ...a);

// ---- clean-up ----------------------------------------------------------------------------------
const children = new Set();
const tmpDirs = [];
let browser;
let cleaned = false;
function cleanupSync() {
  if (cleaned) return;
  cleaned = true;
  for (const c of children) c.kill("SIGKILL");
  for (const d of tmpDirs) {
    if (opt.keep) log(`kept ${d}`);
    else fs.rmSync(d, { recursive: true, force: true });
  }
}
process.on("exit", cleanupSync);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    log(`${sig}: stopping`);
    process.exit(130);
  });
}
const overall = setTimeout(() => {
  log(`the whole run took more than --max-s=${opt.maxS}: stopping`);
  process.exit(1);
}, opt.maxS * 1000);
overall.unref();

function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

// ---- machine state -----------------------------------------------------------------------------
function loadavg() {
  return fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}
// Other engineers' builds running now (compilers and linkers), by process name.
function busyProcesses() {
  const names = new Set(["cc1plus", "cc1", "clang", "clang++", "ld", "ld.gold", "lld", "ninja", "make", "esbuild"]);
  let n = 0;
  for (const pid of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (names.has(fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim())) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}
// Other browsers and Node processes (this benchmark's own included: one node, one chromium
// browser's processes).
function count(names) {
  let n = 0;
  for (const pid of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (names.includes(fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim().split(" ")[0])) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}
const machine = () =>
  `load ${loadavg()}, ${busyProcesses()} compiler/linker, ${count(["chromium"])} chromium, ` +
  `${count(["node"])} node processes`;

// ---- seeding and the server --------------------------------------------------------------------
function seed(dir, n) {
  const db = path.join(dir, "k.db");
  const t0 = Date.now();
  const r = spawnSync(
    seeder,
    ["--db", db, "--experiments", "1", "--trials", String(n), "--logs", String(opt.logs)],
    { encoding: "utf8", timeout: opt.timeoutMs * 5 },
  );
  if (r.status !== 0) throw new Error(`ktune_server_seed failed (${r.status ?? r.signal}): ${r.stderr}`);
  log(`seeded 1 experiment of ${n} trials in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return db;
}

async function startServer(dir, db) {
  const work = path.join(dir, "work");
  fs.mkdirSync(work, { recursive: true });
  const args = ["server", "--port", "0", "--grpc-port", "-1", "--db", db, "--workdir", work];
  args.push("--log-level", "warn");
  const child = spawn(ktune, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (s) => (out += s));
  const exited = new Promise((resolve) => child.on("exit", (code, sig) => resolve(code ?? sig)));
  exited.then(() => children.delete(child));
  const base = await withTimeout(
    new Promise((resolve, reject) => {
      child.stdout.on("data", (s) => {
        out += s;
        const m = /ktune server: listening on (http:\/\/[^\s]+)/.exec(out);
        if (m) resolve(m[1].replace(/\/$/, ""));
      });
      exited.then((c) => reject(new Error(`ktune server exited (${c}):\n${out}`)));
    }),
    opt.timeoutMs,
    "ktune server's listening line",
  );
  const end = Date.now() + opt.timeoutMs;
  for (;;) {
    const ok = await fetch(`${base}/readyz`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > end) throw new Error(`${base}/readyz not 200 after ${opt.timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await withTimeout(exited, 10_000, "ktune server's exit").catch(() => child.kill("SIGKILL"));
  };
  return { base, stop, output: () => out };
}

// ---- what runs in the page ---------------------------------------------------------------------
const PLOTS = ["parallel", "history", "importance", "slice", "contour", "intermediate", "timeline"];

// Installed before any of the page's scripts (addInitScript): marks when each target appears,
// the long tasks, the JSON.parse of large answers and the time of the last click.
function pageProbe(plots) {
  const B = (window.__bench = { marks: {}, longtasks: [], parses: [], clickAt: undefined });
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) B.longtasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch {
    // no long task timing in this browser
  }
  const parse = JSON.parse;
  JSON.parse = function (text, reviver) {
    const t0 = performance.now();
    const v = parse.call(this, text, reviver);
    if (typeof text === "string" && text.length > 65536) {
      B.parses.push({ at: t0, ms: performance.now() - t0, chars: text.length });
    }
    return v;
  };
  document.addEventListener("click", (e) => (B.clickAt = e.timeStamp), true);
  const q = (s) => document.querySelector(s);
  const checks = {
    overview: () => q('[data-testid="experiment-overview"]'),
    trialsLoaded: () => {
      const t = document.getElementById("tab-trials");
      return t && /\(\d/.test(t.textContent ?? "") ? t : null;
    },
    row: () => q('[data-testid="trial-row"]'),
  };
  for (const p of plots) {
    // drawn, or its empty state (not the "Loading…" / "Computing…" one)
    checks[`plot-${p}`] = () => {
      const e = q(`[data-testid="plot-${p}"][data-empty="1"]`);
      if (e && !/(Loading|Computing)…/.test(e.querySelector(".plot-empty")?.textContent ?? "")) return e;
      return q(`[data-testid="plot-${p}"] [data-drawn="1"]`);
    };
    // zrender inserts a chart's canvas when it first paints it (the fallback where ECharts'
    // `finished`, hence data-drawn, never comes)
    checks[`canvas-${p}`] = () => q(`[data-testid="plot-${p}"] canvas`);
  }
  const mark = (name, el) => {
    const m = { dom: performance.now(), empty: el.dataset.empty === "1" };
    B.marks[name] = m;
    if (el.dataset.drawnAt) m.drawnAt = Number(el.dataset.drawnAt);
    requestAnimationFrame(() => (m.frame = performance.now()));
  };
  const scan = () => {
    for (const [k, f] of Object.entries(checks)) {
      if (B.marks[k]) continue;
      const el = f();
      if (el) mark(k, el);
    }
  };
  const start = () => {
    new MutationObserver(scan).observe(document.documentElement, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
      attributeFilter: ["data-drawn", "data-empty"],
    });
    scan();
  };
  if (document.documentElement) start();
  else document.addEventListener("readystatechange", start, { once: true });
}

// Waits in the page until the marks named are there and the main thread has been free of long
// tasks for `quietMs` (so that the long tasks after them are recorded), then returns the record.
async function collect(page, names, quietMs = 300) {
  await page.waitForFunction(
    ([ns, quiet]) => {
      const B = window.__bench;
      const seen = (n) => B.marks[n] && B.marks[n].frame !== undefined;
      if (!B || !ns.every((alt) => alt.split("|").some(seen))) return false;
      const lastEnd = Math.max(0, ...B.longtasks.map(([s, d]) => s + d));
      return performance.now() - lastEnd > quiet;
    },
    [names, quietMs],
    { timeout: opt.timeoutMs, polling: 50 },
  ).catch(async (e) => {
    const seen = await page.evaluate(() => Object.keys(window.__bench?.marks ?? {})).catch(() => []);
    const missing = names.filter((alt) => !alt.split("|").some((n) => seen.includes(n)));
    throw new Error(`${page.url()}: ${missing.join(", ") || "a quiet main thread"} not seen: ${e.message}`);
  });
  return page.evaluate(() => {
    const B = window.__bench;
    const nav = performance.getEntriesByType("navigation")[0];
    const res = performance.getEntriesByType("resource").map((e) => ({
      url: e.name,
      type: e.initiatorType,
      start: e.startTime,
      requestStart: e.requestStart,
      responseStart: e.responseStart,
      responseEnd: e.responseEnd,
      transfer: e.transferSize,
      encoded: e.encodedBodySize,
      decoded: e.decodedBodySize,
    }));
    const paint = Object.fromEntries(performance.getEntriesByType("paint").map((e) => [e.name, e.startTime]));
    return {
      marks: B.marks,
      longtasks: B.longtasks,
      parses: B.parses,
      clickAt: B.clickAt,
      paint,
      nav: {
        transfer: nav.transferSize,
        encoded: nav.encodedBodySize,
        decoded: nav.decodedBodySize,
        responseEnd: nav.responseEnd,
        domContentLoaded: nav.domContentLoadedEventEnd,
      },
      resources: res,
    };
  });
}

// The time a mark was shown: ECharts' `finished` for a chart, else the frame after it appeared.
const shownAt = (m) => (m.drawnAt !== undefined && !m.empty ? m.drawnAt : m.frame);

// From t, the first moment the main thread has been free of long tasks for 50 ms.
function usableAt(t, longtasks) {
  let u = t;
  for (const [s, d] of [...longtasks].sort((a, b) => a[0] - b[0])) {
    if (s + d <= u) continue;
    if (s > u + 50) break;
    u = s + d;
  }
  return u;
}

// ---- the scenarios -----------------------------------------------------------------------------
async function newPage(viewport) {
  const context = await browser.newContext({ viewport, colorScheme: "light" });
  context.setDefaultTimeout(opt.timeoutMs);
  await context.addInitScript(pageProbe, PLOTS);
  if (opt.assets) {
    // --assets: the UI's files from that folder (e.g. an unminified build for --profile), the
    // API from the server
    await context.route(/^https?:\/\/[^/]+\/(?!apis\/)/, (route) => {
      const u = new URL(route.request().url());
      const file = u.pathname.startsWith("/assets/") ? u.pathname : "/index.html";
      const p = path.join(opt.assets, file);
      if (!fs.existsSync(p)) return route.fulfill({ status: 404, body: "not found" });
      const type = p.endsWith(".js") ? "text/javascript" : p.endsWith(".css") ? "text/css" : "text/html";
      return route.fulfill({ status: 200, contentType: type, body: fs.readFileSync(p) });
    });
  }
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("response", (r) => {
    if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) errors.push(`HTTP ${r.status()} ${r.url()}`);
  });
  return { context, page, errors };
}

const small = { width: 1280, height: 800 };
const tall = { width: 1280, height: 4000 };

// Each returns {name: ms} for one load of `url` in `page`.
const SCENARIOS = {
  overview: {
    viewport: small,
    query: "",
    async run(page, url) {
      await page.goto(url, { waitUntil: "commit" });
      const r = await collect(page, ["overview", "trialsLoaded"]);
      const shown = shownAt(r.marks.overview);
      return {
        r,
        times: {
          "overview: summary shown": shown,
          "overview: summary usable": usableAt(shown, r.longtasks),
          "overview: trials loaded (count in the tab)": shownAt(r.marks.trialsLoaded),
          "overview: trials loaded, usable": usableAt(shownAt(r.marks.trialsLoaded), r.longtasks),
        },
      };
    },
  },
  trials: {
    viewport: small,
    query: "?tab=trials",
    async run(page, url) {
      await page.goto(url, { waitUntil: "commit" });
      const r = await collect(page, ["row"]);
      const shown = shownAt(r.marks.row);
      return {
        r,
        times: {
          "trials tab: first rows shown": shown,
          "trials tab: first rows usable": usableAt(shown, r.longtasks),
        },
      };
    },
  },
  plots: {
    viewport: small,
    query: "?tab=plots",
    async run(page, url) {
      await page.goto(url, { waitUntil: "commit" });
      const r = await collect(page, ["plot-parallel"]);
      const shown = shownAt(r.marks["plot-parallel"]);
      return {
        r,
        times: {
          "plots tab: parallel coordinates drawn": shown,
          "plots tab: parallel coordinates usable": usableAt(shown, r.longtasks),
        },
      };
    },
  },
  allPlots: {
    viewport: tall,
    query: "?tab=plots",
    async run(page, url) {
      await page.goto(url, { waitUntil: "commit" });
      const r = await collect(page, PLOTS.map((p) => `plot-${p}|canvas-${p}`));
      const times = {};
      const at = (p) => {
        const m = r.marks[`plot-${p}`];
        return m ? shownAt(m) : shownAt(r.marks[`canvas-${p}`]);
      };
      const fallbacks = [];
      for (const p of PLOTS) {
        const m = r.marks[`plot-${p}`];
        if (!m) fallbacks.push(p);
        times[`every plot (1280x4000): ${p}${m?.empty ? " (empty state)" : ""}`] = at(p);
      }
      times["every plot (1280x4000): all drawn, usable"] = usableAt(
        Math.max(...PLOTS.map(at)),
        r.longtasks,
      );
      return { r, times, fallbacks };
    },
  },
  click: {
    viewport: small,
    query: "",
    async run(page, url) {
      await page.goto(url, { waitUntil: "commit" });
      await collect(page, ["overview", "trialsLoaded"]);
      await page.click("#tab-plots");
      const r = await collect(page, ["plot-parallel"]);
      const shown = shownAt(r.marks["plot-parallel"]) - r.clickAt;
      return {
        r,
        times: {
          "click on Plots: parallel drawn (from the click)": shown,
          "click on Plots: parallel usable (from the click)": usableAt(shown + r.clickAt, r.longtasks) - r.clickAt,
        },
      };
    },
  },
};

// The API requests of a load: label -> {server, download, total, transfer, decoded}.
function apiCalls(r) {
  const out = {};
  for (const e of r.resources) {
    const u = new URL(e.url);
    if (!u.pathname.startsWith("/apis/") || u.pathname.endsWith("/events")) continue;
    const label = u.pathname
      .replace(/^\/apis\/[^/]+\/[^/]+\/namespaces\/[^/]+\//, "")
      .replace(/experiments\/[^/]+/, "experiments/E")
      .replace(/^experiments\/E$/, "GET experiment")
      .replace(/^experiments\/E\//, "");
    out[label] = {
      server: e.responseStart - e.requestStart,
      download: e.responseEnd - e.responseStart,
      end: e.responseEnd,
      transfer: e.transfer,
      decoded: e.decoded,
    };
  }
  return out;
}

function bytesOfLoad(r) {
  let assets = r.nav.transfer;
  let api = 0;
  for (const e of r.resources) {
    if (new URL(e.url).pathname.startsWith("/apis/")) api += e.transfer;
    else assets += e.transfer;
  }
  return { assets, api };
}

// ---- statistics and the report -----------------------------------------------------------------
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x) => (x === undefined || Number.isNaN(x) ? "–" : Math.round(x).toLocaleString("en-US"));
const kb = (b) => (b === undefined ? "–" : `${(b / 1024).toFixed(1)} KB`);

function assetSizes() {
  const rows = [];
  const walk = (d) => {
    for (const f of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, f.name);
      if (f.isDirectory()) walk(p);
      else {
        const raw = fs.readFileSync(p);
        rows.push({ file: path.relative(dist, p), raw: raw.length, gzip: zlib.gzipSync(raw, { level: 9 }).length });
      }
    }
  };
  walk(dist);
  rows.sort((a, b) => b.raw - a.raw);
  return rows;
}

async function benchN(n) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ktune-uibench-${n}-`));
  tmpDirs.push(dir);
  const db = seed(dir, n);
  const server = await startServer(dir, db);
  const base = `${server.base}/experiments/default/seed-00000`;
  const before = machine();
  log(`N=${n}: server at ${server.base}; ${before}`);
  const samples = {}; // "cold|warm" -> name -> [ms]
  const api = { cold: {}, warm: {} }; // label -> field -> [values]
  const parses = { cold: [], warm: [] };
  const bytes = [];
  const errors = [];
  let prof;
  const noDrawn = {}; // plot -> loads in which data-drawn never came
  let allPlotLoads = 0;
  const add = (cache, times) => {
    for (const [k, v] of Object.entries(times)) ((samples[k] ??= { cold: [], warm: [] })[cache]).push(v);
  };
  try {
    for (let rep = 0; rep < opt.reps; rep++) {
      for (const [name, sc] of Object.entries(SCENARIOS)) {
        if (opt.only && !opt.only.includes(name)) continue;
        const { context, page, errors: errs } = await newPage(sc.viewport);
        try {
          for (const cache of ["cold", "warm"]) {
            const { r, times, fallbacks = [] } = await sc.run(page, base + sc.query);
            add(cache, times);
            for (const p of fallbacks) noDrawn[p] = (noDrawn[p] ?? 0) + 1;
            if (name === "allPlots") allPlotLoads++;
            for (const [label, c] of Object.entries(apiCalls(r))) {
              const a = (api[cache][label] ??= {});
              for (const [f, v] of Object.entries(c)) (a[f] ??= []).push(v);
            }
            parses[cache].push(...r.parses.map((p) => p.ms));
            if (cache === "cold" && name === "plots") bytes.push(bytesOfLoad(r));
          }
        } finally {
          await context.close();
        }
        errors.push(...errs.map((e) => `${name}: ${e}`));
      }
      log(`N=${n}: repetition ${rep + 1}/${opt.reps} done (${machine()})`);
    }
    if (opt.profile && n === Math.max(...opt.trials)) prof = await profile(base + "?tab=plots", dir);
  } finally {
    await server.stop();
  }
  return { n, samples, api, parses, bytes, errors, before, after: machine(), profile: prof, noDrawn, allPlotLoads };
}

// ---- --profile: where the main thread's time goes -------------------------------------------------
async function profile(url, dir) {
  log(`profile: one cold load of ${url}${opt.assets ? ` with the UI from ${opt.assets}` : ""}`);
  const { context, page } = await newPage(small);
  const P = [];
  try {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
    await cdp.send("Profiler.start");
    const tracePath = path.join(dir, "trace.json");
    await browser.startTracing(page, { path: tracePath, screenshots: false });
    await page.goto(url, { waitUntil: "commit" });
    const r = await collect(page, ["plot-parallel"]);
    await browser.stopTracing();
    const { profile: prof } = await cdp.send("Profiler.stop");
    const until = shownAt(r.marks["plot-parallel"]);
    const calls = apiCalls(r);
    P.push(`\n### Profile: one cold load of the plots tab, ${Math.max(...opt.trials).toLocaleString("en-US")} trials` +
      `${opt.assets ? " (UI served from --assets, unminified)" : ""}\n`);
    P.push(`Parallel plot drawn at ${ms(until)} ms; first paint at ${ms(r.paint["first-paint"])} ms, ` +
      `DOMContentLoaded at ${ms(r.nav.domContentLoaded)} ms. Requests:\n`);
    for (const [label, c] of Object.entries(calls)) {
      P.push(`- ${label}: server ${ms(c.server)} ms, download ${ms(c.download)} ms, done at ${ms(c.end)} ms, ${kb(c.transfer)} on the wire, ${kb(c.decoded)} decoded`);
    }
    for (const e of r.resources.filter((x) => !new URL(x.url).pathname.startsWith("/apis/"))) {
      P.push(`- ${new URL(e.url).pathname}: requested at ${ms(e.start)} ms, done at ${ms(e.responseEnd)} ms, ${kb(e.transfer)}`);
    }
    for (const p of r.parses) P.push(`- JSON.parse of ${p.chars.toLocaleString("en-US")} chars at ${ms(p.at)} ms: ${ms(p.ms)} ms`);
    P.push(`- long tasks (start+duration): ${r.longtasks.map(([s, d]) => `${ms(s)}+${ms(d)}`).join(", ")}`);
    // The trace and the CPU profile share Chrome's monotonic clock (µs); the document's
    // navigationStart in the trace maps it onto the page's performance.now().
    const trace = JSON.parse(fs.readFileSync(tracePath, "utf8"));
    const events = trace.traceEvents ?? trace;
    const navs = events.filter((e) => e.name === "navigationStart" && /\/experiments\//.test(e.args?.data?.documentLoaderURL ?? ""));
    const nav0 = navs.length ? navs[navs.length - 1].ts : undefined;
    const byId = new Map(prof.nodes.map((nd) => [nd.id, nd]));
    const parent = new Map();
    for (const nd of prof.nodes) for (const c of nd.children ?? []) parent.set(c, nd.id);
    const name = (nd) => {
      const f = nd.callFrame;
      const file = f.url ? path.basename(new URL(f.url).pathname) : "";
      return file ? `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}` : f.functionName;
    };
    const top = (m, k) => [...m.entries()].sort((x, y) => y[1] - x[1]).slice(0, k);
    // Self and inclusive time per function and self time per script in [from, to) (page ms).
    const windowed = (from, to) => {
      const self = new Map();
      const incl = new Map();
      const script = new Map();
      let t = prof.startTime;
      let busy = 0;
      for (let i = 0; i < prof.samples.length; i++) {
        t += prof.timeDeltas[i];
        const dt = (prof.timeDeltas[i + 1] ?? 0) / 1000;
        const at = nav0 === undefined ? 0 : (t - nav0) / 1000;
        if (nav0 !== undefined && (at < from || at >= to)) continue;
        const nd = byId.get(prof.samples[i]);
        if (nd.callFrame.functionName === "(idle)") continue;
        busy += dt;
        self.set(name(nd), (self.get(name(nd)) ?? 0) + dt);
        const f = nd.callFrame;
        const file = f.url ? path.basename(new URL(f.url).pathname) : f.functionName;
        script.set(file, (script.get(file) ?? 0) + dt);
        const seen = new Set();
        for (let id = nd.id; id !== undefined; id = parent.get(id)) {
          const n = name(byId.get(id));
          if (seen.has(n) || n === "(root)") continue;
          seen.add(n);
          incl.set(n, (incl.get(n) ?? 0) + dt);
        }
      }
      return { self, incl, script, busy };
    };
    const tt = calls.trialtable?.end ?? 0;
    const windows = nav0 === undefined
      ? [["the whole load (no navigationStart in the trace)", 0, Infinity]]
      : [
        [`navigation to the trial table's arrival (0–${ms(tt)} ms)`, 0, tt],
        [`the trial table's arrival to the parallel plot drawn (${ms(tt)}–${ms(until)} ms)`, tt, until],
      ];
    for (const [what, from, to] of windows) {
      const w = windowed(from, to);
      P.push(`\nV8 CPU profile, ${what}: ${ms(w.busy)} ms not idle. Self time by script: ` +
        top(w.script, 8).map(([k, v]) => `${k} ${ms(v)}`).join(", ") + ".\n");
      P.push("Inclusive time by function (a function counted once per sample):\n");
      for (const [k, v] of top(w.incl, 30)) P.push(`- ${ms(v)} ms ${k}`);
      P.push("\nSelf time by function:\n");
      for (const [k, v] of top(w.self, 15)) P.push(`- ${ms(v)} ms ${k}`);
      // Trace events on the renderer's main thread in the window, by name.
      const main = new Set(events.filter((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain").map((e) => `${e.pid}:${e.tid}`));
      const byName = new Map();
      for (const e of events) {
        if (e.ph !== "X" || !main.has(`${e.pid}:${e.tid}`) || !e.dur) continue;
        const at = nav0 === undefined ? 0 : (e.ts - nav0) / 1000;
        if (nav0 !== undefined && (at < from || at >= to)) continue;
        byName.set(e.name, (byName.get(e.name) ?? 0) + e.dur / 1000);
      }
      const keep = ["EvaluateScript", "v8.compile", "v8.evaluateModule", "v8.parseOnBackground", "FunctionCall",
        "FireAnimationFrame", "ParseHTML", "UpdateLayoutTree", "Layout", "Paint", "PrePaint", "Commit",
        "MinorGC", "MajorGC", "V8.GC_MARK_COMPACTOR", "TimerFire", "EventDispatch", "RunMicrotasks"];
      P.push(`\nChrome trace, renderer main thread, in this window: ` +
        keep.filter((k) => byName.has(k)).map((k) => `${k} ${ms(byName.get(k))}`).join(", ") + " ms (nested events overlap).");
    }
    // What each long task after the trial table's arrival was (until the plot was drawn).
    P.push("\nEach long task from the trial table's arrival to the plot drawn, its top functions (inclusive):\n");
    for (const [st, d] of r.longtasks) {
      if (st + d < tt || st > until) continue;
      const w = windowed(st, st + d);
      const shown = top(w.incl, 40)
        .filter(([k]) => !/^\(program\)|^\(garbage|^$/.test(k))
        .slice(0, 12)
        .map(([k, v]) => `${k.replace(/ index-[^ ]*| PlotsTab-[^ ]*/, "")} ${ms(v)}`);
      const gc = w.self.get("(garbage collector)") ?? 0;
      P.push(`- ${ms(st)}+${ms(d)} ms (GC ${ms(gc)}): ${shown.join(", ")}`);
    }
    if (opt.keep) log(`profile: trace at ${tracePath}`);
  } finally {
    await context.close();
  }
  return P.join("\n");
}

function report(results, assets) {
  const L = [];
  const date = new Date().toISOString().slice(0, 16) + "Z";
  L.push(`# ktune web UI benchmark, ${date}`);
  L.push("");
  L.push(`Headless ${spawnSync(chromiumPath, ["--version"], { encoding: "utf8" }).stdout.trim() || "Chromium"}, ` +
    `playwright-core ${createRequire(path.join(sourceDir, "ui", "package.json"))("playwright-core/package.json").version}, ` +
    `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), ${opt.reps} repetition(s) per cell, ` +
    `${opt.logs} observation logs per metric and trial. Times in ms from navigation start (the ` +
    `click rows: from the click); cold = a fresh browser context, warm = the same context's ` +
    `second load (assets from its HTTP cache, the API asked afresh). "usable": main thread free ` +
    `of long tasks for 50 ms after it was shown.`);
  L.push("");
  for (const res of results) {
    L.push(`## ${res.n.toLocaleString("en-US")} trials`);
    L.push("");
    L.push(`Machine before: ${res.before}; after: ${res.after}.`);
    L.push("");
    if (!Object.keys(res.samples).length) {
      if (res.profile) L.push(res.profile);
      continue;
    }
    L.push("| what | cold median | cold max | warm median | warm max |");
    L.push("|---|---:|---:|---:|---:|");
    for (const [k, v] of Object.entries(res.samples)) {
      L.push(`| ${k} | ${ms(median(v.cold))} | ${ms(Math.max(...v.cold))} | ${ms(median(v.warm))} | ${ms(Math.max(...v.warm))} |`);
    }
    const nd = Object.entries(res.noDrawn);
    if (nd.length) {
      L.push("");
      L.push(`data-drawn never came (ECharts' \`finished\` not seen) for: ${nd.map(([p, c]) => `${p} in ${c} of ${res.allPlotLoads} loads`).join(", ")}; ` +
        "their time there is when the chart's canvas was first painted (zrender inserts it then), a lower bound.");
    }
    L.push("");
    L.push("API requests (all loads; server = request sent to first byte, download = first to last byte):");
    L.push("");
    L.push("| request | cache | n | server median / max | download median / max | on the wire | decoded |");
    L.push("|---|---|---:|---:|---:|---:|---:|");
    for (const cache of ["cold", "warm"]) {
      for (const [label, a] of Object.entries(res.api[cache])) {
        L.push(`| ${label} | ${cache} | ${a.server.length} | ${ms(median(a.server))} / ${ms(Math.max(...a.server))} | ` +
          `${ms(median(a.download))} / ${ms(Math.max(...a.download))} | ${kb(median(a.transfer))} | ${kb(median(a.decoded))} |`);
      }
    }
    for (const cache of ["cold", "warm"]) {
      const p = res.parses[cache];
      if (p.length) L.push(`\nJSON.parse of answers over 64 KB (${cache}): median ${ms(median(p))} ms, max ${ms(Math.max(...p))} ms (${p.length} parses).`);
    }
    if (res.bytes.length) {
      L.push("");
      L.push(`Transferred by a cold load of the plots tab: assets ${kb(median(res.bytes.map((b) => b.assets)))}, ` +
        `API ${kb(median(res.bytes.map((b) => b.api)))}.`);
    }
    if (res.profile) L.push(res.profile);
    if (res.errors.length) {
      L.push("");
      L.push(`Errors seen by the page: ${[...new Set(res.errors)].join("; ")}`);
    }
    L.push("");
  }
  L.push("## Embedded assets (BUILD/ui-dist)");
  L.push("");
  L.push("| file | raw | gzip -9 |");
  L.push("|---|---:|---:|");
  for (const a of assets) L.push(`| ${a.file} | ${kb(a.raw)} | ${kb(a.gzip)} |`);
  const sum = (f) => assets.reduce((s, a) => s + a[f], 0);
  L.push(`| total | ${kb(sum("raw"))} | ${kb(sum("gzip"))} |`);
  L.push("");
  const big = results.find((r) => r.n === 10000) ?? results[results.length - 1];
  if (!Object.keys(big.samples).length) return L.join("\n") + "\n";
  const keys = ["overview: summary usable", "trials tab: first rows usable", "plots tab: parallel coordinates usable"];
  if (keys.some((k) => !big.samples[k])) return L.join("\n") + "\n";
  const worst = Math.max(...keys.map((k) => Math.max(...big.samples[k].cold)));
  const med = Math.max(...keys.map((k) => median(big.samples[k].cold)));
  L.push(`Acceptance (issue 10: page, trials table and parallel plot usable within 1.5 s of ` +
    `navigation at 10 000 trials), at ${big.n.toLocaleString("en-US")} trials, cold cache: the ` +
    `slowest of the three is usable after ${ms(med)} ms (median), ${ms(worst)} ms (max): ` +
    `${worst <= 1500 ? "holds" : med <= 1500 ? "holds at the median, not at the max" : "does not hold"}.`);
  return L.join("\n") + "\n";
}

// ---- main --------------------------------------------------------------------------------------
async function main() {
  const args = ["--disable-dev-shm-usage", "--disable-gpu"];
  if (process.getuid?.() === 0) args.push("--no-sandbox");
  browser = await withTimeout(
    chromium.launch({ executablePath: chromiumPath, headless: true, args, timeout: opt.timeoutMs }),
    opt.timeoutMs + 1000,
    "launching chromium",
  );
  const results = [];
  try {
    for (const n of opt.trials) results.push(await benchN(n));
  } finally {
    await withTimeout(browser.close(), 10_000, "closing chromium").catch(() => {});
  }
  const md = report(results, assetSizes());
  process.stdout.write("\n" + md);
  const out = opt.out ?? (opt.quick ? undefined : path.join(here, "results", `ui-${new Date().toISOString().slice(0, 10)}.md`));
  if (out) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, md);
    log(`wrote ${out}`);
  }
  const errs = results.flatMap((r) => r.errors);
  if (errs.length) {
    log(`the page reported errors: ${[...new Set(errs)].join("; ")}`);
    process.exitCode = 1;
  }
}

main().then(
  () => {
    cleanupSync();
    process.exit(process.exitCode ?? 0);
  },
  (e) => {
    log(e.stack ?? String(e));
    cleanupSync();
    process.exit(1);
  },
);
