#!/usr/bin/env python3
"""The fault and bad-input campaign of issue "Hardening", re-runnable.

Runs bcd as a hostile user would and classifies every outcome:
  bad command lines      each a fixed list entry
  mutated ONNX models    byte flips, truncations and splices of the fuzz seeds
  corrupted records      a real records file with lines flipped, cut, duplicated
  kill -9 of the tuner   at random moments, then --resume; records before the
                         kill must all be there after it

Outcomes: "error" (non-zero exit, stderr one line "bcd: error: ..." after any
warnings), "success"
(exit 0), "unclear" (non-zero exit with anything else), "crash" (killed by a
signal or a sanitizer report), "hang" (past the time limit) and "lost" (records
gone). Prints one table; exits non-zero when anything crashed, hung or was lost.

  bench/hardening_campaign.py [--bcd build/bcd] [--seed 1] [--mutants 200] [--kills 8]
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(bcd, args, timeout=120, env=None):
    """One bcd run: its outcome class and its output."""
    try:
        p = subprocess.run([bcd] + args, capture_output=True, text=True, timeout=timeout,
                           env=dict(os.environ, **(env or {})), errors="replace")
    except subprocess.TimeoutExpired:
        return "hang", ""
    # Warnings may precede the error line (a torn last line of a records file).
    err = [l for l in p.stderr.strip().splitlines() if not l.startswith(("warning: ", "bcd: warning: "))]
    if p.returncode < 0 or "Sanitizer" in p.stderr or "runtime error:" in p.stderr:
        return "crash", p.stderr
    if p.returncode == 0:
        return "success", p.stdout
    if len(err) == 1 and err[0].startswith("bcd: error: "):
        return "error", err[0]
    return "unclear", p.stderr


def bad_command_lines(tmp):
    onnx = os.path.join(tmp, "noise.onnx")
    with open(onnx, "wb") as f:
        f.write(os.urandom(512))
    records = os.path.join(tmp, "garbage.json")
    with open(records, "w") as f:
        f.write("{not json\n")
    empty_dir = os.path.join(tmp, "empty")
    os.makedirs(empty_dir, exist_ok=True)
    return [
        ["frobnicate"], ["tune", "--model", "nosuchmodel"], ["tune", "--model", onnx],
        ["tune", "--model", empty_dir], ["tune", "--num-trials", "-5"], ["tune", "--num-trials", "abc"],
        ["tune", "--num-measures-per-round", "0"], ["tune", "--strategy", "magic"],
        ["tune", "--population", "2000000000"], ["tune", "--num-iterations", "2000000000"],
        ["tune", "--split-rule-weights", "-1", "-1", "-1"], ["tune", "--bert-layers", "100000"],
        ["tune", "--image-size", "99999"], ["tune", "--target", "tpu"], ["tune", "--target", "llvm -lanes=zero"],
        ["tune", "--cost-model", "psychic"], ["tune", "--search-space", "tvm"], ["tune", "--batch", "0"],
        ["tune", "--seed", "x"], ["tune", "--timeout", "-1"], ["tune", "--log-dir", "/proc/nope"],
        ["tune-op", "nosuchop"], ["tune-op", "dense", "--params", "m=0"], ["tune-op", "dense", "--params", "m"],
        ["tune-op", "dense", "--params", "m=1,q=2"], ["tune-op", "dense", "--params", "m=99999999999999999999"],
        ["tune-op", "conv2d", "--params", "kernel=0"], ["tune-op", "conv2d", "--params", "layout=XYZW"],
        ["op", "dense", "--records", os.path.join(tmp, "missing.jsonl")], ["op", "dense", "--records", records],
        ["op", "dense", "--records", empty_dir], ["op", "pool2d", "--params", "kind=median"],
        ["op", "dense", "--params", "m=-3"], ["op", "reshape", "--params", "shape=2x-7"],
        ["run", "--model", "nosuchmodel"], ["run", "--records", empty_dir], ["run", "--records", records],
        ["run", "--package", onnx], ["run", "--package", os.path.join(tmp, "missing.so")],
        ["run", "--model", "squeezenet_v1.1", "--input", onnx], ["run", "--model", "squeezenet_v1.1", "--repeat", "0"],
        ["run", "--model", "squeezenet_v1.1", "--input", "nope.npy"],
        ["tasks", "--model", onnx], ["tasks", "--model", empty_dir], ["tasks", "--model", "bert", "--bert-seq-len", "0"],
        ["tasks", "--model", "resnet-18", "--input-shape", "x=1x3"], ["compile", "--model", "nosuchmodel"],
        ["compile", "--model", "squeezenet_v1.1", "-o", "/proc/nope/x.so"],
        ["compile", "--model", "squeezenet_v1.1", "--records", records],
        ["compare", empty_dir, empty_dir], ["compare", onnx], ["export-onnx", "--model", "nosuchmodel"],
        ["export-onnx", "--model", "squeezenet_v1.1", "-o", "/proc/nope/m.onnx"],
    ]


def mutate(data, rng):
    data = bytearray(data)
    kind = rng.randrange(4)
    if kind == 0 and data:  # flip bytes
        for _ in range(rng.randint(1, 16)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif kind == 1 and data:  # truncate
        data = data[:rng.randrange(len(data))]
    elif kind == 2 and data:  # a varint-sized field made huge
        at = rng.randrange(len(data))
        data[at:at + 1] = b"\xff\xff\xff\xff\x0f"
    else:  # splice two halves of the file
        cut = rng.randrange(len(data) + 1)
        data = data[cut:] + data[:cut]
    return bytes(data)


def mutated_onnx(bcd, tmp, rng, count):
    seeds_dir = os.path.join(ROOT, "fuzz", "corpus", "onnx_import_fuzz")
    seeds = sorted(os.listdir(seeds_dir))
    outcomes = []
    for i in range(count):
        with open(os.path.join(seeds_dir, rng.choice(seeds)), "rb") as f:
            data = mutate(f.read(), rng)
        path = os.path.join(tmp, f"mutant{i}.onnx")
        with open(path, "wb") as f:
            f.write(data)
        outcomes.append(run(bcd, ["tasks", "--model", path], timeout=60))
        os.remove(path)
    return outcomes


TUNE = ["tune-op", "dense", "--params", "m=16,n=16,k=16", "--num-measures-per-round", "4", "--population", "32",
        "--num-iterations", "1"]


def corrupted_records(bcd, tmp, rng, count):
    run_dir = os.path.join(tmp, "records-run")
    cls, out = run(bcd, TUNE + ["--num-trials", "8", "--log-dir", run_dir])
    if cls != "success":
        sys.exit(f"could not make a records file: {out}")
    with open(os.path.join(run_dir, "records.json")) as f:
        lines = f.read().splitlines()
    outcomes = []
    for i in range(count):
        mutant = list(lines)
        k = rng.randrange(len(mutant))
        how = rng.randrange(5)
        if how == 0:
            mutant[k] = mutant[k][:rng.randrange(len(mutant[k]))]
        elif how == 1:
            mutant[k] = mutate(mutant[k].encode(), rng).decode("latin-1")
        elif how == 2:
            mutant.insert(k, mutant[k])
        elif how == 3:
            r = json.loads(mutant[k])
            key = rng.choice(list(r.keys()))
            r[key] = rng.choice([None, -1, 1e308, "x", [], {}, [[["SP", 99, 99, 99, [0], 1]]]])
            mutant[k] = json.dumps(r)
        else:
            mutant[k] = mutant[k].replace("1", "-", 1)
        path = os.path.join(tmp, f"records{i}.json")
        with open(path, "w") as f:
            f.write("\n".join(mutant) + "\n")
        outcomes.append(run(bcd, ["op", "dense", "--params", "m=16,n=16,k=16", "--records", path], timeout=120))
    return outcomes


def kills(bcd, tmp, rng, count):
    """kill -9 at a random moment, then resume: every record before the kill stays."""
    outcomes = []
    for i in range(count):
        run_dir = os.path.join(tmp, f"kill{i}")
        args = [bcd] + TUNE + ["--num-trials", "24", "--log-dir", run_dir]
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 6.0))
        p.send_signal(signal.SIGKILL)
        p.wait()
        path = os.path.join(run_dir, "records.json")
        before = open(path).read().splitlines() if os.path.exists(path) else []
        cls, out = run(bcd, TUNE + ["--num-trials", "24", "--log-dir", run_dir, "--resume"], timeout=300)
        after = open(path).read().splitlines() if os.path.exists(path) else []
        whole = [l for l in before if l.endswith("}")]
        if any(l not in after for l in whole):
            cls = "lost"
        outcomes.append((cls, out))
    return outcomes


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bcd", default=os.path.join(ROOT, "build", "bcd"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mutants", type=int, default=200)
    ap.add_argument("--kills", type=int, default=8)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    tmp = tempfile.mkdtemp(prefix="bcd-campaign-")
    env_cache = os.path.join(tmp, "cache")
    os.environ["BCD_CACHE_DIR"] = env_cache
    categories = [
        ("bad command lines", [run(a.bcd, args, timeout=300) for args in bad_command_lines(tmp)]),
        ("mutated ONNX models", mutated_onnx(a.bcd, tmp, rng, a.mutants)),
        ("corrupted records", corrupted_records(a.bcd, tmp, rng, a.mutants // 4)),
        ("kill -9, then resume", kills(a.bcd, tmp, rng, a.kills)),
    ]
    kinds = ["error", "success", "unclear", "crash", "hang", "lost"]
    print(f"| category | tried | {' | '.join(kinds)} |")
    print("|---|---:|" + "---:|" * len(kinds))
    bad = 0
    for name, outcomes in categories:
        counts = [sum(1 for c, _ in outcomes if c == k) for k in kinds]
        bad += sum(counts[3:])
        print(f"| {name} | {len(outcomes)} | {' | '.join(map(str, counts))} |")
    for name, outcomes in categories:
        for c, out in outcomes:
            if c in ("unclear", "crash", "hang", "lost"):
                print(f"{name}: {c}: {out.strip()[:300]}")
    for args, (c, _) in zip(bad_command_lines(tmp), categories[0][1]):
        if c == "success":
            print("bad command line that succeeded: bcd " + " ".join(args))
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
