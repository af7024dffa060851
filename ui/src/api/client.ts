// Calls to `ktune server`'s API from the page's own origin. Every failure becomes an
// ApiError carrying the server's message and, for 422s, the field causes. Every request goes
// through apiFetch, which adds the bearer token (auth.ts) and reports a 401.
import { authHeaders, currentToken, noteUnauthorized } from "./auth";
import type {
  Experiment,
  IntermediateValues,
  KubeStatus,
  List,
  ObservationLog,
  ParameterImportance,
  StatusCause,
  Trial,
  TrialTable,
  ValidationResult,
} from "./types";

export const KATIB = "/apis/kubeflow.org/v1beta1";
export const KTUNE = "/apis/ktune.dev/v1";

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly causes: StatusCause[];
  constructor(code: number, message: string, reason = "", causes: StatusCause[] = []) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.reason = reason;
    this.causes = causes;
  }
}

// fetch() with the token's Authorization header; a 401 tells auth.ts the server wants a token
// (or refused this one). Streams (the event stream, a followed log) use it directly.
export async function apiFetch(path: string, init?: RequestInit): Promise<Response> {
  const token = currentToken();
  const headers = new Headers(init?.headers);
  for (const [k, v] of Object.entries(authHeaders())) headers.set(k, v);
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401) noteUnauthorized(token);
  return res;
}

async function request<T>(path: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await apiFetch(path, {
      ...init,
      headers: { Accept: "application/json", ...init?.headers },
    });
  } catch (e) {
    throw new ApiError(0, `cannot reach the server: ${(e as Error).message}`);
  }
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const s = body as KubeStatus | undefined;
    if (s && s.kind === "Status") {
      throw new ApiError(res.status, s.message ?? res.statusText, s.reason ?? "", s.details?.causes ?? []);
    }
    throw new ApiError(res.status, text || res.statusText);
  }
  return body as T;
}

const enc = encodeURIComponent;

export function experimentsPath(ns?: string): string {
  return ns ? `${KATIB}/namespaces/${enc(ns)}/experiments` : `${KATIB}/experiments`;
}

export const api = {
  listExperiments: (ns?: string) => request<List<Experiment>>(experimentsPath(ns)),
  getExperiment: (ns: string, name: string) =>
    request<Experiment>(`${experimentsPath(ns)}/${enc(name)}`),
  createExperiment: (ns: string, body: string, contentType = "application/yaml") =>
    request<Experiment>(experimentsPath(ns), {
      method: "POST",
      body,
      headers: { "Content-Type": contentType },
    }),
  deleteExperiment: (ns: string, name: string) =>
    request<KubeStatus>(`${experimentsPath(ns)}/${enc(name)}`, { method: "DELETE" }),
  // Ends the experiment now: no new trials, running ones are killed; it Succeeds with reason
  // ExperimentStopped.
  stopExperiment: (ns: string, name: string) =>
    request<Experiment>(`${KTUNE}/namespaces/${enc(ns)}/experiments/${enc(name)}/stop`, {
      method: "POST",
    }),
  listTrials: (ns: string, experiment: string) =>
    request<List<Trial>>(
      `${KATIB}/namespaces/${enc(ns)}/trials?labelSelector=${enc(`katib.kubeflow.org/experiment=${experiment}`)}`,
    ),
  getTrial: (ns: string, name: string) =>
    request<Trial>(`${KATIB}/namespaces/${enc(ns)}/trials/${enc(name)}`),
  trialTable: (ns: string, experiment: string, since?: string) =>
    request<TrialTable>(
      `${KTUNE}/namespaces/${enc(ns)}/experiments/${enc(experiment)}/trialtable` +
        (since ? `?since=${enc(since)}` : ""),
    ),
  intermediate: (ns: string, experiment: string, metric: string) =>
    request<IntermediateValues>(
      `${KTUNE}/namespaces/${enc(ns)}/experiments/${enc(experiment)}/intermediate?metric=${enc(metric)}`,
    ),
  importance: (ns: string, experiment: string) =>
    request<ParameterImportance>(
      `${KTUNE}/namespaces/${enc(ns)}/experiments/${enc(experiment)}/importance`,
    ),
  observations: (ns: string, trial: string) =>
    request<ObservationLog>(`${KTUNE}/namespaces/${enc(ns)}/trials/${enc(trial)}/observations`),
  validate: (ns: string, yamlText: string) =>
    request<ValidationResult>(`${KTUNE}/namespaces/${enc(ns)}/validate`, {
      method: "POST",
      body: yamlText,
      headers: { "Content-Type": "application/yaml" },
    }),
  namespaces: () => request<List<{ metadata: { name: string } }>>("/api/v1/namespaces"),
};

// Whether the server accepts `token` (asked before the prompt takes it): true, false on a 401,
// or an ApiError when the server could not answer.
export async function tokenAccepted(token: string): Promise<boolean> {
  let res: Response;
  try {
    res = await fetch("/api/v1/namespaces", {
      headers: { Accept: "application/json", Authorization: `Bearer ${token}` },
    });
  } catch (e) {
    throw new ApiError(0, `cannot reach the server: ${(e as Error).message}`);
  }
  if (res.status === 401) return false;
  if (!res.ok) throw new ApiError(res.status, (await res.text()) || res.statusText);
  return true;
}

// The URL of a trial's log: plain, or streaming while it grows (`follow`).
export function trialLogUrl(ns: string, trial: string, follow: boolean): string {
  return `${KTUNE}/namespaces/${enc(ns)}/trials/${enc(trial)}/log${follow ? "?follow=true" : ""}`;
}
