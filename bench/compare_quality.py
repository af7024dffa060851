#!/usr/bin/python3
"""Side-by-side suggestion quality: ktune's plugins (suggestion_quality_bench --json) next to
Optuna's samplers (optuna_quality.py --json), one table per function and parallelTrialCount,
with each median regret's ratio to Optuna's TPE at the same budget and parallelism (< 1: better
than Optuna's TPE). Also prints each algorithm's batched / sequential ratio at every budget.

Usage: /usr/bin/python3 bench/compare_quality.py ktune.json optuna.json [more.json ...]
"""

import json
import sys

REFERENCE = "optuna-tpe"


def fmt(v):
    return "%.3g" % v


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    docs = [json.load(open(path)) for path in sys.argv[1:]]
    seeds = sorted({d["seeds"] for d in docs})
    budgets = sorted({d["budget"] for d in docs})
    if len(seeds) > 1 or len(budgets) > 1:
        print("WARNING: the inputs differ in seeds %s or budget %s" % (seeds, budgets))
    for d in docs:
        print("# %s: %s (%s)" % (d["tool"], d["command"], d["date"]))
    entries = [e for d in docs for e in d["results"]]
    by_key = {(e["function"], e["algorithm"], e["parallel"]): e for e in entries}
    functions = list(dict.fromkeys(e["function"] for e in entries))
    parallels = sorted({e["parallel"] for e in entries})
    algorithms = list(dict.fromkeys(e["algorithm"] for e in entries))

    for f in functions:
        for p in parallels:
            rows = [by_key[(f, a, p)] for a in algorithms if (f, a, p) in by_key]
            if not rows:
                continue
            marks = sorted({b for e in rows for b in e["budgets"]})
            ref = by_key.get((f, REFERENCE, p))
            print("\n## %s, parallel %d (median best regret [q25, q75]; x = ratio to %s)" %
                  (f, p, REFERENCE))
            print("| algorithm |" + "".join(" @%d |" % b for b in marks) + " suggest s/run |")
            print("|---|" + "---|" * len(marks) + "---|")
            for e in rows:
                cells = []
                for b in marks:
                    if b not in e["budgets"]:
                        cells.append("-")  # a run with a smaller budget (skopt_quality.py)
                        continue
                    c = e["budgets"].index(b)
                    cell = "%s [%s, %s]" % (fmt(e["median"][c]), fmt(e["q25"][c]),
                                            fmt(e["q75"][c]))
                    if ref is not None and b in ref["budgets"]:
                        r = ref["median"][ref["budgets"].index(b)]
                        cell += " x%.2f" % (e["median"][c] / r) if r > 0 else " x-"
                    cells.append(cell)
                print("| %s | %s | %.4f |" % (e["algorithm"], " | ".join(cells),
                                             e["suggest_seconds_median"]))

    if len(parallels) > 1 and 1 in parallels:
        print("\n## Batched vs sequential: median regret with parallel P / with parallel 1")
        marks = entries[0]["budgets"]
        for p in parallels:
            if p == 1:
                continue
            print("\n| function | algorithm |" + "".join(" P%d/P1 @%d |" % (p, b) for b in marks))
            print("|---|---|" + "---|" * len(marks))
            for f in functions:
                for a in algorithms:
                    seq, bat = by_key.get((f, a, 1)), by_key.get((f, a, p))
                    if seq is None or bat is None:
                        continue
                    cells = ["%.2f" % (b / s) if s > 0 else "-"
                             for s, b in zip(seq["median"], bat["median"])]
                    print("| %s | %s | %s |" % (f, a, " | ".join(cells)))


if __name__ == "__main__":
    main()
