// The browser tests' harness: a real `ktune server` and headless Chromium, per test file.
//
//   import { test, before, after } from "node:test";
//   import { startUi } from "./harness.mjs";
//
//   let ui;
//   before(async () => { ui = await startUi(); });        // options below
//   after(async () => { await ui?.close(); });            // always: kills browser and server
//   test("list", async () => {
//     const page = await ui.newPage();                    // a fresh browser context + page
//     await page.goto(ui.url("/"));
//     await page.getByRole("heading", { name: "Experiments" }).waitFor();
//     await ui.screenshot(page, "list");                  // $KTUNE_UI_SCREENSHOTS/list.png
//   });
//
// startUi(options) -> Promise<Ui>. Options (all optional):
//   token: string         start the server with --token-file holding it
//   serverArgs: string[]  more `ktune server` flags
//   timeoutMs: number     bound of every wait in here (default 30 000)
// The server runs as `ktune server --port 0 --grpc-port -1 --db DIR/k.db --workdir DIR` in a
// fresh temporary DIR (removed by close), so files run in parallel. KTUNE_BINARY names the
// binary (ctest sets it); KTUNE_CHROMIUM the browser (default /usr/bin/chromium).
//
// Ui:
//   base                  "http://127.0.0.1:PORT"
//   url(path)             base + path
//   dir                   the server's temporary directory (also its --workdir)
//   token                 the token, or undefined
//   browser               playwright-core's Browser
//   newPage({width, height, colorScheme, headers}) -> Page   a page in a new context
//                         (1280x800, light, by default); its console errors, uncaught
//                         exceptions, CSP violations, failed requests (not those the page
//                         cancelled itself, net::ERR_ABORTED) and HTTP >= 400
//                         responses ("HTTP 422 POST /apis/...") collect in page.ktuneErrors
//                         (strings); ui.expectNoPageErrors(page, {allow: [RegExp]}) throws
//                         when any not allowed were seen (the browser's own /favicon.ico
//                         404 is always allowed)
//   screenshot(page, name, {fullPage}) -> path   saves NAME.png under KTUNE_UI_SCREENSHOTS
//                         (default: a ui-screenshots folder in the temporary directory)
//   api(method, path, body?, {headers, contentType}) -> {status, headers, body, text}
//                         a REST call (with the token when there is one); body: an object
//                         (sent as JSON) or a string (sent as YAML unless contentType says
//                         otherwise); `body` of the reply is the parsed JSON or undefined
//   createExperiment(yamlOrObject, namespace = "default") -> the created Experiment
//                         (throws unless 201)
//   waitFor(predicate, {timeoutMs, intervalMs, what}) -> its truthy result; polls an async
//                         predicate, throws `what` on timeout (for state through the API;
//                         in a page use playwright's own waits)
//   waitForExperiment(name, condition = "Succeeded", namespace = "default") -> Experiment
//                         once its status has that condition True
//   serverOutput()        what the server printed so far (stdout + stderr), for messages
//   close()               closes the browser, SIGTERMs the server (SIGKILL after 10 s),
//                         removes the directory; safe to call twice
//
// Examples' YAMLs: exampleYaml("quickstart") reads examples/quickstart/experiment.yaml.
// setEditorText(page, text) replaces the text of the Create page's YAML editor (as pasted).

import { spawn } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const sourceDir = path.resolve(here, "../..");
const uiDir = process.env.KTUNE_UI_DIR ?? path.join(sourceDir, "ui");
// playwright-core lives in ui/node_modules, not beside these files.
const { chromium } = createRequire(path.join(uiDir, "package.json"))("playwright-core");

export function exampleYaml(name) {
  return fs.readFileSync(path.join(sourceDir, "examples", name, "experiment.yaml"), "utf8");
}

// Replaces the text of the Create page's YAML editor, as a person pasting it would.
export async function setEditorText(page, text) {
  const content = page.locator("[data-testid=yaml-editor] .cm-content");
  await content.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text);
}

function deadline(ms, what) {
  let timer;
  const promise = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

async function withTimeout(promise, ms, what) {
  const d = deadline(ms, what);
  try {
    return await Promise.race([promise, d.promise]);
  } finally {
    d.cancel();
  }
}

// Starts the server and resolves with its base URL once the listening line is printed.
async function startServer(binary, args, dir, timeoutMs) {
  const child = spawn(binary, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (s) => (err += s));
  const exited = once(child, "exit");
  // Even when this process dies first (a ctest timeout): no server outlives the test.
  const reap = () => child.kill("SIGKILL");
  process.once("exit", reap);
  exited.then(() => process.removeListener("exit", reap));
  const listening = new Promise((resolve, reject) => {
    child.stdout.on("data", (s) => {
      out += s;
      const m = /ktune server: listening on (https?:\/\/[^\s:]+:(\d+))/.exec(out);
      if (m) resolve(m[1]);
    });
    exited.then(([code, signal]) =>
      reject(new Error(`ktune server exited (${code ?? signal}) before listening:\n${out}${err}`)),
    );
    child.on("error", reject);
  });
  const base = await withTimeout(listening, timeoutMs, "ktune server's listening line").catch(
    (e) => {
      child.kill("SIGKILL");
      throw e;
    },
  );
  return { child, base, exited, output: () => out + err };
}

export async function startUi(options = {}) {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const binary = process.env.KTUNE_BINARY ?? path.join(sourceDir, "build/bin/ktune");
  if (!fs.existsSync(binary)) throw new Error(`no ktune binary at ${binary} (set KTUNE_BINARY)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ktune-ui-"));
  const shots = process.env.KTUNE_UI_SCREENSHOTS ?? path.join(dir, "ui-screenshots");
  const args = ["server", "--port", "0", "--grpc-port", "-1", "--db", path.join(dir, "k.db")];
  args.push("--workdir", dir, "--log-level", "warn");
  if (options.token) {
    fs.writeFileSync(path.join(dir, "token"), options.token + "\n", { mode: 0o600 });
    args.push("--token-file", path.join(dir, "token"));
  }
  args.push(...(options.serverArgs ?? []));

  const ui = {
    dir,
    token: options.token,
    browser: undefined,
    server: undefined,
    closed: false,
  };
  const pages = [];
  ui.close = async () => {
    if (ui.closed) return;
    ui.closed = true;
    if (ui.browser) await withTimeout(ui.browser.close(), 10_000, "closing chromium").catch(() => {});
    if (ui.server && ui.server.child.exitCode === null && ui.server.child.signalCode === null) {
      ui.server.child.kill("SIGTERM");
      await withTimeout(ui.server.exited, 10_000, "ktune server's exit").catch(() => {
        ui.server.child.kill("SIGKILL");
      });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    ui.server = await startServer(binary, args, dir, timeoutMs);
    ui.base = ui.server.base;
    ui.serverOutput = ui.server.output;
    ui.url = (p = "/") => ui.base + p;

    ui.api = async (method, p, body, opts = {}) => {
      const headers = { Accept: "application/json", ...(opts.headers ?? {}) };
      if (ui.token && !("Authorization" in headers)) headers.Authorization = `Bearer ${ui.token}`;
      let payload;
      if (body !== undefined) {
        payload = typeof body === "string" ? body : JSON.stringify(body);
        headers["Content-Type"] =
          opts.contentType ?? (typeof body === "string" ? "application/yaml" : "application/json");
      }
      const res = await fetch(ui.url(p), {
        method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      let parsed;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: res.headers, body: parsed, text };
    };

    ui.waitFor = async (predicate, o = {}) => {
      const end = Date.now() + (o.timeoutMs ?? timeoutMs);
      const interval = o.intervalMs ?? 100;
      let last;
      while (Date.now() < end) {
        last = await predicate();
        if (last) return last;
        await new Promise((r) => setTimeout(r, interval));
      }
      throw new Error(`timed out after ${o.timeoutMs ?? timeoutMs} ms: ${o.what ?? "waitFor"}`);
    };

    ui.createExperiment = async (spec, ns = "default") => {
      const r = await ui.api("POST", `/apis/kubeflow.org/v1beta1/namespaces/${ns}/experiments`, spec);
      if (r.status !== 201) throw new Error(`creating an experiment: HTTP ${r.status}: ${r.text}`);
      return r.body;
    };

    ui.waitForExperiment = (name, condition = "Succeeded", ns = "default", o = {}) =>
      ui.waitFor(
        async () => {
          const r = await ui.api("GET", `/apis/kubeflow.org/v1beta1/namespaces/${ns}/experiments/${name}`);
          const conds = r.body?.status?.conditions ?? [];
          return conds.some((c) => c.type === condition && c.status === "True") ? r.body : undefined;
        },
        { what: `experiment ${ns}/${name} ${condition}`, ...o },
      );

    // Ready before any page loads.
    await ui.waitFor(
      async () => (await fetch(ui.url("/readyz")).catch(() => undefined))?.status === 200,
      { what: "/readyz" },
    );

    const executablePath = process.env.KTUNE_CHROMIUM ?? "/usr/bin/chromium";
    const chromiumArgs = ["--disable-dev-shm-usage", "--disable-gpu"];
    if (process.getuid?.() === 0) chromiumArgs.push("--no-sandbox");
    ui.browser = await withTimeout(
      chromium.launch({ executablePath, headless: true, args: chromiumArgs, timeout: timeoutMs }),
      timeoutMs + 1000,
      "launching chromium",
    );

    ui.newPage = async (o = {}) => {
      const context = await ui.browser.newContext({
        viewport: { width: o.width ?? 1280, height: o.height ?? 800 },
        colorScheme: o.colorScheme ?? "light",
        extraHTTPHeaders: o.headers,
      });
      context.setDefaultTimeout(timeoutMs);
      const page = await context.newPage();
      page.ktuneErrors = [];
      page.on("console", (m) => {
        // A failed load is reported below with its URL.
        if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
          page.ktuneErrors.push(`console: ${m.text()}`);
        }
      });
      page.on("response", (r) => {
        if (r.status() >= 400) {
          const u = new URL(r.url());
          page.ktuneErrors.push(`HTTP ${r.status()} ${r.request().method()} ${u.pathname}${u.search}`);
        }
      });
      page.on("requestfailed", (r) => {
        const why = r.failure()?.errorText ?? "";
        // The page itself cancelled it (it navigated away, or a stream was closed): not an error.
        if (why === "net::ERR_ABORTED") return;
        page.ktuneErrors.push(`request failed: ${r.method()} ${r.url()}: ${why}`);
      });
      page.on("pageerror", (e) => page.ktuneErrors.push(`page error: ${e.message}`));
      // CSP violations as they happen (the console message says the same, this also catches
      // report-only and inline-style ones).
      await page.exposeBinding("__ktuneCspViolation", (_source, text) =>
        page.ktuneErrors.push(`CSP: ${text}`),
      );
      await page.addInitScript(() => {
        document.addEventListener("securitypolicyviolation", (e) => {
          // eslint-disable-next-line no-undef
          window.__ktuneCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
        });
      });
      pages.push(page);
      return page;
    };

    ui.expectNoPageErrors = (page, o = {}) => {
      const allow = [/^HTTP 404 GET \/favicon\.ico$/, ...(o.allow ?? [])];
      const errors = page.ktuneErrors.filter((e) => !allow.some((re) => re.test(e)));
      if (errors.length > 0) {
        throw new Error(`the page reported errors:\n${errors.join("\n")}`);
      }
    };

    ui.screenshot = async (page, name, o = {}) => {
      fs.mkdirSync(shots, { recursive: true });
      const file = path.join(shots, `${name}.png`);
      await page.screenshot({ path: file, fullPage: o.fullPage ?? false });
      return file;
    };
    return ui;
  } catch (e) {
    await ui.close();
    throw e;
  }
}
