import { describe, expect, it } from "vitest";
import { buildModel, mergeTrialTable } from "./trialTable";
import { row, table } from "./fixtures";

describe("mergeTrialTable", () => {
  it("replaces changed rows in place, appends new ones and drops deleted ones", () => {
    const prev = table([row("a", { phase: "Running" }), row("b"), row("c")], {
      resourceVersion: "10",
    });
    const update = table(
      [row("d", { phase: "Created" }), row("a", { phase: "Succeeded", objective: 0.5 })],
      {
        complete: false,
        resourceVersion: "12",
        deleted: ["b"],
        bestTrialName: "a",
      },
    );
    const merged = mergeTrialTable(prev, update);
    expect(merged.trials.map((t) => t.name)).toEqual(["a", "c", "d"]);
    expect(merged.trials[0]).toMatchObject({ phase: "Succeeded", objective: 0.5 });
    expect(merged.resourceVersion).toBe("12");
    expect(merged.bestTrialName).toBe("a");
    expect(merged.complete).toBe(true);
    expect(merged.deleted).toBeUndefined();
    // the previous table is not modified
    expect(prev.trials.map((t) => t.name)).toEqual(["a", "b", "c"]);
  });

  it("a complete table replaces everything", () => {
    const prev = table([row("a"), row("b")]);
    const merged = mergeTrialTable(prev, table([row("z")]));
    expect(merged.trials.map((t) => t.name)).toEqual(["z"]);
  });

  it("an empty since-update keeps the rows and takes the new resourceVersion", () => {
    const prev = table([row("a"), row("b")], { resourceVersion: "5" });
    const merged = mergeTrialTable(prev, table([], { complete: false, resourceVersion: "9" }));
    expect(merged.trials.map((t) => t.name)).toEqual(["a", "b"]);
    expect(merged.resourceVersion).toBe("9");
  });

  it("a trial added and deleted within one update does not appear", () => {
    const merged = mergeTrialTable(
      table([row("a")]),
      table([row("x")], { complete: false, deleted: ["x"] }),
    );
    expect(merged.trials.map((t) => t.name)).toEqual(["a"]);
  });
});

describe("buildModel", () => {
  it("numbers trials in creation order and maps categories to their index in the spec", () => {
    const m = buildModel(
      table([
        row("late", {
          createdAt: "2026-01-01T00:00:05Z",
          assignments: { lr: "0.1", layers: "3", optimizer: "ftrl" },
        }),
        row("early", {
          createdAt: "2026-01-01T00:00:01Z",
          assignments: { lr: "0.2", layers: "1", optimizer: "rmsprop" },
        }),
      ]),
    );
    expect(m.rows.map((r) => [r.name, r.number])).toEqual([
      ["early", 1],
      ["late", 2],
    ]);
    expect(m.params.map((p) => p.kind)).toEqual(["log", "number", "category"]);
    expect(m.rows[1].values).toEqual([0.1, 3, 2]);
    // a value the spec lacks is appended to the categories
    expect(m.params[2].categories).toEqual(["sgd", "adam", "ftrl", "rmsprop"]);
    expect(m.rows[0].values[2]).toBe(3);
  });
});
