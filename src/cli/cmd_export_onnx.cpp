// `bcd export-onnx --model M --out FILE`: writes a model (a zoo name, or an .onnx
// file to re-export) as a standard ONNX file with all its weights, so that other
// runtimes (bench/ort: ONNX Runtime) can run exactly our network.
#include <fmt/format.h>

#include <filesystem>

#include "cli/commands.h"
#include "frontends/onnx.h"
#include "frontends/zoo.h"
#include "support/error.h"

namespace bcd::cli {

namespace {

struct ExportOnnxOptions {
  std::string model = "squeezenet_v1.1";
  std::string out;
  uint64_t seed = 0;
  int64_t image_size = 0;
};

int run_export_onnx(const ExportOnnxOptions& o) {
  frontends::ZooOptions zoo;
  zoo.seed = o.seed;
  zoo.image_size = o.image_size;
  graph::Graph g = frontends::build_model(o.model, zoo);
  frontends::export_onnx(g, o.out);
  int64_t weights = 0;
  std::string inputs;
  for (const graph::Node& n : g.nodes()) {
    if (n.op == graph::OpType::Constant) weights += shape_size(n.shape);
    if (n.op == graph::OpType::Input)
      inputs += fmt::format("{}{} {}", inputs.empty() ? "" : ", ", n.name, shape_string(n.shape));
  }
  fmt::print("wrote {}: model {}, {} nodes, {:.1f}M weights, {:.1f} MB; inputs: {}\n", o.out,
             o.model, g.size(), weights / 1e6, std::filesystem::file_size(o.out) / 1e6, inputs);
  return 0;
}

}  // namespace

CommandRunner add_export_onnx_command(CLI::App& app) {
  auto o = std::make_shared<ExportOnnxOptions>();
  CLI::App* cmd =
      app.add_subcommand("export-onnx", "write a model as an ONNX file (weights included)");
  cmd->add_option("--model", o->model, "zoo model name or .onnx path")->capture_default_str();
  cmd->add_option("--out", o->out, "the ONNX file to write")->required();
  cmd->add_option("--seed", o->seed, "seed of the zoo's random weights")->capture_default_str();
  cmd->add_option("--image-size", o->image_size, "image height and width (0: the model's own)")
      ->capture_default_str();
  return [o] { return run_export_onnx(*o); };
}

}  // namespace bcd::cli
