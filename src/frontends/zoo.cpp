#include "frontends/zoo.h"

#include <functional>

#include "frontends/onnx.h"
#include <utility>

#include "support/error.h"

namespace bcd::frontends {

namespace {

using Builder = std::function<graph::Graph(const ZooOptions&)>;

const std::vector<std::pair<std::string, Builder>>& registry() {
  static const std::vector<std::pair<std::string, Builder>> models = {
      {"squeezenet_v1.1", build_squeezenet},
      {"resnet-18", [](const ZooOptions& o) { return build_resnet18(o, ops::Layout::NHWC); }},
      {"mxnet", [](const ZooOptions& o) { return build_resnet18(o, ops::Layout::NCHW); }},
      {"mobilenet", build_mobilenet},
      {"mobilenetv2", build_mobilenet_v2},
      {"vgg-16", [](const ZooOptions& o) { return build_vgg(o, 16); }},
      {"vgg-19", [](const ZooOptions& o) { return build_vgg(o, 19); }},
      {"efficientnet", build_efficientnet_b0},
      {"inception_v3", build_inception_v3},
      {"bert", build_bert},
  };
  return models;
}

}  // namespace

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [name, builder] : registry()) n.push_back(name);
    return n;
  }();
  return names;
}

graph::Graph build_model(const std::string& name, const ZooOptions& options) {
  for (const auto& [model, builder] : registry())
    if (model == name) return builder(options);
  // An ONNX file is the network as it is: the zoo's options do not apply.
  if (name.size() > 5 && name.compare(name.size() - 5, 5, ".onnx") == 0) return import_onnx(name);
  std::string known;
  for (const std::string& n : model_names()) known += (known.empty() ? "" : ", ") + n;
  fail("unknown model '{}' (known: {}; or a path to an .onnx file)", name, known);
}

}  // namespace bcd::frontends
