// The UI against `ktune server --token-file`: the page asks for the token on the first 401,
// a wrong one is refused with the reason, the right one shows the data and the event stream
// (a fetch-based SSE reader sending Authorization) delivers changes live; the token lasts
// for the tab (sessionStorage) or, when "remember" is checked, for the browser (localStorage);
// "Sign out" forgets it; the experiment page and the trial log load with it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { exampleYaml, startUi } from "./harness.mjs";

const TOKEN = "ui-token-test-secret";
// Refused calls before the token is entered (Chromium logs each failed load, the harness
// records each 401), and requests a reload cuts short (the event stream always is one).
const ALLOW_401 = [
  /HTTP 401 /,
  /console: Failed to load resource: .*401/,
  /request failed: GET .*net::ERR_ABORTED$/,
];

let ui;
before(async () => {
  ui = await startUi({ token: TOKEN });
  await ui.createExperiment(experimentYaml("before-token"));
});
after(async () => {
  await ui?.close();
});

// A small experiment: one trial at a time, two in all (both may fail).
function experimentYaml(name) {
  return exampleYaml("quickstart")
    .replace("name: quickstart", `name: ${name}`)
    .replace(/maxTrialCount: \d+/, "maxTrialCount: 2")
    .replace(/parallelTrialCount: \d+/, "parallelTrialCount: 1")
    .replace(/maxFailedTrialCount: \d+/, "maxFailedTrialCount: 1");
}

function prompt(page) {
  return page.getByRole("dialog", { name: "This server needs a token" });
}

async function enterToken(page, token, { remember = false } = {}) {
  const dialog = prompt(page);
  await dialog.getByLabel("Token", { exact: true }).fill(token);
  if (remember) await dialog.getByLabel("Remember on this device").check();
  await dialog.getByRole("button", { name: "Sign in" }).click();
}

async function expectListed(page, name) {
  await page.getByRole("link", { name, exact: true }).first().waitFor();
}

// The 401's error banner goes once the data came with the token.
async function expectNoErrorBanner(page) {
  await page.waitForFunction(() => !document.querySelector("[data-testid=error-banner]"));
}

async function expectLive(page) {
  await page.locator('[data-testid=live-indicator][data-connected="true"]').waitFor();
}

test("the list asks for the token, refuses a wrong one, shows data live with the right one", async () => {
  const page = await ui.newPage();
  await page.goto(ui.url("/"));
  const dialog = prompt(page);
  await dialog.waitFor();
  // The input has focus and explains where the token comes from.
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("type")), "password");
  assert.match(await dialog.textContent(), /ktune server --token-file/);
  await ui.screenshot(page, "token-prompt");

  // Escape leaves the page with its 401; the top bar offers the prompt again.
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  await page.getByTestId("error-banner").filter({ hasText: "401" }).first().waitFor();
  await page.getByRole("button", { name: "Enter token" }).click();
  await dialog.waitFor();

  await enterToken(page, "not-the-token");
  await dialog.getByRole("alert").filter({ hasText: "The server refused this token" }).waitFor();
  await ui.screenshot(page, "token-refused");
  assert.equal(await dialog.isVisible(), true);

  await enterToken(page, TOKEN);
  await dialog.waitFor({ state: "hidden" });
  await page.getByRole("heading", { name: "Experiments" }).waitFor();
  await expectListed(page, "before-token");
  await expectNoErrorBanner(page);
  await expectLive(page);

  // A new experiment appears without a reload: the event stream carries the token.
  const navigations = [];
  page.on("framenavigated", (f) => f === page.mainFrame() && navigations.push(f.url()));
  await ui.createExperiment(experimentYaml("after-token"));
  await expectListed(page, "after-token");
  assert.deepEqual(navigations, []);
  await ui.screenshot(page, "token-list");

  // Not remembered: a reload of this tab keeps it (sessionStorage), a new context asks again.
  await page.reload();
  await expectListed(page, "after-token");
  assert.equal(await prompt(page).count(), 0);
  assert.equal(await page.evaluate(() => localStorage.getItem("ktune.token")), null);
  const other = await ui.newPage();
  await other.goto(ui.url("/"));
  await prompt(other).waitFor();
  ui.expectNoPageErrors(page, { allow: ALLOW_401 });
  ui.expectNoPageErrors(other, { allow: ALLOW_401 });
});

test("a remembered token lasts across reloads and tabs until Sign out", async () => {
  const page = await ui.newPage();
  await page.goto(ui.url("/"));
  await prompt(page).waitFor();
  await enterToken(page, TOKEN, { remember: true });
  await prompt(page).waitFor({ state: "hidden" });
  await expectListed(page, "before-token");

  await page.reload();
  await expectListed(page, "before-token");
  await expectLive(page);
  assert.equal(await prompt(page).count(), 0);
  // Another tab of the same browser profile.
  const tab = await page.context().newPage();
  await tab.goto(ui.url("/"));
  await tab.getByRole("link", { name: "before-token", exact: true }).first().waitFor();
  assert.equal(await prompt(tab).count(), 0);
  await tab.close();

  // Sign out forgets it: the page asks again, and so does a reload.
  await page.getByRole("button", { name: "Sign out" }).click();
  await prompt(page).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem("ktune.token")), null);
  await page.reload();
  await prompt(page).waitFor();
  ui.expectNoPageErrors(page, { allow: ALLOW_401 });
});

test("the experiment page loads once the token is entered", async () => {
  const page = await ui.newPage();
  await page.goto(ui.url("/experiments/default/before-token"));
  await prompt(page).waitFor();
  await enterToken(page, TOKEN);
  await prompt(page).waitFor({ state: "hidden" });
  await page.getByRole("heading", { level: 1, name: "before-token" }).waitFor();
  await expectLive(page);
  await expectNoErrorBanner(page);
  ui.expectNoPageErrors(page, { allow: ALLOW_401 });
});

test("a trial's log is read with the token", async () => {
  const exp = await ui.waitFor(
    async () => {
      const r = await ui.api("GET", "/apis/kubeflow.org/v1beta1/namespaces/default/trials");
      return r.body?.items?.find(
        (t) =>
          t.metadata.labels?.["katib.kubeflow.org/experiment"] === "before-token" &&
          t.status?.conditions?.some(
            (c) => ["Succeeded", "Failed"].includes(c.type) && c.status === "True",
          ),
      );
    },
    { what: "a finished trial of before-token", timeoutMs: 120_000 },
  );
  const page = await ui.newPage();
  await page.goto(ui.url(`/experiments/default/before-token/trials/${exp.metadata.name}`));
  await prompt(page).waitFor();
  await enterToken(page, TOKEN);
  await prompt(page).waitFor({ state: "hidden" });
  const log = page.getByTestId("trial-log");
  await page.waitForFunction(
    () => (document.querySelector("[data-testid=trial-log]")?.textContent ?? "").length > 0,
  );
  assert.ok((await log.textContent()).length > 0);
  assert.equal(await page.getByText("The log could not be read").count(), 0);
  ui.expectNoPageErrors(page, { allow: ALLOW_401 });
});
