// Synthetic TrialTables for the tests (deterministic: a seeded generator, no Math.random).
import type { ParameterSpec, TrialPhase, TrialRow, TrialTable } from "../api/types";

export const PARAMS: ParameterSpec[] = [
  {
    name: "lr",
    parameterType: "double",
    feasibleSpace: { min: "0.0001", max: "0.1", distribution: "logUniform" },
  },
  { name: "layers", parameterType: "int", feasibleSpace: { min: "1", max: "8" } },
  {
    name: "optimizer",
    parameterType: "categorical",
    feasibleSpace: { list: ["sgd", "adam", "ftrl"] },
  },
];

export function row(name: string, over: Partial<TrialRow> = {}): TrialRow {
  return {
    name,
    phase: "Succeeded",
    assignments: { lr: "0.01", layers: "2", optimizer: "adam" },
    metrics: {},
    ...over,
  };
}

export function table(trials: TrialRow[], over: Partial<TrialTable> = {}): TrialTable {
  return {
    kind: "TrialTable",
    apiVersion: "ktune.dev/v1",
    namespace: "default",
    experiment: "exp",
    resourceVersion: "100",
    complete: true,
    objective: { metric: "loss", type: "minimize" },
    metrics: ["loss", "accuracy"],
    parameters: PARAMS,
    trials,
    ...over,
  };
}

// n trials created one second apart from 2026-01-01, each running 60 s; phases cycle
// through `phases`; loss depends on the parameters so plots have structure.
export function generated(n: number, phases: TrialPhase[] = ["Succeeded"], seed = 1): TrialTable {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const t0 = Date.UTC(2026, 0, 1);
  const opts = ["sgd", "adam", "ftrl"];
  const trials: TrialRow[] = [];
  for (let i = 0; i < n; i++) {
    const lr = 10 ** (-4 + 3 * rand());
    const layers = 1 + Math.floor(rand() * 8);
    const optimizer = opts[Math.floor(rand() * 3)];
    const phase = phases[i % phases.length];
    const loss = Math.abs(Math.log10(lr) + 2.5) + 0.1 * layers + (optimizer === "adam" ? 0 : 0.3);
    const done = phase !== "Running" && phase !== "Created";
    const ok = phase === "Succeeded" || phase === "EarlyStopped";
    trials.push({
      name: `exp-${String(i).padStart(5, "0")}`,
      phase,
      assignments: { lr: String(lr), layers: String(layers), optimizer },
      metrics: ok
        ? { loss: { latest: loss, min: loss, max: loss + 1 }, accuracy: { latest: 1 - loss / 4 } }
        : {},
      objective: ok ? loss : undefined,
      createdAt: new Date(t0 + i * 1000).toISOString(),
      startTime: phase === "Created" ? undefined : new Date(t0 + i * 1000 + 500).toISOString(),
      completionTime: done ? new Date(t0 + i * 1000 + 60500).toISOString() : undefined,
    });
  }
  return table(trials);
}
