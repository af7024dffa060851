import { describe, expect, it } from "vitest";
import { logMode } from "./TrialLog";

describe("logMode", () => {
  it("waits for a trial to start, follows it while it runs, reads it once when it has ended", () => {
    expect(logMode(undefined)).toBe("wait");
    expect(logMode("Created")).toBe("wait");
    expect(logMode("Running")).toBe("follow");
    for (const p of ["Succeeded", "Failed", "Killed", "EarlyStopped", "MetricsUnavailable"] as const) {
      expect(logMode(p)).toBe("done");
    }
  });
});
