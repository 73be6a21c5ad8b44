"""The Python package against the command line: bcd.compile's package, loaded with
bcd.load, gives on NumPy arrays what `bcd run --model` computes (itself checked
against the reference executor); bcd.tune reports progress to a callback; every
failure is a bcd.Error with one line; `pip install` offline gives the same package.

Run by ctest (tests/python/CMakeLists.txt wiring in the top CMakeLists.txt) with
BCD_BINARY, BCD_BUILD_DIR and PYTHONPATH set."""
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

import numpy as np

import bcd

BCD = os.environ["BCD_BINARY"]


def scratch_dir(case, prefix):
    """A temporary folder, removed when the test (or, given the class, the class) ends:
    the zoo's packages alone take 300 MB per run."""
    d = tempfile.mkdtemp(prefix=prefix)
    cleanup = case.addClassCleanup if isinstance(case, type) else case.addCleanup
    cleanup(shutil.rmtree, d, True)
    return d


def bcd_cli(*args, cwd=None):
    r = subprocess.run([BCD, *args], cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError("bcd {} failed:\n{}{}".format(" ".join(args), r.stdout, r.stderr))
    return r.stdout


class PackageFromPython(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = scratch_dir(cls, "bcd-python-")
        cls.package = os.path.join(cls.dir, "sq.so")
        summary = bcd.compile("squeezenet_v1.1", output=cls.package, image_size=32)
        assert summary["tasks"] > 5 and summary["tuned_tasks"] == 0, summary

    def test_outputs_match_the_command_lines_network(self):
        model = bcd.load(self.package)
        self.assertEqual(model.inputs, [("data", [1, 3, 32, 32])])
        self.assertEqual(model.metadata["model"], "squeezenet_v1.1")
        x = np.random.default_rng(3).standard_normal((1, 3, 32, 32), dtype=np.float32)
        np.save(os.path.join(self.dir, "x.npy"), x)
        bcd_cli("run", "--model", "squeezenet_v1.1", "--image-size", "32", "--repeat", "1", "--input", "x.npy",
                "--output", "y.npy", cwd=self.dir)
        want = np.load(os.path.join(self.dir, "y.npy"))
        (name, got), = model.run(data=x).items()
        self.assertEqual(name, model.outputs[0][0])
        self.assertEqual(got.dtype, np.float32)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        # By position, and from float64 (converted once).
        np.testing.assert_allclose(model.run(x.astype(np.float64))[name], want, rtol=1e-5, atol=1e-6)

    def test_a_profiled_run_times_every_step(self):
        model = bcd.load(self.package)
        x = np.random.default_rng(5).standard_normal((1, 3, 32, 32), dtype=np.float32)
        outputs, steps = model.run_profiled(x)
        self.assertEqual(len(steps), model.metadata["steps"])
        self.assertEqual([task for task, _ in steps], [s["task"] for s in model.metadata["step_tasks"]])
        self.assertTrue(all(seconds > 0 for _, seconds in steps), steps)
        for name, value in model.run(x).items():
            np.testing.assert_array_equal(outputs[name], value)

    def test_instances_in_threads_match_serial_runs(self):
        rng = np.random.default_rng(4)
        xs = [rng.standard_normal((1, 3, 32, 32), dtype=np.float32) for _ in range(4)]
        serial = [bcd.load(self.package).run(x) for x in xs]
        results = [None] * 4

        def work(i):
            model = bcd.load(self.package)
            results[i] = [model.run(xs[(i + k) % 4]) for k in range(4)]

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for i in range(4):
            for k in range(4):
                for name, value in results[i][k].items():
                    np.testing.assert_array_equal(value, serial[(i + k) % 4][name])

    def test_errors_are_bcd_errors_with_one_line(self):
        model = bcd.load(self.package)
        cases = [
            (lambda: bcd.load(os.path.join(self.dir, "absent.so")), "cannot open package"),
            (lambda: model.run(data=np.zeros((1, 3, 8, 8))), "has shape [1,3,32,32], the array holds [1,3,8,8]"),
            (lambda: model.run(pixels=np.zeros((1, 3, 32, 32))), "'pixels' is not an input (inputs: data)"),
            (lambda: model.run(), "run takes 1 inputs"),
            (lambda: bcd.compile("no_such_model", output=os.path.join(self.dir, "x.so")), "no_such_model"),
        ]
        for call, part in cases:
            with self.assertRaises(bcd.Error) as caught:
                call()
            message = str(caught.exception)
            self.assertIn(part, message)
            self.assertNotIn("\n", message)


def small_variant(name):
    """The zoo options of the C++ tests' small variants (tests/package/package_test.cpp)."""
    if name == "bert":
        return {"bert_layers": 2, "bert_seq_len": 16}, ["--bert-layers", "2", "--bert-seq-len", "16"]
    size = 75 if name == "inception_v3" else 32
    return {"image_size": size}, ["--image-size", str(size)]


class PythonZoo(unittest.TestCase):
    """Every zoo model (half of them per shard, BCD_ZOO_SHARD=0 or 1): the package
    from bcd.compile, run from Python, gives what `bcd run --model` computes on the
    same input (itself checked against the reference executor there)."""

    def test_every_model_matches_the_command_line(self):
        shard = int(os.environ.get("BCD_ZOO_SHARD", "0"))
        names = bcd.zoo_models()[shard::2]
        self.assertGreaterEqual(len(names), 4)
        d = scratch_dir(self, "bcd-python-zoo-")
        for name in names:
            with self.subTest(model=name):
                options, flags = small_variant(name)
                package = os.path.join(d, name + ".so")
                bcd.compile(name, output=package, **options)
                model = bcd.load(package)
                inputs = {n: np.random.default_rng(5).uniform(-1, 1, shape).astype(np.float32)
                          for n, shape in model.inputs}
                np.savez(os.path.join(d, "in.npz"), **inputs)
                out = bcd_cli("run", "--model", name, *flags, "--repeat", "1", "--input", "in.npz", "--output",
                              "out.npz", cwd=d)
                self.assertIn("--input files): PASS", out)
                want = np.load(os.path.join(d, "out.npz"))
                got = model.run(**inputs)
                self.assertEqual(sorted(got), sorted(want.files))
                for key in want.files:
                    np.testing.assert_allclose(got[key], want[key], rtol=1e-4, atol=1e-5)


class TuneFromPython(unittest.TestCase):
    def test_tune_reports_rounds_and_its_records_compile(self):
        import onnx
        from onnx import TensorProto, helper, numpy_helper

        d = scratch_dir(self, "bcd-python-tune-")
        w = numpy_helper.from_array(np.random.default_rng(0).standard_normal((32, 64), dtype=np.float32), "w")
        graph = helper.make_graph(
            [helper.make_node("MatMul", ["x", "w"], ["h"]), helper.make_node("Relu", ["h"], ["y"])], "dense",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [8, 32])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [8, 64])], [w])
        path = os.path.join(d, "dense.onnx")
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
        events = []
        run = bcd.tune(path, num_trials=8, num_measures_per_round=4, log_dir=os.path.join(d, "run"),
                       progress=events.append)
        rounds = [e for e in events if "round" in e]
        self.assertGreaterEqual(len(rounds), 2, events)
        self.assertEqual(rounds[-1]["trials"], run["trials"])
        self.assertEqual(run["trials"], 8)
        self.assertIsNotNone(run["estimated_latency_seconds"])
        summary = bcd.compile(path, records=run["records"], output=os.path.join(d, "dense.so"))
        self.assertEqual(summary["tuned_tasks"], 1)
        x = np.random.default_rng(1).standard_normal((8, 32), dtype=np.float32)
        y = bcd.load(os.path.join(d, "dense.so")).run(x=x)["y"]
        np.testing.assert_allclose(y, np.maximum(x @ numpy_helper.to_array(w), 0), rtol=1e-4, atol=1e-4)

        # A time limit ends the run after the round in progress, with what it measured.
        events = []
        limited = bcd.tune(path, num_trials=100000, num_measures_per_round=4, time_limit=1,
                           log_dir=os.path.join(d, "limited"), progress=events.append)
        self.assertGreater(limited["trials"], 0)
        self.assertLess(limited["trials"], 100000)
        self.assertTrue(any("time limit" in str(e) for e in events), events)


class PipInstall(unittest.TestCase):
    def test_pip_install_offline_gives_the_same_package(self):
        target = scratch_dir(self, "bcd-python-pip-")
        source = os.path.join(os.environ["BCD_SOURCE_DIR"], "python")
        build = scratch_dir(self, "bcd-python-pip-build-")
        # A copy of the sources: pip and setuptools write their build folders there.
        subprocess.run(["cp", "-r", source + "/.", build], check=True)
        r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-index", "--no-deps",
                            "--target", target, build], capture_output=True, text=True,
                           env={**os.environ, "BCD_BUILD_DIR": os.environ["BCD_BUILD_DIR"]})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        check = subprocess.run([sys.executable, "-c", "import bcd; print(bcd.__file__, bcd.__version__)"],
                               capture_output=True, text=True, env={**os.environ, "PYTHONPATH": target})
        self.assertEqual(check.returncode, 0, check.stderr)
        self.assertTrue(check.stdout.startswith(target), check.stdout)


if __name__ == "__main__":
    unittest.main()
