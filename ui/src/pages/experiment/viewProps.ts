// What each view of an experiment's trials (the trials table, the plots) is given: the trial
// model and the experiment it is of.
import type { Model } from "../../transforms/trialTable";

export interface ExperimentViewProps {
  model: Model;
  ns: string;
  experiment: string;
}
