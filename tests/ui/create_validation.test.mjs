// The create page validates as you type: a YAML with three mistakes shows all three, each at
// its own line and field path with Katib's message, before anything is submitted; fixing
// them clears the list and the experiment can be submitted.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { exampleYaml, setEditorText, startUi } from "./harness.mjs";

let ui;
before(async () => {
  ui = await startUi();
});
after(async () => {
  await ui?.close();
});

// The 1-based line of the first line of `text` that contains `needle`.
function lineOf(text, needle) {
  const i = text.split("\n").findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `"${needle}" is in the YAML`);
  return i + 1;
}

test("three mistakes are shown at their lines with Katib's messages, before submit", async () => {
  const good = exampleYaml("quickstart").replace("name: quickstart", "name: three-mistakes");
  const bad = good
    .replace("algorithmName: random", "algorithmName: nosuchalgo")
    .replace("maxFailedTrialCount: 3", "maxFailedTrialCount: 30")
    .replace('min: "0.5"\n        max: "0.99"', 'min: "0.99"\n        max: "0.5"');
  assert.notEqual(bad, good);
  const expected = [
    {
      field: "spec.algorithm.algorithmName",
      line: lineOf(bad, "algorithmName: nosuchalgo"),
      message: /unable to get Suggestion config data for algorithm nosuchalgo/,
    },
    {
      field: "spec.maxFailedTrialCount",
      line: lineOf(bad, "maxFailedTrialCount: 30"),
      message: /should be less than or equal to spec\.maxTrialCount/,
    },
    {
      field: "spec.parameters[1].feasibleSpace.min",
      line: lineOf(bad, 'min: "0.99"'),
      message: /must be less than or equal to feasibleSpace\.max/,
    },
  ];

  const page = await ui.newPage();
  const posts = [];
  page.on("request", (r) => {
    if (r.method() === "POST" && /\/experiments(\?|$)/.test(new URL(r.url()).pathname)) {
      posts.push(r.url());
    }
  });
  await page.goto(ui.url("/new"));
  await page.locator("[data-testid=yaml-editor] .cm-content").waitFor();
  await setEditorText(page, bad);

  const findings = page.locator("[data-testid=finding]");
  await page.waitForFunction(
    () => document.querySelectorAll("[data-testid=finding]").length === 3,
    null,
    { timeout: 45000 },
  );
  const shown = [];
  for (let i = 0; i < (await findings.count()); ++i) {
    const f = findings.nth(i);
    shown.push({
      field: await f.getAttribute("data-field"),
      line: Number(await f.getAttribute("data-line")),
      text: await f.innerText(),
    });
  }
  for (const want of expected) {
    const got = shown.find((s) => s.field === want.field);
    assert.ok(got, `a finding for ${want.field} in ${JSON.stringify(shown)}`);
    assert.equal(got.line, want.line, `${want.field} is marked at line ${want.line}`);
    assert.match(got.text, want.message);
    assert.match(got.text, new RegExp(`line ${want.line}\\b`));
  }
  // The editor marks them too: three error ranges, and a lint marker in the gutter of each
  // line (CodeMirror renders only the lines in view; the quickstart fits).
  assert.equal(await page.locator(".cm-lintRange-error").count(), 3);
  // A finding is a button that moves the editor to its line.
  await findings.first().locator("button").click();
  await page.locator(".cm-activeLine", { hasText: "nosuchalgo" }).waitFor();
  await ui.screenshot(page, "create-three-mistakes", { fullPage: true });
  assert.deepEqual(posts, [], "nothing was submitted");
  const list = await ui.api("GET", "/apis/kubeflow.org/v1beta1/namespaces/default/experiments");
  assert.equal(list.body.items.length, 0);

  // Fixed, the problems go away.
  await setEditorText(page, good);
  await page.waitForFunction(
    () => document.querySelectorAll("[data-testid=finding]").length === 0,
    null,
    { timeout: 45000 },
  );
  assert.equal(await page.locator(".cm-lintRange-error").count(), 0);
  ui.expectNoPageErrors(page);
});
