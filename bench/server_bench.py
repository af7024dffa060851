#!/usr/bin/python3
"""Helpers of bench/server_bench.sh (BENCHMARKS.md section 7): the parts that are easier in
Python than in sh. Standard library only (Debian's python3), plus curl for request latency.

  server_bench.py settle PID                         wait (up to 120 s) until VmRSS stops growing
                                                     (within 1 MiB for 2 s), then as rss
  server_bench.py rss PID                            VmRSS and VmHWM in MiB, one JSON object
  server_bench.py latency URL N [ACCEPT]             N sequential curl requests: time_total
                                                     median/p99/min/max in ms, status, bytes
  server_bench.py direct ARGV...                     median time to spawn and reap ARGV (ms)
  server_bench.py load BASE PID ...                  submit E experiments of T trials at once,
                                                     wait for all to succeed (watch), report
                                                     wall, overhead per trial, peak RSS, CPU
  server_bench.py report RESULTS_JSONL               the Markdown table of every result

Every command prints one JSON object on stdout (report prints Markdown).
"""

import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
GROUP = "/apis/kubeflow.org/v1beta1"


def rss(pid):
    """VmRSS and VmHWM of a process, in MiB."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                parts = value.split()
                out[key] = int(parts[0]) / 1024.0 if key != "Threads" else int(parts[0])
    return out


def cmd_settle(pid, timeout_s=120):
    """Waits until the process's VmRSS stays within 1 MiB for 2 s (the server loads the stored
    experiments in the background after it starts listening)."""
    start = time.monotonic()
    last, stable_since = rss(pid)["VmRSS"], time.monotonic()
    while time.monotonic() - start < timeout_s:
        time.sleep(0.25)
        now = rss(pid)["VmRSS"]
        if abs(now - last) > 1.0:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since >= 2.0:
            break
    out = rss(pid)
    out["settle_s"] = round(stable_since - start, 2)
    print(json.dumps(out))


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def percentile(values, q):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    # Nearest rank: p99 of 50 samples is the largest but none.
    rank = max(1, int(round(q / 100.0 * len(ordered) + 0.5)))
    return ordered[min(rank, len(ordered)) - 1]


def curl_time(url, accept, method="GET"):
    out = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-X", method, "-H", "Accept: " + accept,
         "-w", "%{time_total} %{http_code} %{size_download}", url],
        check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), int(out[1]), int(float(out[2]))


def cmd_latency(url, n, accept="application/json"):
    times, codes, size = [], set(), 0
    for _ in range(n):
        t, code, size = curl_time(url, accept)
        times.append(t * 1000)
        codes.add(code)
    print(json.dumps({
        "url": url, "accept": accept, "n": n,
        "median_ms": statistics.median(times), "p99_ms": percentile(times, 99),
        "min_ms": min(times), "max_ms": max(times), "first_ms": times[0],
        "status": sorted(codes), "bytes": size}))


def direct_run_ms(argv, n=50):
    samples = []
    devnull = os.open(os.devnull, os.O_WRONLY)
    for _ in range(n):
        start = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, dict(os.environ),
                             file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
        os.waitpid(pid, 0)
        samples.append((time.perf_counter() - start) * 1000)
    os.close(devnull)
    return statistics.median(samples)


def load_experiment(name, trials, parallel, command):
    return {
        "apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
        "metadata": {"name": name, "labels": {"ktune.dev/bench": "load"}},
        "spec": {
            "objective": {"type": "minimize", "objectiveMetricName": "loss"},
            "algorithm": {"algorithmName": "random"},
            "parallelTrialCount": parallel, "maxTrialCount": trials,
            "parameters": [{"name": "x", "parameterType": "double",
                            "feasibleSpace": {"min": "0", "max": "1"}}],
            "trialTemplate": {
                "primaryContainerName": "main",
                "trialParameters": [{"name": "x", "reference": "x"}],
                "trialSpec": {
                    "apiVersion": "batch/v1", "kind": "Job",
                    "spec": {"template": {"spec": {
                        "containers": [{"name": "main", "image": "none",
                                        "command": command + ["${trialParameters.x}"]}],
                        "restartPolicy": "Never"}}}}}}}


def request(base, method, path, body=None, headers=None):
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    data = json.dumps(body).encode() if body is not None else None
    h = {"Accept": "application/json"}
    if data is not None:
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    conn.request(method, path, body=data, headers=h)
    resp = conn.getresponse()
    payload = resp.read()
    conn.close()
    return resp.status, payload


def succeeded(obj):
    return any(c.get("type") == "Succeeded" and c.get("status") == "True"
               for c in obj.get("status", {}).get("conditions", []))


def failed(obj):
    return any(c.get("type") == "Failed" and c.get("status") == "True"
               for c in obj.get("status", {}).get("conditions", []))


def cmd_load(base, pid, experiments, trials, parallel, cap, ns, command):
    direct = direct_run_ms(command + ["0.5"])
    path = "%s/namespaces/%s/experiments" % (GROUP, ns)
    status, payload = request(base, "GET", path)
    if status != 200:
        sys.exit("server_bench: GET %s: %d %s" % (path, status, payload[:300]))
    rv = json.loads(payload)["metadata"]["resourceVersion"]

    peak = {"rss": 0.0}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            try:
                peak["rss"] = max(peak["rss"], rss(pid)["VmRSS"])
            except OSError:
                return
            stop.wait(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    # The watch first, so that no completion is missed.
    u = urllib.parse.urlsplit(base)
    watch = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
    watch.request("GET", "%s?watch=1&resourceVersion=%s&labelSelector=%s" % (
        path, rv, urllib.parse.quote("ktune.dev/bench=load")),
        headers={"Accept": "application/json"})
    stream = watch.getresponse()
    if stream.status != 200:
        sys.exit("server_bench: watch %s: %d %s" % (path, stream.status, stream.read()[:300]))

    cpu0 = cpu_seconds(pid)
    start = time.monotonic()
    names = ["load-%02d" % i for i in range(experiments)]
    for name in names:
        status, payload = request(base, "POST", path,
                                  load_experiment(name, trials, parallel, command))
        if status not in (200, 201):
            sys.exit("server_bench: POST %s (%s): %d %s" % (path, name, status, payload[:500]))
    submitted = time.monotonic() - start

    done, bad = set(), {}
    while len(done) + len(bad) < experiments:
        line = stream.readline()
        if not line:
            sys.exit("server_bench: the watch stream ended with %d of %d experiments done"
                     % (len(done), experiments))
        event = json.loads(line)
        obj = event.get("object", {})
        name = obj.get("metadata", {}).get("name")
        if event.get("type") == "BOOKMARK" or name not in names:
            continue
        if succeeded(obj):
            done.add(name)
        elif failed(obj):
            bad[name] = obj["status"]["conditions"][-1].get("message", "")
    wall = time.monotonic() - start
    cpu = cpu_seconds(pid) - cpu0
    stop.set()
    sampler.join()
    watch.close()
    after = rss(pid)

    # Every experiment must end with exactly its trials, all succeeded.
    wrong = []
    for name in names:
        status, payload = request(base, "GET", "%s/%s" % (path, name))
        s = json.loads(payload).get("status", {}) if status == 200 else {}
        if s.get("trialsSucceeded") != trials or s.get("trials") != trials:
            wrong.append("%s: %s trials, %s succeeded" % (name, s.get("trials"),
                                                          s.get("trialsSucceeded")))
    n = experiments * trials
    ideal = n * direct / 1000.0 / cap
    print(json.dumps({
        "experiments": experiments, "trials": trials, "parallel": parallel, "cap": cap,
        "command": " ".join(command), "direct_ms": direct, "submit_s": submitted,
        "wall_s": wall, "ideal_s": ideal, "overhead_ms": (wall - ideal) * 1000.0 / n,
        "trials_per_s": n / wall, "server_cpu_s": cpu, "server_cpu_ms_per_trial": cpu * 1000 / n,
        "peak_rss_mib": peak["rss"], "rss_after_mib": after["VmRSS"],
        "threads_after": after.get("Threads"),
        "failed": bad, "wrong": wrong}))
    if bad or wrong:
        sys.exit("server_bench: %d experiments failed, %d ended with the wrong trial count: %s"
                 % (len(bad), len(wrong), (list(bad.items()) + wrong)[:5]))


def cmd_report(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    by = {}
    for r in rows:
        by.setdefault(r["what"], []).append(r)
    out = []
    info = by.get("info", [{}])[0]
    out.append("ktune server, %s; %s experiments / %s trials stored (%s MB SQLite, seeded in "
               "%.1f s); %d CPUs, load average %s" % (
                   info.get("date", "?"), info.get("experiments", "?"), info.get("trials", "?"),
                   info.get("db_mb", "?"), float(info.get("seed_s", 0)), os.cpu_count(),
                   info.get("load", "?")))
    out.append("")
    out.append("| measure | value | target |")
    out.append("|---|---|---|")
    for r in by.get("rss", []):
        target = "< 100 MB" if r["when"].startswith("idle") else ""
        when = r["when"]
        if "settle_s" in r:
            when += ", settled %.1f s after ready" % r["settle_s"]
        out.append("| resident memory, %s | %.1f MiB = %.0f MB (peak %.1f MiB, %s threads) | %s |"
                   % (when, r["VmRSS"], r["VmRSS"] * 1.048576, r["VmHWM"],
                      r.get("Threads", "?"), target))
    for r in by.get("latency", []):
        target = "< 50 ms" if r["label"].startswith("list experiments") else ""
        out.append("| %s: median / p99 of %d (first) | %.1f / %.1f ms (%.1f ms), %s, %d bytes "
                   "| %s |" % (r["label"], r["n"], r["median_ms"], r["p99_ms"], r["first_ms"],
                               "/".join(str(s) for s in r["status"]), r["bytes"], target))
    for r in by.get("wrk", []):
        out.append("| %s, wrk -t%s -c%s -d%s | %s req/s, latency avg %s, non-2xx %s | |" % (
            r["label"], r["threads"], r["connections"], r["duration"], r["rps"], r["latency"],
            r.get("non2xx", "0")))
    for r in by.get("load", []):
        out.append("| %d experiments × %d trials at once (`%s`, cap %d, %s store) | wall %.2f s, ideal "
                   "%.2f s (direct run %.2f ms), **%.2f ms overhead per trial**, %.0f trials/s, "
                   "server CPU %.2f ms per trial | |" % (
                       r["experiments"], r["trials"], r["command"], r["cap"],
                       r.get("store", "fresh"), r["wall_s"],
                       r["ideal_s"], r["direct_ms"], r["overhead_ms"], r["trials_per_s"],
                       r["server_cpu_ms_per_trial"]))
        out.append("| memory during that load | peak %.1f MiB = %.0f MB, after %.1f MiB, %s threads "
                   "| |" % (r["peak_rss_mib"], r["peak_rss_mib"] * 1.048576, r["rss_after_mib"],
                            r["threads_after"]))
    print("\n".join(out))


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "settle":
        cmd_settle(int(args[0]))
    elif cmd == "rss":
        print(json.dumps(rss(int(args[0]))))
    elif cmd == "latency":
        cmd_latency(args[0], int(args[1]), *(args[2:3] or ["application/json"]))
    elif cmd == "direct":
        print(json.dumps({"direct_ms": direct_run_ms(args)}))
    elif cmd == "load":
        base, pid, experiments, trials, parallel, cap, ns = args[:7]
        cmd_load(base, int(pid), int(experiments), int(trials), int(parallel), int(cap), ns,
                 args[7:] or ["/bin/echo", "loss=0.5"])
    elif cmd == "report":
        cmd_report(args[0])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
