import { describe, expect, it } from "vitest";
import {
  durationBetween,
  experimentPhase,
  formatAge,
  formatDuration,
  formatNumber,
  formatTime,
  phaseTone,
  trialPhase,
} from "./format";
import type { Condition } from "./api/types";

const cond = (type: string, status = "True"): Condition => ({ type, status });

describe("formatNumber", () => {
  it("formats numbers and numeric strings alike", () => {
    expect(formatNumber(0.123456789)).toBe(formatNumber("0.123456789"));
    expect(formatNumber(0.123456789)).toBe(new Intl.NumberFormat(undefined, { maximumSignificantDigits: 6 }).format(0.123457));
  });
  it("uses scientific notation for tiny and huge magnitudes", () => {
    expect(formatNumber(1.5e-7)).toMatch(/E-7$/);
    expect(formatNumber(2.5e12)).toMatch(/E12$/);
    expect(formatNumber(0)).toBe("0");
  });
  it("shows absent values as a dash and non-numbers as given", () => {
    expect(formatNumber(undefined)).toBe("–");
    expect(formatNumber("")).toBe("–");
    expect(formatNumber("n/a")).toBe("n/a");
  });
});

describe("formatDuration", () => {
  it("picks units by magnitude", () => {
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(4200)).toBe("4.2 s");
    expect(formatDuration(42_000)).toBe("42 s");
    expect(formatDuration(185_000)).toBe("3 m 05 s");
    expect(formatDuration(2 * 3600_000 + 7 * 60_000)).toBe("2 h 07 m");
    expect(formatDuration(3 * 86400_000 + 4 * 3600_000)).toBe("3 d 4 h");
    expect(formatDuration(undefined)).toBe("–");
  });
  it("measures between two times", () => {
    expect(durationBetween("2026-01-01T00:00:00Z", "2026-01-01T00:01:30Z")).toBe(90_000);
    expect(durationBetween("2026-01-01T00:00:00Z", undefined, Date.parse("2026-01-01T00:00:05Z"))).toBe(5000);
    expect(durationBetween(undefined)).toBeUndefined();
  });
});

describe("times", () => {
  it("formats absolute times in the local zone", () => {
    const iso = "2026-03-04T05:06:07Z";
    expect(formatTime(iso)).toBe(
      new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" }).format(Date.parse(iso)),
    );
    expect(formatTime("not a time")).toBe("–");
  });
  it("formats ages like kubectl", () => {
    const now = Date.parse("2026-01-10T00:00:00Z");
    expect(formatAge("2026-01-09T23:59:15Z", now)).toBe("45s");
    expect(formatAge("2026-01-09T23:50:00Z", now)).toBe("10m");
    expect(formatAge("2026-01-09T20:00:00Z", now)).toBe("4h");
    expect(formatAge("2026-01-05T00:00:00Z", now)).toBe("5d");
  });
});

describe("phases", () => {
  it("derives an experiment's phase, terminal conditions first", () => {
    expect(experimentPhase({ status: { conditions: [cond("Created"), cond("Running")] } })).toBe("Running");
    expect(
      experimentPhase({ status: { conditions: [cond("Created"), cond("Running", "False"), cond("Succeeded")] } }),
    ).toBe("Succeeded");
    expect(experimentPhase({ status: { conditions: [cond("Created"), cond("Failed")] } })).toBe("Failed");
    expect(experimentPhase({})).toBe("Unknown");
  });
  it("derives a trial's phase", () => {
    expect(trialPhase([cond("Created")])).toBe("Created");
    expect(trialPhase([cond("Created"), cond("Running")])).toBe("Running");
    expect(trialPhase([cond("Created"), cond("Running", "False"), cond("Succeeded")])).toBe("Succeeded");
    expect(trialPhase([cond("Created"), cond("Succeeded"), cond("EarlyStopped")])).toBe("EarlyStopped");
    expect(trialPhase([cond("Created"), cond("Killed")])).toBe("Killed");
    expect(trialPhase(undefined)).toBe("Created");
  });
  it("gives each phase a tone", () => {
    expect(phaseTone("Succeeded")).toBe("ok");
    expect(phaseTone("Failed")).toBe("bad");
    expect(phaseTone("Running")).toBe("run");
  });
});
