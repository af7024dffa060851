#!/usr/bin/python3
"""Suggestion quality of scikit-optimize's GP (the library behind Katib's bayesianoptimization).

BENCHMARKS.md, "Katib's own algorithm backends": skopt.Optimizer with Katib's settings
(base_estimator GP, acq_func gp_hedge, n_initial_points 10, random_state = seed) on the suite of
bench/optuna_quality.py, but with uniform priors: Katib's service makes every double
log-uniform, which fails for min <= 0 (every suite function), so this is what honouring
`distribution` gives. Sequential only (Katib's service answers one request at a time).

scikit-optimize is not a Debian package and nothing in ktune needs it: to run this, put a
checkout of scikit-optimize 0.9 on PYTHONPATH (it is pure Python) and install Debian's
python3-sklearn, e.g.
  PYTHONPATH=/path/to/scikit-optimize /usr/bin/python3 bench/skopt_quality.py \
      --functions mixed --seeds 10 --budget 50 --json skopt.json
Output: the table and JSON shape of optuna_quality.py (algorithm "skopt-gp"), so
compare_quality.py can put it beside the others.
"""

import argparse
import math
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from optuna.distributions import CategoricalDistribution, IntDistribution  # noqa: E402
from optuna_quality import SUITE, checkpoints, report, run_tasks  # noqa: E402

# scikit-optimize 0.9 still uses np.int, which numpy 1.24 (Debian 12) removed; Katib pins
# numpy 1.23.5, where it is the builtin int.
if not hasattr(np, "int"):
    np.int = int

try:
    import skopt
    from skopt.space import Categorical, Integer, Real
except ImportError:
    sys.exit("skopt_quality.py: scikit-optimize is not importable; see the top of this file")


def dimension(dist):
    if isinstance(dist, CategoricalDistribution):
        return Categorical(list(range(len(dist.choices))), transform="onehot")
    if isinstance(dist, IntDistribution):
        # The step as a scale: Integer(0, (high - low) / step), mapped back in value().
        return Integer(0, (dist.high - dist.low) // dist.step)
    return Real(dist.low, dist.high, prior="uniform")


def value(dist, v):
    if isinstance(dist, IntDistribution):
        return dist.low + v * dist.step
    return v


def run_one(task):
    function, seed, budget = task
    warnings.filterwarnings("ignore")
    params, optimum, f = SUITE[function]
    optimizer = skopt.Optimizer([dimension(d) for _, d in params], base_estimator="GP",
                                acq_func="gp_hedge", n_initial_points=10, random_state=seed)
    marks = checkpoints(budget)
    regret, best, spent = [], math.inf, 0.0
    for completed in range(1, budget + 1):
        start = time.perf_counter()
        x = optimizer.ask()
        spent += time.perf_counter() - start
        y = f([value(d, v) for (_, d), v in zip(params, x)])
        best = min(best, y)
        start = time.perf_counter()
        optimizer.tell(x, y)
        spent += time.perf_counter() - start
        if completed in marks:
            regret.append(best - optimum)
    return {"seed": seed, "regret": regret, "suggest_seconds": spent}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--functions", default=",".join(SUITE))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--budget", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--json")
    args = parser.parse_args()
    functions = [f for f in args.functions.split(",") if f]
    for f in functions:
        if f not in SUITE:
            sys.exit("unknown function %s; known: %s" % (f, ",".join(SUITE)))
    tasks = [(f, args.first_seed + i, args.budget) for f in functions for i in range(args.seeds)]
    runs, wall = run_tasks(run_one, tasks, args.jobs)
    # skopt's name is the "sampler" of each group; the runs are in the same order.
    report(args, [(f, "gp", 1) for f in functions], runs, wall, "skopt-",
           "scikit-optimize %s" % skopt.__version__,
           {"tool": "skopt", "skopt_version": skopt.__version__})

if __name__ == "__main__":
    main()
