#!/usr/bin/env python3
"""What the Redis broker costs and how far it scales (issue "Scale out").

  overhead   the same tune-op run measured here (local builder and worker) and
             through a local redis-server with one `bcd worker` on this machine;
             seconds per candidate, medians over --repeats, and the difference in
             milliseconds per candidate.
  scaling    one tuner against 1, 2, 4, 8, 16, 32 simulated workers (`bcd worker
             --simulate RECORDS --batch 1`: each sleeps for the build and run time
             of a real measurement from RECORDS instead of compiling) through the
             real broker: candidates per minute while measuring, end to end, and
             the tuner's own CPU seconds per candidate.

  bench/broker_bench.py [--bcd build/bcd] [overhead|scaling|both] [--repeats 3]

Run it on a quiet machine: the workers of `overhead` share the cores with the tuner.
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}"
        for _ in range(200):
            if subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).returncode == 0:
                return
            time.sleep(0.05)
        raise SystemExit("redis-server did not start")

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def start_workers(bcd, url, n, extra, logdir, env=None):
    procs = []
    for i in range(n):
        log = open(os.path.join(logdir, f"worker{i}.log"), "w")
        procs.append(subprocess.Popen([bcd, "worker", "--broker", url] + extra, stdout=log, stderr=log, env=env))
    want = f"{n} workers on"
    for _ in range(600):
        out = subprocess.run([bcd, "workers", "--broker", url], capture_output=True, text=True).stdout
        if want in out:
            return procs
        time.sleep(0.1)
    raise SystemExit(f"{n} workers did not start")


def stop_workers(procs):
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        p.wait()


def fresh_cache(tmp, name):
    """An environment with an empty kernel cache: the same seed proposes the same
    candidates, and a warm cache would hand the second run its compiles for free."""
    env = dict(os.environ)
    env["BCD_CACHE_DIR"] = os.path.join(tmp, "cache-" + name)
    return env


def tune(bcd, run_dir, args, env=None):
    """Runs tune-op; returns (wall seconds, tuner CPU seconds, seconds inside measure, trials)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    out = subprocess.run([bcd] + args + ["--log-dir", run_dir, "-v"], capture_output=True, text=True, env=env)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(f"tune-op failed: {out.stdout}{out.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # The last "time so far" line: measuring's wall time is its "run" (broker) or
    # lower + build + run (local).
    times = re.findall(r"lower ([\d.]+)s, build ([\d.]+)s, run ([\d.]+)s", out.stdout)[-1]
    trials = int(re.search(r"done\s+(\d+) trials", out.stdout).group(1))
    return wall, cpu, [float(t) for t in times], trials


def op_args(trials, per_round, seed, population, iterations):
    return ["tune-op", "dense", "--params", "m=128,n=128,k=128", "--num-trials", str(trials),
            "--num-measures-per-round", str(per_round), "--seed", str(seed), "--population", str(population),
            "--num-iterations", str(iterations)]


def overhead(bcd, tmp, repeats):
    print("== overhead: tune-op dense 128x128x128, 64 trials, 32 per round, population 128, 2 iterations;")
    print("   each run with an empty kernel cache, one `bcd worker` on this machine for the broker runs")
    local, remote = [], []
    for r in range(repeats):
        args = op_args(64, 32, r + 1, 128, 2)

        def run_local():
            w, _, _, n = tune(bcd, os.path.join(tmp, f"local{r}"), args, fresh_cache(tmp, f"local{r}"))
            local.append(w / n)

        def run_broker():
            env = fresh_cache(tmp, f"broker{r}")
            redis = Redis()
            workers = start_workers(bcd, redis.url, 1, [], tmp, env)
            try:
                w, _, _, n = tune(bcd, os.path.join(tmp, f"broker{r}"), args + ["--broker", redis.url], env)
            finally:
                stop_workers(workers)
                redis.stop()
            remote.append(w / n)

        # Alternate which goes first, so that drift of the machine hits both alike.
        for f in ([run_local, run_broker] if r % 2 == 0 else [run_broker, run_local]):
            f()
        print(f"repeat {r}: local {local[-1] * 1e3:.1f} ms/candidate, broker {remote[-1] * 1e3:.1f} ms/candidate")
    l, b = statistics.median(local), statistics.median(remote)
    print(f"median: local {l * 1e3:.1f} ms/candidate, broker {b * 1e3:.1f} ms/candidate, "
          f"overhead {(b - l) * 1e3:+.1f} ms/candidate ({(b / l - 1) * 100:+.1f}%)")
    return os.path.join(tmp, "local0", "records.json")


def flattened(records, path):
    """The records with every build and run time set to their medians: jobs all
    as long as each other, so that the broker's own capacity shows."""
    rows = [json.loads(line) for line in open(records) if line.strip()]
    build = statistics.median(r["build_s"] for r in rows)
    run = statistics.median(r["run_s"] for r in rows)
    with open(path, "w") as out:
        for r in rows:
            r["build_s"], r["run_s"] = build, run
            out.write(json.dumps(r) + "\n")
    return path


def scaling(bcd, tmp, records):
    rows = [json.loads(line) for line in open(records) if line.strip()]
    times = sorted(r["build_s"] + r["run_s"] for r in rows)
    print(f"== scaling: simulated workers (--batch 1), tune-op dense 128x128x128, 256 trials, 64 per round,")
    print(f"   population 64, 1 iteration; {len(times)} recorded jobs of {records}: build+run median "
          f"{statistics.median(times):.2f} s, max {times[-1]:.2f} s")
    for label, source in [("recorded times", records),
                          ("median times", flattened(records, os.path.join(tmp, "flat.json")))]:
        print(f"-- {label}")
        print(f"{'workers':>7} {'cand/min measuring':>19} {'speedup':>8} {'cand/min overall':>17} "
              f"{'tuner CPU ms/cand':>18}")
        base = None
        for n in [1, 2, 4, 8, 16, 32]:
            redis = Redis()
            workers = start_workers(bcd, redis.url, n, ["--simulate", source, "--batch", "1"], tmp)
            try:
                wall, cpu, (lower, build, run), trials = tune(
                    bcd, os.path.join(tmp, f"scale-{label[0]}{n}"), op_args(256, 64, 1, 64, 1) + ["--broker", redis.url])
            finally:
                stop_workers(workers)
                redis.stop()
            measuring = trials / run * 60
            base = base or measuring
            print(f"{n:>7} {measuring:>19.0f} {measuring / base:>7.1f}x {trials / wall * 60:>17.0f} "
                  f"{cpu / trials * 1e3:>18.1f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", nargs="?", default="both", choices=["overhead", "scaling", "both"])
    ap.add_argument("--bcd", default=os.path.join(ROOT, "build", "bcd"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--records", help="records for the simulated workers (default: the overhead run's)")
    a = ap.parse_args()
    if not shutil.which("redis-server"):
        raise SystemExit("redis-server is not installed (tools/install-deps.sh)")
    tmp = tempfile.mkdtemp(prefix="bcd-broker-bench-")
    records = a.records
    if a.what in ("overhead", "both"):
        records = overhead(a.bcd, tmp, a.repeats)
    if a.what in ("scaling", "both"):
        if not records:
            tune(a.bcd, os.path.join(tmp, "seed"), op_args(64, 32, 1, 128, 2))
            records = os.path.join(tmp, "seed", "records.json")
        scaling(a.bcd, tmp, records)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
