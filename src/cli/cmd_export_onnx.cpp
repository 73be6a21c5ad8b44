// `bcd export-onnx --model M --out FILE`: writes a model (a zoo name, or an .onnx
// file to re-export) as a standard ONNX file with all its weights, so that other
// runtimes (bench/ort: ONNX Runtime) can run exactly our network.
#include <fmt/format.h>

#include <filesystem>

#include "cli/commands.h"
#include "cli/model_options.h"
#include "frontends/onnx.h"
#include "support/error.h"

namespace bcd::cli {

namespace {

struct ExportOnnxOptions {
  api::ModelSpec model;
  std::string out;
};

int run_export_onnx(const ExportOnnxOptions& o) {
  // As written unless a layout is asked for: "auto" is about the programs bcd
  // builds, and another runtime chooses its own.
  graph::Graph g = o.model.layout == "auto" ? o.model.load_as_written() : o.model.load_for(Target::cpu()).graph();
  frontends::export_onnx(g, o.out);
  int64_t weights = 0;
  std::string inputs;
  for (const graph::Node& n : g.nodes()) {
    if (n.op == graph::OpType::Constant) weights += shape_size(n.shape);
    if (n.op == graph::OpType::Input)
      inputs += fmt::format("{}{} {}", inputs.empty() ? "" : ", ", n.name, shape_string(n.shape));
  }
  fmt::print("wrote {}: model {}, {} nodes, {:.1f}M weights, {:.1f} MB; inputs: {}\n", o.out,
             o.model.model, g.size(), weights / 1e6, std::filesystem::file_size(o.out) / 1e6, inputs);
  return 0;
}

}  // namespace

CommandRunner add_export_onnx_command(CLI::App& app) {
  auto o = std::make_shared<ExportOnnxOptions>();
  CLI::App* cmd =
      app.add_subcommand("export-onnx", "write a model as an ONNX file (weights included)");
  add_model_options(cmd, o->model);
  cmd->add_option("--out", o->out, "the ONNX file to write")->required();
  return [o] { return run_export_onnx(*o); };
}

}  // namespace bcd::cli
