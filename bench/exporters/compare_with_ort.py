#!/usr/bin/python3
"""Imports, runs and checks every model export_models.py wrote: bcd's output on the
model's seeded input against ONNX Runtime's (bench/ort) on the same input.

    /usr/bin/python3 bench/exporters/compare_with_ort.py DIR [--bcd build/bcd] [--only NAME,...]

Prints one table row per .onnx file: model, opset, whether bcd imported it (or the
first line of its error), and the largest error of bcd's output relative to the
largest magnitude of ONNX Runtime's. bcd runs default schedules (no records): this
checks the importer and the engine, not tuned speed.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--bcd", default=os.path.join(HERE, "..", "..", "build", "bcd"))
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    ort = os.path.join(HERE, "..", "ort", "ort_time.js")
    rows = []
    for path in sorted(glob.glob(os.path.join(args.dir, "*.onnx"))):
        m = re.match(r"(.*)\.opset(\d+)\.onnx$", os.path.basename(path))
        if not m or (args.only and m.group(1) not in args.only.split(",")):
            continue
        name, opset = m.group(1), m.group(2)
        x = np.load(os.path.join(args.dir, f"{name}.input.npy"))
        with tempfile.TemporaryDirectory() as tmp:
            raw_in, raw_out, ours = (os.path.join(tmp, f) for f in ("x.raw", "ort.raw", "bcd.npy"))
            x.astype("<f4").tofile(raw_in)
            r = run(["node", ort, path, "--in", raw_in, "--out", raw_out, "--repeat", "1", "--warmup", "0"])
            if r.returncode != 0:
                rows.append((name, opset, "ORT failed: " + (r.stderr.strip().splitlines() or ["?"])[-1], ""))
                continue
            expected = np.fromfile(raw_out, dtype="<f4")
            r = run([args.bcd, "run", "--model", path, "--input", os.path.join(args.dir, f"{name}.input.npy"),
                     "--output", ours, "--no-verify", "--repeat", "1"])
            if r.returncode != 0:
                rows.append((name, opset, (r.stderr.strip().splitlines() or ["?"])[0].replace("bcd: error: ", ""), ""))
                continue
            got = np.load(ours).reshape(-1)
            if got.size != expected.size:
                rows.append((name, opset, f"output has {got.size} values, ORT's {expected.size}", ""))
                continue
            err = float(np.max(np.abs(got - expected)) / max(float(np.max(np.abs(expected))), 1e-30))
            rows.append((name, opset, "yes", f"{err:.2e}"))
        print("\t".join(rows[-1]), flush=True)
    print()
    print("| model | opset | import | max rel error vs ONNX Runtime |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    sys.exit(main())
