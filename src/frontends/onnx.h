// ONNX import and export of model graphs (onnx_import.cpp with onnx_import_ops.cpp,
// and onnx_export.cpp), over the onnx.proto classes of Debian's libonnx-dev.
//
// The writer emits standard ONNX (opset 17, float32 initializers holding every
// weight) that ONNX Runtime runs; NHWC operators (which ONNX lacks) are wrapped in
// Transposes to and from NCHW, and the importer folds such a wrapped operator back
// into one NHWC node, so that a file written by export_onnx re-imports to an
// identical graph: same nodes in the same order, same ops, attributes, shapes,
// input ids, names and bit-identical weights. Which ONNX form each of our ops takes,
// and the operators the importer accepts, are listed at the top of onnx_export.cpp
// and onnx_import.cpp. The files pass ONNX 1.12's checker with strict shape
// inference and run in ONNX Runtime (bench/ort).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace bcd::frontends {

// Whether this build has ONNX support (libonnx-dev and libprotobuf-dev were found);
// without it import and export fail with a one-line error saying so.
bool onnx_available();

// The shapes of graph inputs by name, for dimensions the file leaves dynamic
// ("batch"); a dimension the file fixes must agree. Every name must be an input.
using InputShapes = std::map<std::string, std::vector<int64_t>>;

// Parses "NAME=1x3x224x224" (the --input-shape flag) into `shapes`; fails naming the
// text on a missing name, a bad dimension or a name given twice.
void parse_input_shape(const std::string& text, InputShapes& shapes);

// Reads an ONNX model file. Fails with one line naming the file and the problem:
// not an ONNX model (unparsable, empty, no graph), an unsupported operator (its type
// and node name), an unsupported attribute value, a dynamic or non-float input, a
// reference to an undefined value; a dynamic input dimension `shapes` does not bind
// (naming the input, the dimension and the --input-shape flag).
graph::Graph import_onnx(const std::string& path, const InputShapes& shapes = {});
// The same from a serialized ModelProto in memory; `what` names it in errors.
graph::Graph import_onnx_bytes(const std::string& bytes, const std::string& what = "onnx model",
                               const InputShapes& shapes = {});

// Writes `graph` with all its weights (lazily generated constants are materialized,
// and stay cached in the graph). Fails on a file that cannot be written.
void export_onnx(const graph::Graph& graph, const std::string& path);
std::string export_onnx_bytes(const graph::Graph& graph);

}  // namespace bcd::frontends
