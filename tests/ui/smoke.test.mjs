// The UI inside `ktune server`: the page loads in Chromium (nothing blocked by its CSP), deep
// links get the app, the hashed assets are served pre-compressed and cached for good, the
// API keeps answering JSON, and a token guards the API but not the page.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { exampleYaml, startUi } from "./harness.mjs";

// The files index.html references, in order.
function assetPaths(html) {
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
}

describe("without a token", () => {
  let ui;
  before(async () => {
    ui = await startUi();
  });
  after(async () => {
    await ui?.close();
  });

  test("/ loads the app with title ktune and no page errors", async () => {
    const page = await ui.newPage();
    const res = await page.goto(ui.url("/"));
    assert.equal(res.status(), 200);
    assert.match(await page.title(), /(^| · )ktune$/);
    // The app rendered: its header's brand link is there.
    await page.locator("header a", { hasText: "ktune" }).first().waitFor();
    const headers = res.headers();
    assert.equal(headers["cache-control"], "no-cache");
    assert.match(headers["content-security-policy"], /default-src 'self'/);
    assert.match(headers["content-security-policy"], /script-src 'self';/);
    // ECharts and CodeMirror set style attributes: styles may be inline, scripts never.
    assert.match(headers["content-security-policy"], /style-src 'self' 'unsafe-inline';/);
    assert.equal(headers["x-content-type-options"], "nosniff");
    assert.equal(headers["referrer-policy"], "no-referrer");
    assert.equal(headers["x-frame-options"], "DENY");
    await ui.screenshot(page, "smoke-home");
    ui.expectNoPageErrors(page);
    // Scripts run only from this origin: an injected inline script is blocked, and reported.
    await page.evaluate(() => {
      const s = document.createElement("script");
      s.textContent = "window.injected = true";
      document.head.appendChild(s);
    });
    assert.equal(await page.evaluate(() => window.injected), undefined);
    await ui.waitFor(() => page.ktuneErrors.some((e) => e.startsWith("CSP: script-src")), {
      what: "the CSP violation reported",
    });
  });

  test("client routes and deep links answer index.html", async () => {
    const page = await ui.newPage();
    for (const path of ["/new", "/experiments/default/x", "/experiments/default/x/trials/y"]) {
      const res = await page.goto(ui.url(path));
      assert.equal(res.status(), 200, path);
      assert.match(res.headers()["content-type"], /^text\/html/, path);
      assert.match(await page.title(), /(^| · )ktune$/, path);
      await page.locator("header a", { hasText: "ktune" }).first().waitFor();
    }
    await ui.screenshot(page, "smoke-deep-link");
    // Experiment x and trial y do not exist (the pages say so).
    ui.expectNoPageErrors(page, { allow: [/HTTP 404 GET \/apis\/.*\/(x|y)(\/|\?|$)/] });
    // Outside the client routes, only a navigation (Accept: text/html) gets the page.
    const html = await fetch(ui.url("/some/other/page"), { headers: { Accept: "text/html" } });
    assert.equal(html.status, 200);
    assert.match(await html.text(), /<title>ktune<\/title>/);
    const other = await fetch(ui.url("/some/other/page"), { headers: { Accept: "*/*" } });
    assert.equal(other.status, 404);
  });

  test("assets: gzip, immutable, content types, ETag and 304, HEAD, 404", async () => {
    const index = await (await fetch(ui.url("/"))).text();
    const assets = assetPaths(index);
    assert.ok(assets.some((p) => p.endsWith(".js")), `no script in index.html: ${index}`);
    for (const p of assets) {
      // fetch() sends Accept-Encoding: gzip, deflate and decodes the body itself.
      const res = await fetch(ui.url(p));
      assert.equal(res.status, 200, p);
      assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable", p);
      const type = p.endsWith(".js") ? /^text\/javascript/ : p.endsWith(".css") ? /^text\/css/ : /./;
      assert.match(res.headers.get("content-type"), type, p);
      const body = await res.text();
      assert.ok(body.length > 0, p);
      const etag = res.headers.get("etag");
      assert.match(etag, /^"[0-9a-f]{32}(-gzip)?"$/, p);
      if (body.length > 1000) {
        assert.equal(res.headers.get("content-encoding"), "gzip", p);
        assert.equal(res.headers.get("vary"), "Accept-Encoding", p);
        assert.ok(Number(res.headers.get("content-length")) < body.length, p);
        // Without gzip: the plain bytes, under their own ETag.
        const plain = await fetch(ui.url(p), { headers: { "Accept-Encoding": "identity" } });
        assert.equal(plain.headers.get("content-encoding"), null, p);
        assert.equal(Number(plain.headers.get("content-length")), Buffer.byteLength(body), p);
        assert.notEqual(plain.headers.get("etag"), etag, p);
        assert.equal(await plain.text(), body, p);
      }
      const again = await fetch(ui.url(p), { headers: { "If-None-Match": etag } });
      assert.equal(again.status, 304, p);
      const head = await fetch(ui.url(p), { method: "HEAD" });
      assert.equal(head.status, 200, p);
      assert.equal(head.headers.get("etag"), etag, p);
      assert.equal(await head.text(), "", p);
    }
    const missing = await fetch(ui.url("/assets/no-such-file.js"));
    assert.equal(missing.status, 404);
  });

  test("the API still answers JSON beside the UI", async () => {
    const yaml = exampleYaml("quickstart").replace(/name: [^\n]+/, "name: smoke");
    const created = await ui.createExperiment(yaml);
    assert.equal(created.metadata.name, "smoke");
    const list = await ui.api("GET", "/apis/kubeflow.org/v1beta1/namespaces/default/experiments", undefined, {
      headers: { Accept: "text/html,application/json" },
    });
    assert.equal(list.status, 200);
    assert.match(list.headers.get("content-type"), /^application\/json/);
    assert.equal(list.body.kind, "ExperimentList");
    assert.deepEqual(
      list.body.items.map((e) => e.metadata.name),
      ["smoke"],
    );
    // An unknown API path is the API's 404, not the page, even for a browser.
    const unknown = await fetch(ui.url("/apis/kubeflow.org/v1beta1/nothing"), {
      headers: { Accept: "text/html" },
    });
    assert.equal(unknown.status, 404);
    assert.doesNotMatch(await unknown.text(), /<html/);
    // The experiment's deep link loads the app.
    const page = await ui.newPage();
    const res = await page.goto(ui.url("/experiments/default/smoke"));
    assert.equal(res.status(), 200);
    await page.locator("header a", { hasText: "ktune" }).first().waitFor();
    await ui.screenshot(page, "smoke-experiment");
  });
});

describe("with --token-file", () => {
  let ui;
  before(async () => {
    ui = await startUi({ token: "smoke-secret-token" });
  });
  after(async () => {
    await ui?.close();
  });

  test("the page loads without the token, the API needs it", async () => {
    const page = await ui.newPage();
    const res = await page.goto(ui.url("/"));
    assert.equal(res.status(), 200);
    assert.match(await page.title(), /(^| · )ktune$/);
    for (const p of assetPaths(await res.text())) {
      assert.equal((await fetch(ui.url(p))).status, 200, p);
    }
    const anonymous = await fetch(ui.url("/apis/kubeflow.org/v1beta1/experiments"));
    assert.equal(anonymous.status, 401);
    const authorized = await ui.api("GET", "/apis/kubeflow.org/v1beta1/experiments");
    assert.equal(authorized.status, 200);
    assert.equal(authorized.body.kind, "ExperimentList");
  });
});
