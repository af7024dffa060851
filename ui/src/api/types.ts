// The shapes the UI reads from `ktune server`. Katib's objects (kubeflow.org/v1beta1) are
// typed only as far as the UI reads them; ktune.dev/v1 documents are ktune's own.

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Condition {
  type: string;
  status: string; // "True" | "False" | "Unknown"
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface FeasibleSpace {
  min?: string;
  max?: string;
  step?: string;
  list?: string[];
  distribution?: string; // uniform | logUniform | normal | logNormal
}

export interface ParameterSpec {
  name: string;
  parameterType: "double" | "int" | "discrete" | "categorical" | string;
  feasibleSpace: FeasibleSpace;
}

export interface ObjectiveSpec {
  type: "minimize" | "maximize" | string;
  goal?: number;
  objectiveMetricName: string;
  additionalMetricNames?: string[];
  metricStrategies?: { name: string; value: string }[];
}

export interface ExperimentSpec {
  parameters?: ParameterSpec[];
  objective?: ObjectiveSpec;
  algorithm?: { algorithmName: string; algorithmSettings?: { name: string; value: string }[] };
  earlyStopping?: { algorithmName: string; algorithmSettings?: { name: string; value: string }[] };
  parallelTrialCount?: number;
  maxTrialCount?: number;
  maxFailedTrialCount?: number;
  resumePolicy?: string;
  metricsCollectorSpec?: { collector?: { kind?: string } };
  trialTemplate?: unknown;
  [key: string]: unknown;
}

export interface Metric {
  name: string;
  min?: string;
  max?: string;
  latest?: string;
}

export interface Observation {
  metrics?: Metric[];
}

export interface ParameterAssignment {
  name: string;
  value: string;
}

export interface OptimalTrial {
  bestTrialName?: string;
  parameterAssignments?: ParameterAssignment[];
  observation?: Observation;
}

export interface ExperimentStatus {
  startTime?: string;
  completionTime?: string;
  lastReconcileTime?: string;
  conditions?: Condition[];
  currentOptimalTrial?: OptimalTrial;
  trials?: number;
  trialsSucceeded?: number;
  trialsFailed?: number;
  trialsKilled?: number;
  trialsPending?: number;
  trialsRunning?: number;
  trialsEarlyStopped?: number;
  trialMetricsUnavailable?: number;
  succeededTrialList?: string[];
  failedTrialList?: string[];
  runningTrialList?: string[];
  [key: string]: unknown;
}

export interface Experiment {
  apiVersion: string;
  kind: "Experiment";
  metadata: ObjectMeta;
  spec: ExperimentSpec;
  status?: ExperimentStatus;
}

export interface TrialSpec {
  objective?: ObjectiveSpec;
  parameterAssignments?: ParameterAssignment[];
  [key: string]: unknown;
}

export interface TrialStatus {
  startTime?: string;
  completionTime?: string;
  conditions?: Condition[];
  observation?: Observation;
}

export interface Trial {
  apiVersion: string;
  kind: "Trial";
  metadata: ObjectMeta;
  spec: TrialSpec;
  status?: TrialStatus;
}

export interface List<T> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

// A Kubernetes Status (every error reply of the API).
export interface StatusCause {
  field?: string;
  message?: string;
  reason?: string;
}

export interface KubeStatus {
  kind: "Status";
  status: "Failure" | "Success";
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: StatusCause[] };
}

// ---- ktune.dev/v1 ----

// POST /apis/ktune.dev/v1/namespaces/{ns}/validate
export interface Finding {
  severity: "error" | "warning";
  field: string; // e.g. "spec.parameters[0].feasibleSpace.min"; "" for the whole document
  message: string; // Katib's wording
  hint?: string;
}

export interface ValidationResult {
  kind: "ValidationResult";
  valid: boolean;
  findings: Finding[];
  experiment?: Experiment; // with Katib's defaults applied
}

// GET /apis/ktune.dev/v1/namespaces/{ns}/trials/{name}/observations
export interface ObservationLog {
  kind: "ObservationLog";
  trialName: string;
  metricLogs: { timeStamp: string; metric: { name: string; value: string } }[];
}

// The phase the UI shows for a trial (from its conditions).
export type TrialPhase =
  | "Created"
  | "Running"
  | "Succeeded"
  | "Failed"
  | "Killed"
  | "EarlyStopped"
  | "MetricsUnavailable";

// GET /apis/ktune.dev/v1/namespaces/{ns}/experiments/{name}/trialtable[?since=RV]
// Every trial of one experiment in one compact document (10 000 trials in a few MB).
// With `since`, only the rows of trials changed after that resourceVersion (`complete`
// false); the UI merges them by name. `deleted` names trials gone since then.
export interface TrialRow {
  name: string;
  phase: TrialPhase;
  // parameter name -> assigned value as Katib stores it (a string)
  assignments: Record<string, string>;
  // metric name -> its latest / min / max as numbers (NaN-free: absent when unparsable)
  metrics: Record<string, { latest?: number; min?: number; max?: number }>;
  // objective value per the experiment's metricStrategies (absent until observed)
  objective?: number;
  createdAt?: string; // RFC 3339
  startTime?: string;
  completionTime?: string;
  reason?: string; // the reason of its last condition (e.g. "TrialFailed")
  message?: string;
}

export interface TrialTable {
  kind: "TrialTable";
  apiVersion: "ktune.dev/v1";
  namespace: string;
  experiment: string;
  resourceVersion: string;
  complete: boolean;
  objective: { metric: string; type: "minimize" | "maximize"; goal?: number };
  metrics: string[]; // objective first, then additional metric names
  parameters: ParameterSpec[];
  bestTrialName?: string;
  trials: TrialRow[];
  deleted?: string[];
}

// GET /apis/ktune.dev/v1/namespaces/{ns}/experiments/{name}/intermediate?metric=M
// Every trial's reported values of one metric, in report order (metric defaults to the
// objective metric). Values that are not finite numbers are left out. A trial with more than
// `maxPointsPerTrial` values gets that many, evenly thinned (first and last kept); `reported`
// is how many numeric values it has in all.
export interface IntermediateValues {
  kind: "IntermediateValues";
  apiVersion?: "ktune.dev/v1";
  namespace?: string;
  experiment?: string;
  metric: string;
  maxPointsPerTrial: number;
  trials: {
    name: string;
    phase: TrialPhase;
    values: number[];
    times: string[];
    reported: number;
  }[];
}

// GET /apis/ktune.dev/v1/namespaces/{ns}/experiments/{name}/importance
// PED-ANOVA over the completed trials with an objective value. Too few of them: a 409 Status
// whose message says how many are needed.
export interface ParameterImportance {
  kind: "ParameterImportance";
  metric: string;
  method: string; // e.g. "ped-anova"
  trials: number; // completed trials it was computed from
  importances: { parameter: string; importance: number }[]; // sums to 1, largest first
}

// GET /apis/ktune.dev/v1/events (Server-Sent Events), event "change"
// kind "Observation": a running trial (`name`) reported metrics (observation-log rows, not an
// object: `resourceVersion` is the store's revision then, and the event has no SSE id).
export interface ChangeEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  kind: "Experiment" | "Trial" | "Suggestion" | "Observation" | string;
  namespace: string;
  name: string;
  experiment: string;
  resourceVersion: string;
}
