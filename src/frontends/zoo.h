// The built-in model zoo: the networks of the artifact's scripts, batch 1, float32,
// with deterministic random weights (the schedules, not the accuracy, are what we
// tune). Layouts follow the artifact: NHWC except squeezenet_v1.1 and mxnet (NCHW).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace bcd::frontends {

struct ZooOptions {
  uint64_t seed = 0;
  // Image height and width; 0 keeps the model's own (224, inception_v3: 299). Tests
  // use small images to run the slow reference executor.
  int64_t image_size = 0;
  // BERT only; 0 keeps BERT-base's 12 layers and 128 tokens.
  int bert_layers = 0;
  int64_t bert_seq_len = 0;
};

// A name ending in ".onnx" is a file to import (import_onnx in onnx.h; `options` do
// not apply). Fails with "unknown model 'x' (known: ...; or a path to an .onnx
// file)" for any other name not in model_names().
graph::Graph build_model(const std::string& name, const ZooOptions& options = {});
const std::vector<std::string>& model_names();

// The builders behind build_model (zoo_*.cpp).
graph::Graph build_squeezenet(const ZooOptions& options);
graph::Graph build_resnet18(const ZooOptions& options, ops::Layout layout);
graph::Graph build_vgg(const ZooOptions& options, int depth);
graph::Graph build_mobilenet(const ZooOptions& options);
graph::Graph build_mobilenet_v2(const ZooOptions& options);
graph::Graph build_efficientnet_b0(const ZooOptions& options);
graph::Graph build_inception_v3(const ZooOptions& options);
graph::Graph build_bert(const ZooOptions& options);

}  // namespace bcd::frontends
