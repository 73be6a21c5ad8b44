#!/usr/bin/python3
"""Runs every ONNX backend node test through bcd (the OnnxConformanceReport test) and
writes docs/onnx_conformance.md: each operator of the ONNX operator set as supported,
supported with limits (which), or not, with the counts for the README. With --claim
it also rewrites tests/frontends/onnx_conformance_claimed.txt (every passing test).

    /usr/bin/python3 tools/onnx_conformance_table.py [--build build] [--claim]
"""
import argparse
import collections
import os
import subprocess
import sys
import tempfile

import onnx
import onnx.defs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--claim", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.tsv")
        env = dict(os.environ, BCD_ONNX_CONFORMANCE_REPORT=report)
        subprocess.run([os.path.join(args.build, "bcd_tests"), "--gtest_filter=OnnxConformanceReport.*"], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        rows = [line.rstrip("\n").split("\t") for line in open(report)]
    node_dir = os.path.join(tempfile.gettempdir(), "bcd-onnx-node-tests", "node")
    # Each test's operator: the type of its one node (expanded tests, which spell an
    # operator with others, count toward the totals only).
    by_op = collections.defaultdict(list)
    float_tests = passed = 0
    for name, result, reason in (r + [""] * (3 - len(r)) for r in rows):
        if reason == "not float32":
            continue
        float_tests += 1
        passed += result == "pass"
        if name.endswith("_expanded"):
            continue
        model = onnx.load(os.path.join(node_dir, name, "model.onnx"))
        ops = {n.op_type for n in model.graph.node}
        if len(ops) == 1:
            by_op[ops.pop()].append((name, result == "pass", reason))
    schemas = sorted({s.name for s in onnx.defs.get_all_schemas() if s.domain == "" and not s.deprecated})
    supported, limited, unsupported, untested = [], [], [], []
    for op in schemas:
        tests = by_op.get(op, [])
        ok = [t for t in tests if t[1]]
        if not tests:
            untested.append(op)
        elif len(ok) == len(tests):
            supported.append((op, len(ok)))
        elif ok:
            failing = [t for t in tests if not t[1]]
            limited.append((op, len(ok), len(tests), failing))
        else:
            unsupported.append((op, tests[0][2]))
    lines = [
        "# ONNX operator conformance",
        "",
        "The node tests of the ONNX backend test suite (generated from Debian's",
        f"python3-onnx {onnx.__version__}), each one operator with inputs and expected outputs, imported by",
        "bcd and run by its executor with default schedules, compared at the suite's tolerance",
        "(`tests/frontends/onnx_conformance_test.cpp`; made by `tools/onnx_conformance_table.py`).",
        f"Float32 tests only: {passed} of {float_tests} pass (of {len(rows)} node tests in all).",
        "",
        f"Of the {len(schemas)} operators of the ONNX operator set (default domain): "
        f"{len(supported)} supported, {len(limited)} supported with limits, {len(unsupported)} not supported, "
        f"{len(untested)} without a float32 node test here.",
        "",
        "## Supported (every float32 node test passes)",
        "",
        ", ".join(f"{op} ({n})" for op, n in supported),
        "",
        "## Supported with limits",
        "",
        "| operator | tests passed | what fails |",
        "|---|---|---|",
    ]
    for op, ok, total, failing in limited:
        reasons = sorted({f"{t[0].replace('test_', '')}: {t[2]}" for t in failing})
        shown = "; ".join(reasons[:3]) + (f"; and {len(reasons) - 3} more" if len(reasons) > 3 else "")
        lines.append(f"| {op} | {ok} of {total} | {shown.replace('|', '/')} |")
    lines += ["", "## Not supported", "", "| operator | why (first test) |", "|---|---|"]
    for op, reason in unsupported:
        lines.append(f"| {op} | {reason.replace('|', '/')} |")
    lines += ["", "## Without a float32 node test here", "", ", ".join(untested), ""]
    with open(os.path.join(ROOT, "docs", "onnx_conformance.md"), "w") as f:
        f.write("\n".join(lines))
    if args.claim:
        with open(os.path.join(ROOT, "tests", "frontends", "onnx_conformance_claimed.txt"), "w") as f:
            f.write("# ONNX backend node tests (python3-onnx) that bcd imports and runs to the suite's\n"
                    "# tolerance: every one must pass (tests/frontends/onnx_conformance_test.cpp). Regenerate\n"
                    "# with tools/onnx_conformance_table.py --claim after a change that makes more pass.\n")
            for name, result, *_ in rows:
                if result == "pass":
                    f.write(name + "\n")
    print(f"{passed} of {float_tests} float32 node tests pass; operators: {len(supported)} supported, "
          f"{len(limited)} with limits, {len(unsupported)} not, {len(untested)} untested, of {len(schemas)}")


if __name__ == "__main__":
    sys.exit(main())
