// The experiment page's data: the experiment and its TrialTable, loaded once, then kept live
// from the event stream: each batch of trial changes costs ONE `trialtable?since=RV` request
// (merged by trial name), an experiment change one GET of the experiment, a reset ("*") a
// full reload. Requests never overlap: changes arriving meanwhile are fetched once after.
import { useCallback, useEffect, useRef, useState } from "react";
import { api, ApiError } from "../../api/client";
import { useChanges } from "../../api/live";
import type { ChangeEvent, Experiment, TrialTable } from "../../api/types";
import { mergeTrialTable } from "../../transforms/trialTable";

export interface ExperimentData {
  experiment?: Experiment;
  table?: TrialTable;
  error?: string;
  gone: boolean; // the experiment was deleted
  // bumps whenever the table changes (plots memoise on it)
  version: number;
}

export function useExperimentData(ns: string, name: string): ExperimentData {
  const [state, setState] = useState<ExperimentData>({ gone: false, version: 0 });
  const tableRef = useRef<TrialTable | undefined>(undefined);
  const inFlight = useRef(false);
  const want = useRef<{ table: "none" | "since" | "full"; experiment: boolean }>({
    table: "none",
    experiment: false,
  });
  const alive = useRef(true);

  const pump = useCallback(async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    try {
      while (alive.current && (want.current.table !== "none" || want.current.experiment)) {
        const w = want.current;
        want.current = { table: "none", experiment: false };
        const since = w.table === "since" ? tableRef.current?.resourceVersion : undefined;
        // both at once; each is shown as soon as it arrives (the experiment is small, the
        // table of 10 000 trials is not)
        const exp = w.experiment
          ? api.getExperiment(ns, name).then((e) => {
              if (alive.current) setState((s) => ({ ...s, experiment: e, error: undefined }));
            })
          : Promise.resolve();
        const tbl =
          w.table !== "none"
            ? api.trialTable(ns, name, since).then((t) => {
                if (!alive.current) return;
                tableRef.current = mergeTrialTable(since ? tableRef.current : undefined, t);
                const merged = tableRef.current;
                setState((s) => ({
                  ...s,
                  table: merged,
                  version: s.version + 1,
                  error: undefined,
                }));
              })
            : Promise.resolve();
        await Promise.all([exp, tbl]);
        if (!alive.current) return;
      }
    } catch (e) {
      if (!alive.current) return;
      const gone = e instanceof ApiError && e.code === 404;
      setState((s) => ({
        ...s,
        gone: gone || s.gone,
        error: gone ? undefined : (e as Error).message,
      }));
    } finally {
      inFlight.current = false;
    }
  }, [ns, name]);

  useEffect(() => {
    alive.current = true;
    tableRef.current = undefined;
    setState({ gone: false, version: 0 });
    want.current = { table: "full", experiment: true };
    void pump();
    return () => {
      alive.current = false;
    };
  }, [pump]);

  useChanges(
    (c: ChangeEvent) =>
      c.namespace === ns &&
      ((c.kind === "Experiment" && c.name === name) ||
        (c.kind === "Trial" && c.experiment === name)),
    (batch) => {
      const w = want.current;
      for (const c of batch) {
        if (c.kind === "*") {
          w.table = "full";
          w.experiment = true;
        } else if (c.kind === "Experiment") {
          if (c.type === "DELETED") {
            setState((s) => ({ ...s, gone: true }));
            return;
          }
          w.experiment = true;
        } else if (w.table === "none") {
          w.table = "since"; // resolved at request time: a full load while there is no table yet
        }
      }
      void pump();
    },
  );

  return state;
}
