#!/bin/bash
# Suggestion quality through the whole path (BENCHMARKS.md §1, last point): `ktune run` on a
# generated Katib Experiment (Branin, local executor, trials run bench's quality_trial binary,
# which prints `loss=<v>` for Katib's StdOut collector), for a few seeds; the best value is read
# from the run's result (`--output json`, status.currentOptimalTrial). The same algorithm, seeds
# and budget then run directly through the plugin (suggestion_quality_bench) and the regrets are
# printed side by side. With PARALLEL=1 a deterministic algorithm must give the same regret both
# ways (the host sends the plugin the same requests); with more, the order in which trials finish
# varies, so only the distributions compare.
#
#   bench/run_e2e_quality.sh [BUILD_DIR]
# Environment: ALGORITHM [random]  SEEDS [3]  TRIALS [50]  PARALLEL [1]
#   SETTINGS  extra algorithmSettings as name=value,name=value (random_state is set per seed)
#   OUT [BUILD_DIR/e2e-quality-out]  experiment files, stores, logs and results.json
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
ktune=$build/bin/ktune
trial=$build/bin/quality_trial
bench=$build/bin/suggestion_quality_bench
for b in "$ktune" "$trial" "$bench"; do
  [[ -x $b ]] || { echo "no $b: build ktune, quality_trial and suggestion_quality_bench" >&2; exit 2; }
done
python=/usr/bin/python3
algorithm=${ALGORITHM:-random}
seeds=${SEEDS:-3}
trials=${TRIALS:-50}
parallel=${PARALLEL:-1}
out=$(mkdir -p "${OUT:-$build/e2e-quality-out}" && cd "${OUT:-$build/e2e-quality-out}" && pwd)

extra_settings=""
bench_settings=()
IFS=',' read -r -a pairs <<< "${SETTINGS:-}"
for kv in "${pairs[@]}"; do
  [[ -z $kv ]] && continue
  extra_settings+="      - name: \"${kv%%=*}\"
        value: \"${kv#*=}\"
"
  bench_settings+=(--settings "$algorithm:$kv")
done

results=()
start=$(date +%s.%N)
for ((seed = 1; seed <= seeds; seed++)); do
  name="e2e-branin-${algorithm}-s${seed}"
  yaml=$out/$name.yaml
  cat > "$yaml" <<EOF
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: $name
spec:
  objective:
    type: minimize
    objectiveMetricName: loss
  algorithm:
    algorithmName: $algorithm
    algorithmSettings:
      - name: random_state
        value: "$seed"
$extra_settings  parallelTrialCount: $parallel
  maxTrialCount: $trials
  maxFailedTrialCount: 0
  parameters:
    - name: x1
      parameterType: double
      feasibleSpace: {min: "-5", max: "10"}
    - name: x2
      parameterType: double
      feasibleSpace: {min: "0", max: "15"}
  trialTemplate:
    primaryContainerName: main
    trialParameters:
      - {name: x1, reference: x1}
      - {name: x2, reference: x2}
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            containers:
              - name: main
                image: unused-locally
                command:
                  - "$trial"
                  - branin
                  - "x1=\${trialParameters.x1}"
                  - "x2=\${trialParameters.x2}"
            restartPolicy: Never
EOF
  "$ktune" run "$yaml" --db "$out/$name.db" --log-dir "$out/logs" --workdir "$out" --replace \
    --output json > "$out/$name.json" 2> "$out/$name.log" ||
    { echo "ktune run failed for seed $seed; see $out/$name.log:" >&2; tail -n 5 "$out/$name.log" >&2; exit 1; }
  results+=("$out/$name.json")
done
end=$(date +%s.%N)

"$bench" --algorithms "$algorithm" --functions branin --seeds "$seeds" --budget "$trials" \
  --parallel "$parallel" "${bench_settings[@]}" --json "$out/direct.json" > /dev/null

"$python" - "$out/direct.json" "$start" "$end" "${results[@]}" <<'EOF'
import json, statistics, sys
F_STAR = 0.397887357729738
direct = json.load(open(sys.argv[1]))["results"][0]
start, end = float(sys.argv[2]), float(sys.argv[3])
rows, e2e, same = [], [], True
for i, path in enumerate(sys.argv[4:]):
    doc = json.load(open(path))
    opt = doc["experiment"]["status"]["currentOptimalTrial"]
    best = None
    for m in opt["observation"]["metrics"]:
        if m["name"] == "loss":
            best = float(m["min"])
    # The optimal trial must be the best of the trials the run reports.
    values = [float(m["latest"]) for t in doc["trials"]
              for m in t["status"].get("observation", {}).get("metrics", []) if m["name"] == "loss"]
    assert best is not None and abs(best - min(values)) <= 1e-12 * max(1, abs(best)), path
    r = best - F_STAR
    d = direct["runs"][i]["regret"][-1]
    e2e.append(r)
    same = same and abs(r - d) <= 1e-9 * max(1.0, abs(d))
    rows.append("| %d | %d | %.6g | %.6g |" % (direct["runs"][i]["seed"], len(values), r, d))
print("Branin, %s, parallel %d, %d trials: regret of the best trial" %
      (direct["algorithm"], direct["parallel"], direct["budgets"][-1]))
print("| seed | trials run | ktune run | direct (plugin) |")
print("|---|---|---|---|")
print("\n".join(rows))
print("median: ktune run %.6g, direct %.6g; identical per seed: %s; ktune run wall %.1f s" %
      (statistics.median(e2e), direct["median"][-1], "yes" if same else "no", end - start))
EOF
