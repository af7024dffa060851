const enc = encodeURIComponent;

export function trialPath(ns: string, experiment: string, trial: string): string {
  return `/experiments/${enc(ns)}/${enc(experiment)}/trials/${enc(trial)}`;
}
