#include "package/package_fixtures.h"

#include "frontends/zoo.h"
#include "package/package_writer.h"
#include "testing/scratch_dir.h"

namespace bcd::testutil {

std::string compile_package(const graph::Graph& graph, const std::vector<tuning::Record>& records,
                            const std::string& name) {
  static const ScratchDir dir("bcd-test-packages");
  std::string path = (dir.path() / (name + ".so")).string();
  package::write_package(graph, records, path, {.model = name, .model_hash = "test"});
  return path;
}

graph::Graph small_squeezenet() { return frontends::build_model("squeezenet_v1.1", {.image_size = 32}); }

const std::string& small_squeezenet_package() {
  static const std::string path = compile_package(small_squeezenet(), {}, "squeezenet32");
  return path;
}

std::vector<NDArray> run_package(bcd::Model& model, const std::vector<NDArray>& inputs) {
  std::vector<NDArray> outputs;
  std::vector<std::span<const float>> in;
  std::vector<std::span<float>> out;
  for (const NDArray& a : inputs) in.emplace_back(a.data(), a.size());
  for (int i = 0; i < model.num_outputs(); ++i) {
    NDArray& o = outputs.emplace_back(model.output(i).shape);
    out.emplace_back(o.data(), o.size());
  }
  model.run(in, out);
  return outputs;
}

}  // namespace bcd::testutil
