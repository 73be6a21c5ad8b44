#include "api/tune_config.h"

#include <fmt/ranges.h>

#include <set>

#include "graph/convert_layout.h"
#include "graph/tasks.h"
#include "search/target.h"
#include "support/error.h"

namespace bcd::api {

namespace {

// How many of `graph`'s tasks `records` hold a record of.
int tasks_with_records(const graph::Graph& graph, const std::vector<tuning::Record>& records) {
  std::set<std::string> keys;
  for (const tuning::Record& r : records) keys.insert(r.workload_key);
  int n = 0;
  for (const graph::Task& t : graph::extract_tasks(graph).tasks) n += keys.count(t.workload_key) ? 1 : 0;
  return n;
}

}  // namespace

ModelSpec::Loaded ModelSpec::load_for(const Target& target, const std::vector<tuning::Record>& records) const {
  if (layout != "auto" && layout != "keep" && layout != "NHWC")
    fail("unknown layout '{}' (auto, keep or NHWC)", layout);
  Loaded m{*this, load_as_written(), std::nullopt};
  if (layout == "auto")
    m.spec.layout = target.is_gpu() || !graph::has_nchw_image_operators(m.written) ? "keep" : "NHWC";
  if (m.spec.layout == "keep") return m;
  m.converted = graph::convert_to_nhwc(m.written);
  if (layout == "auto" && !records.empty() &&
      tasks_with_records(m.written, records) > tasks_with_records(*m.converted, records)) {
    m.spec.layout = "keep";
    m.converted.reset();
  }
  return m;
}

graph::Graph ModelSpec::load_as_written() const {
  // Bounds far above any real model, so that a typo cannot build a graph that
  // exhausts memory before anything says why.
  if (zoo.image_size < 0 || zoo.image_size > 8192) fail("--image-size must be between 1 and 8192, not {}", zoo.image_size);
  if (zoo.bert_layers < 0 || zoo.bert_layers > 1000) fail("--bert-layers must be between 1 and 1000, not {}", zoo.bert_layers);
  if (zoo.bert_seq_len < 0 || zoo.bert_seq_len > 65536)
    fail("--bert-seq-len must be between 1 and 65536, not {}", zoo.bert_seq_len);
  const bool onnx = model.size() > 5 && model.compare(model.size() - 5, 5, ".onnx") == 0;
  if (!onnx) {
    if (!input_shapes.empty())
      fail("--input-shape applies to .onnx models, and '{}' is a zoo model (its sizes: --image-size, "
           "--bert-seq-len)",
           model);
    return frontends::build_model(model, zoo);
  }
  for (const auto& [flag, value] : {std::pair<const char*, int64_t>{"--image-size", zoo.image_size},
                                    {"--bert-layers", zoo.bert_layers},
                                    {"--bert-seq-len", zoo.bert_seq_len}})
    if (value != 0)
      fail("{} applies to zoo models, not to the ONNX file {} (its input sizes: --input-shape NAME=DIMS)", flag,
           model);
  return frontends::import_onnx(model, input_shapes);
}

std::string ModelSpec::flags() const {
  std::string out = "--model " + model;
  for (const auto& [flag, value] : {std::pair<const char*, int64_t>{"--image-size", zoo.image_size},
                                    {"--bert-layers", zoo.bert_layers},
                                    {"--bert-seq-len", zoo.bert_seq_len},
                                    {"--weight-seed", static_cast<int64_t>(zoo.seed)}})
    if (value != 0) out += fmt::format(" {} {}", flag, value);
  for (const auto& [name, dims] : input_shapes) out += fmt::format(" --input-shape {}={}", name, fmt::join(dims, "x"));
  if (layout != "auto") out += " --layout " + layout;
  return out;
}

nlohmann::json ModelSpec::identity() const {
  nlohmann::json id = {{"model", model},
                       {"image_size", zoo.image_size},
                       {"bert_layers", zoo.bert_layers},
                       {"bert_seq_len", zoo.bert_seq_len},
                       {"weight_seed", zoo.seed}};
  if (!input_shapes.empty()) id["input_shapes"] = input_shapes;
  if (layout == "auto") fail("internal error: the model's layout is not decided yet (ModelSpec::load_for)");
  if (layout != "keep") id["layout"] = layout;  // absent in runs from before the option
  return id;
}

ModelSpec ModelSpec::from_identity(const nlohmann::json& id) {
  ModelSpec spec;
  try {
    spec.model = id.at("model").get<std::string>();
    spec.zoo.image_size = id.value("image_size", int64_t{0});
    spec.zoo.bert_layers = id.value("bert_layers", 0);
    spec.zoo.bert_seq_len = id.value("bert_seq_len", int64_t{0});
    spec.zoo.seed = id.value("weight_seed", uint64_t{0});
    if (id.contains("input_shapes")) spec.input_shapes = id.at("input_shapes").get<frontends::InputShapes>();
    spec.layout = id.value("layout", std::string("keep"));
  } catch (const nlohmann::json::exception& e) {
    fail("malformed model in a run's description: {}", e.what());
  }
  return spec;
}

SearchSpace parse_search_space(const std::string& name) {
  if (name == "bcd") return SearchSpace::Bcd;
  if (name == "ansor") return SearchSpace::Ansor;
  fail("unknown search space '{}' (bcd or ansor)", name);
}

std::string search_space_name(SearchSpace space) { return space == SearchSpace::Ansor ? "ansor" : "bcd"; }

Target configured_target(const TuneConfig& config) {
  std::string spec = config.target;
  if (!config.layout_rewrite.empty()) spec += " -layout-rewrite=" + config.layout_rewrite;
  Target t = search::resolve_target(spec);
  if (config.search_space == SearchSpace::Ansor) t.use_ansor_space();
  return t;
}

void check_config(const TuneConfig& c) {
  if (!(c.broker_timeout > 0)) fail("the broker timeout must be positive, not {}", c.broker_timeout);
  if (c.num_trials <= 0) fail("the number of trials must be positive, not {}", c.num_trials);
  if (c.num_measures_per_round <= 0) fail("measures per round must be positive, not {}", c.num_measures_per_round);
  // Upper bounds far above any useful value, so that the search's own arithmetic
  // (candidate counts are multiples of the population) cannot overflow.
  if (c.search.population <= 0 || c.search.population > 1'000'000)
    fail("the population must be between 1 and 1000000, not {}", c.search.population);
  if (c.search.num_iterations < 0 || c.search.num_iterations > 10'000)
    fail("evolutionary iterations must be between 0 and 10000, not {}", c.search.num_iterations);
  if (c.timeout <= 0) fail("the candidate timeout must be positive, not {}", c.timeout);
  if (!(c.time_limit >= 0)) fail("the time limit must be 0 (none) or a positive number of seconds, not {}", c.time_limit);
  const auto& w = c.diffusion.split_rules;
  for (double v : {w.copy_or_snap, w.scale, w.random})
    if (!(v >= 0 && v <= 1e6)) fail("split rule weights must be between 0 and 1e6, not {}", v);
  if (!(w.copy_or_snap + w.scale + w.random > 0)) fail("split rule weights must not all be 0");
  if (c.strategy != "ansor" && c.strategy != "diffusion")
    fail("unknown strategy '{}' (ansor or diffusion)", c.strategy);
  if (c.flush_cache && c.cold_activations)
    fail("--flush-cache and --cold-activations are two ways to time candidates; choose one");
  if (c.cold_activations && configured_target(c).is_gpu())
    fail("--cold-activations times CPU kernels, not the candidates of a {} target", configured_target(c).kind_name());
}

tuning::CacheState cache_state(const TuneConfig& c) {
  if (c.flush_cache) return tuning::CacheState::Flushed;
  return c.cold_activations ? tuning::CacheState::ColdActivations : tuning::CacheState::Warm;
}

}  // namespace bcd::api
