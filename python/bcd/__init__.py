"""bcd: tune a neural network, compile it into a package, run it on NumPy arrays.

    import bcd
    run = bcd.tune("squeezenet_v1.1", num_trials=100, progress=print)
    bcd.compile("squeezenet_v1.1", records=run["records"], output="model.so")
    model = bcd.load("model.so")
    scores = model.run(data=image)["squeezenet0_flatten0_reshape0"]

Every failure raises bcd.Error with bcd's one-line message.
"""
import json

from ._bcd import Error, __version__, tune, zoo_models
from ._bcd import Model as _Model
from ._bcd import compile as _compile

__all__ = ["Error", "Model", "load", "tune", "compile", "zoo_models", "__version__"]


class Model:
    """One instance of a compiled package. Not reentrant: run one instance from one
    thread at a time; load the package again for another thread."""

    def __init__(self, path):
        self._model = _Model(str(path))
        self.path = str(path)
        self.metadata = json.loads(self._model.metadata_json)

    @property
    def inputs(self):
        """[(name, shape)] in input order."""
        return self._model.inputs

    @property
    def outputs(self):
        """[(name, shape)] in output order."""
        return self._model.outputs

    def run(self, *args, **inputs):
        """Runs on float arrays, by position or by input name; returns
        {output name: float32 array}. Float32 C-contiguous inputs are read in place."""
        return self._model.run(*args, **inputs)

    def run_profiled(self, *args, **inputs):
        """Runs as run() does; returns (outputs, [(task, seconds)]): the time of
        each step of the network, in execution order."""
        return self._model.run_profiled(*args, **inputs)

    def __repr__(self):
        return "bcd.Model({!r}, inputs={}, outputs={})".format(self.path, self.inputs, self.outputs)


def load(path):
    """Loads a package written by `bcd compile` (or bcd.compile)."""
    return Model(path)


def compile(model, records="", output="model.so", target="llvm", image_size=0, bert_layers=0, bert_seq_len=0,
            input_shapes=None):
    """Compiles `model` (a zoo name or an .onnx path) with the best schedules of
    `records` into the package `output`; returns a summary dict. The zoo's size
    options and `input_shapes` ({name: shape}, for .onnx inputs with dynamic
    dimensions) mean what the command line's do."""
    return _compile(str(model), str(records or ""), str(output), target, image_size, bert_layers, bert_seq_len,
                    input_shapes or {})
