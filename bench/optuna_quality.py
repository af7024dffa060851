#!/usr/bin/python3
"""BENCHMARKS.md §1 with Optuna: the functions of bench/functions.h (same definitions, optima and
search spaces), the same protocols and the same table and --json shape as
suggestion_quality_bench.

Run with Debian's python (python3-optuna): /usr/bin/python3 bench/optuna_quality.py --seeds 10

Samplers: tpe (TPESampler), mv-tpe (TPESampler(multivariate=True)), qmc (QMCSampler, scrambled
Sobol), random (RandomSampler); each seeded with the run's seed. With parallel > 1 both TPE
samplers get constant_liar=True. Sequential: ask one, tell it, ask the next. Parallel P: ask P,
then repeatedly tell the oldest pending trial and ask one more, until the budget is reached.
"""

import argparse
import datetime
import json
import math
import multiprocessing
import os
import sys
import time
import warnings

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

# ---- The suite: keep in step with bench/functions.h ------------------------------------------


def branin(x):
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    u = x[1] - b * x[0] ** 2 + c * x[0] - 6
    return u * u + 10 * (1 - t) * math.cos(x[0]) + 10


_H_ALPHA = [1.0, 1.2, 3.0, 3.2]
_H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14]]
_H_P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
        [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
        [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
        [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]


def hartmann6(x):
    total = 0.0
    for i in range(4):
        inner = sum(_H_A[i][j] * (x[j] - _H_P[i][j]) ** 2 for j in range(6))
        total += _H_ALPHA[i] * math.exp(-inner)
    return -total


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


def ackley(x):
    d = len(x)
    squares = sum(v * v for v in x)
    cosines = sum(math.cos(2 * math.pi * v) for v in x)
    return -20 * math.exp(-0.2 * math.sqrt(squares / d)) - math.exp(cosines / d) + 20 + math.e


def levy(x):
    w = [1 + (v - 1) / 4 for v in x]
    total = math.sin(math.pi * w[0]) ** 2
    for wi in w[:-1]:
        total += (wi - 1) ** 2 * (1 + 10 * math.sin(math.pi * wi + 1) ** 2)
    wd = w[-1]
    return total + (wd - 1) ** 2 * (1 + math.sin(2 * math.pi * wd) ** 2)


# name, mu, k, offset (bench/functions.h kMixedCategories)
MIXED_CATEGORIES = [("adam", 2.5, 14, 0.0), ("sgd", -1.0, 4, 0.5), ("rmsprop", 7.0, 10, 1.0),
                    ("adagrad", 0.0, 18, 2.0)]


def mixed(x):
    _, mu, k, offset = MIXED_CATEGORIES[int(x[2])]
    u, v = (x[0] - mu) / 2, (x[1] - k) / 4
    a = u - v / 2
    return offset + 4 * a * a + v * v + 1.5 * (1 - math.cos(2 * math.pi * u))


def box(d, lo, hi):
    return [("x%d" % (i + 1), FloatDistribution(lo, hi)) for i in range(d)]


# name -> (parameters [(name, distribution)], f*, function)
SUITE = {
    "branin": ([("x1", FloatDistribution(-5, 10)), ("x2", FloatDistribution(0, 15))],
               0.397887357729738, branin),
    "hartmann6": (box(6, 0, 1), -3.32236801141551, hartmann6),
    "rosenbrock5": (box(5, -5, 10), 0.0, rosenbrock),
    "ackley5": (box(5, -32.768, 32.768), 0.0, ackley),
    "levy4": (box(4, -10, 10), 0.0, levy),
    "mixed": ([("x", FloatDistribution(-5, 10)), ("n", IntDistribution(0, 20, step=2)),
               ("opt", CategoricalDistribution([c[0] for c in MIXED_CATEGORIES]))], 0.0, mixed),
}

SAMPLERS = ["tpe", "mv-tpe", "qmc", "random"]


def make_sampler(name, seed, parallel):
    liar = parallel > 1
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, constant_liar=liar)
    if name == "mv-tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, constant_liar=liar)
    if name == "qmc":
        return optuna.samplers.QMCSampler(seed=seed, scramble=True)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError("unknown sampler %s" % name)


def checkpoints(budget):
    points = [b for b in (25, 50, 100) if b <= budget]
    if not points or points[-1] != budget:
        points.append(budget)
    return points


def run_one(task):
    function, sampler_name, parallel, seed, budget = task
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore")
    params, optimum, f = SUITE[function]
    distributions = dict(params)
    study = optuna.create_study(direction="minimize",
                                sampler=make_sampler(sampler_name, seed, parallel))
    marks = checkpoints(budget)
    pending, regret, best, asked, spent = [], [], math.inf, 0, 0.0

    def ask():
        nonlocal asked, spent
        start = time.perf_counter()
        trial = study.ask(distributions)
        spent += time.perf_counter() - start
        asked += 1
        pending.append(trial)

    for _ in range(min(parallel, budget)):
        ask()
    for completed in range(1, budget + 1):
        trial = pending.pop(0)
        x = []
        for name, dist in params:
            v = trial.params[name]
            x.append(dist.choices.index(v) if isinstance(dist, CategoricalDistribution) else v)
        value = f(x)
        best = min(best, value)
        start = time.perf_counter()
        study.tell(trial, value)
        spent += time.perf_counter() - start
        if completed in marks:
            regret.append(best - optimum)
        if asked < budget:
            ask()
    return {"seed": seed, "regret": regret, "suggest_seconds": spent}


def summarize(groups, runs, seeds, marks, prefix):
    """Prints a table row per (function, sampler, parallel) group and returns the JSON results:
    median and quartiles of the regret at each budget in `marks` over the group's `seeds` runs
    (runs are in group order)."""
    results = []
    for g, (f, s, p) in enumerate(groups):
        group_runs = runs[g * seeds:(g + 1) * seeds]
        entry = {"function": f, "algorithm": prefix + s, "parallel": p, "budgets": marks,
                 "median": [], "q25": [], "q75": []}
        line = "| %s | %s%s | %d |" % (f, prefix, s, p)
        for c in range(len(marks)):
            at = [r["regret"][c] for r in group_runs]
            med, q25, q75 = (float(np.quantile(at, q)) for q in (0.5, 0.25, 0.75))
            entry["median"].append(med)
            entry["q25"].append(q25)
            entry["q75"].append(q75)
            line += " %.3g [%.3g, %.3g] |" % (med, q25, q75)
        entry["suggest_seconds_median"] = float(np.median([r["suggest_seconds"]
                                                           for r in group_runs]))
        entry["runs"] = group_runs
        line += " %.4f |" % entry["suggest_seconds_median"]
        print(line, flush=True)
        results.append(entry)
    return results


def run_tasks(run_one, tasks, jobs):
    """Runs run_one over tasks (in `jobs` processes when > 1); returns (runs, wall seconds)."""
    start = time.perf_counter()
    if jobs > 1:
        with multiprocessing.Pool(jobs) as pool:
            runs = pool.map(run_one, tasks, chunksize=1)
    else:
        runs = [run_one(t) for t in tasks]
    return runs, time.perf_counter() - start


def report(args, groups, runs, wall, prefix, library, doc):
    """Prints the table of `groups` (see summarize) and writes --json: `doc` plus the run's
    date, command, seeds, budget and results."""
    marks = checkpoints(args.budget)
    print("Best-so-far regret (best - f*), %d seeds, budget %d; suggest s/run = median total "
          "ask+tell time of one run (%s)" % (args.seeds, args.budget, library))
    print("| function | algorithm | parallel |" +
          "".join(" @%d median [q25, q75] |" % b for b in marks) + " suggest s/run |")
    print("|---|---|---|" + "---|" * len(marks) + "---|")
    results = summarize(groups, runs, args.seeds, marks, prefix)
    print("wall %.1f s, %d job(s)" % (wall, args.jobs))
    if args.json:
        doc = dict(doc, date=datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ"), command=" ".join(sys.argv), seeds=args.seeds,
            first_seed=args.first_seed, budget=args.budget, results=results)
        with open(args.json, "w") as out:
            json.dump(doc, out, indent=2)
            out.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samplers", default=",".join(SAMPLERS))
    parser.add_argument("--functions", default=",".join(SUITE))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--parallel", default="1,4")
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel (processes)")
    parser.add_argument("--json")
    args = parser.parse_args()
    samplers = [s for s in args.samplers.split(",") if s]
    functions = [f for f in args.functions.split(",") if f]
    parallels = [int(p) for p in args.parallel.split(",") if p]
    for s in samplers:
        if s not in SAMPLERS:
            sys.exit("unknown sampler %s; known: %s" % (s, ",".join(SAMPLERS)))
    for f in functions:
        if f not in SUITE:
            sys.exit("unknown function %s; known: %s" % (f, ",".join(SUITE)))

    groups = [(f, s, p) for f in functions for s in samplers for p in parallels]
    tasks = [(f, s, p, args.first_seed + i, args.budget) for f, s, p in groups
             for i in range(args.seeds)]
    runs, wall = run_tasks(run_one, tasks, args.jobs)
    report(args, groups, runs, wall, "optuna-", "Optuna %s" % optuna.__version__,
           {"tool": "optuna", "optuna_version": optuna.__version__,
            "hardware_threads": os.cpu_count()})

if __name__ == "__main__":
    main()
