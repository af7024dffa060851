#!/usr/bin/python3
"""Optuna's ask() latency beside suggestion_latency_bench (BENCHMARKS.md section 2).

Same shape as the C++ benchmark: Hartmann6's space (six floats in [0, 1]), 100, 1000 and 5000
finished trials told first (in-memory storage, uniform points with their Hartmann6 values), then
the time of asking for 1 and for 8 trials (8 ask() calls in a row, as a batch), median over
repeated asks. After each timed ask the asked trials are told with their values, so the history
grows as it does in the C++ benchmark. Samplers: TPE, multivariate TPE, QMC (Sobol, scrambled)
and random, each seeded.

Run with Debian's python3 (python3-optuna):  /usr/bin/python3 bench/optuna_latency.py
  --histories 100,1000,5000 --batches 1,8 --budget-s 1 --json FILE
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
import warnings

import optuna

warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from optuna_quality import hartmann6  # noqa: E402  (the suite's definition)

DIMS = 6


DISTRIBUTIONS = {f"x{i}": optuna.distributions.FloatDistribution(0.0, 1.0) for i in range(DIMS)}

SAMPLERS = {
    "optuna TPE": lambda seed: optuna.samplers.TPESampler(seed=seed),
    "optuna multivariate TPE": lambda seed: optuna.samplers.TPESampler(multivariate=True,
                                                                       seed=seed),
    "optuna QMC": lambda seed: optuna.samplers.QMCSampler(seed=seed),
    "optuna random": lambda seed: optuna.samplers.RandomSampler(seed=seed),
}


def measure(sampler_name, history, batch, budget_s, seed=42):
    rng = random.Random(seed)
    study = optuna.create_study(sampler=SAMPLERS[sampler_name](seed))
    trials = []
    for _ in range(history):
        params = {name: rng.random() for name in DISTRIBUTIONS}
        trials.append(
            optuna.trial.create_trial(params=params, distributions=DISTRIBUTIONS,
                                      value=hartmann6([params[f"x{i}"] for i in range(DIMS)])))
    study.add_trials(trials)
    # As suggestion_latency_bench: at least 5 timed asks, at most max(20, history / 10), for
    # about budget_s seconds.
    max_calls = max(20, history // 10)
    samples = []
    begin = time.perf_counter()
    while len(samples) < max_calls and (len(samples) < 5 or time.perf_counter() - begin < budget_s):
        start = time.perf_counter()
        asked = [study.ask(fixed_distributions=DISTRIBUTIONS) for _ in range(batch)]
        samples.append((time.perf_counter() - start) * 1e3)
        for trial in asked:
            study.tell(trial, hartmann6([trial.params[f"x{i}"] for i in range(DIMS)]))
    return statistics.median(samples), len(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--histories", default="100,1000,5000")
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--samplers", default=",".join(SAMPLERS))
    parser.add_argument("--budget-s", type=float, default=1.0)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    histories = [int(h) for h in args.histories.split(",")]
    batches = [int(b) for b in args.batches.split(",")]
    results = []
    for name in args.samplers.split(","):
        for history in histories:
            for batch in batches:
                median_ms, calls = measure(name, history, batch, args.budget_s)
                results.append({"algorithm": name, "history": history, "batch": batch,
                                "median_ms": median_ms, "calls": calls})
                print(f"{name:<24} history {history:>5} batch {batch}: {median_ms:9.3f} ms "
                      f"(median of {calls})", file=sys.stderr, flush=True)
    columns = [(h, b) for h in histories for b in batches]
    print("| sampler | " + " | ".join(f"{b} @ {h}" for h, b in columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name in args.samplers.split(","):
        row = {(r["history"], r["batch"]): r["median_ms"] for r in results if r["algorithm"] == name}
        print(f"| {name} | " + " | ".join(f"{row[c]:.3g}" for c in columns) + " |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"optuna_version": optuna.__version__, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
