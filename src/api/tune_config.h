// Tuning as a library: one typed configuration for a whole-network run
// (api::tune_network) and for a one-operator run (api::tune_operator), with every
// default in this file. The command line maps its flags onto it and nothing else;
// a program that embeds bcd fills it in directly.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "diffusion/diffusion_tuner.h"
#include "frontends/onnx.h"
#include "frontends/zoo.h"
#include "graph/graph.h"
#include "search/search_options.h"
#include "target/target.h"
#include "tuning/records.h"
#include "tuning/task_measurer.h"

namespace bcd::api {

// A network: a zoo name or an .onnx path, with the zoo's size knobs.
struct ModelSpec {
  std::string model = "squeezenet_v1.1";
  frontends::ZooOptions zoo;  // zoo models only
  // .onnx models only: shapes of inputs with dynamic dimensions (--input-shape).
  frontends::InputShapes input_shapes;
  // "auto" (the default), "keep" (the model's own) or "NHWC": its NCHW image
  // operators converted to NHWC (graph/convert_layout.h), where convolutions run
  // faster on CPUs, tuned or not. load_for decides "auto".
  std::string layout = "auto";

  // The model built for `target`, in the layout this spec asks for. "auto" converts
  // to NHWC, but keeps the model as written for a GPU target, for a model without
  // NCHW image operators, and for `records` tuned on the model as written (more of
  // its tasks than of the converted model's have a record: records from before
  // "auto" was the default). Fails on options that do not apply to the model
  // (--image-size with an .onnx file, --input-shape with a zoo model).
  struct Loaded;
  Loaded load_for(const Target& target, const std::vector<tuning::Record>& records = {}) const;
  // The model before any layout conversion.
  graph::Graph load_as_written() const;
  // The command-line flags that build the same model ("--model x --layout NHWC").
  std::string flags() const;
  // What a run records about its model (run.json); the layout decided (not "auto").
  nlohmann::json identity() const;
  // The spec of a run's recorded model (the inverse of identity()); fails with one
  // line on a malformed one.
  static ModelSpec from_identity(const nlohmann::json& id);
};

struct ModelSpec::Loaded {
  ModelSpec spec;  // layout "keep" or "NHWC"
  graph::Graph written;
  std::optional<graph::Graph> converted;  // present when spec.layout is "NHWC"

  const graph::Graph& graph() const { return converted ? *converted : written; }
};

// One operator of the registry (`bcd op --list`) with its parameters ("m=128,k=768").
struct OpSpec {
  std::string name;
  std::string params;
};

// Which schedules the search may produce: bcd's (Ansor's space plus whole-vector
// inner tiles and the inner-tile reorder on CPUs) or exactly Ansor's.
enum class SearchSpace { Bcd, Ansor };
SearchSpace parse_search_space(const std::string& name);  // "bcd" or "ansor"; fails otherwise
std::string search_space_name(SearchSpace space);

struct TuneConfig {
  // --- what to tune for
  std::string target = "llvm";  // a target string: "llvm", "cuda", or with -key=value options
  SearchSpace search_space = SearchSpace::Bcd;
  // "" keeps the target's (both rewrites); else weights,accumulators | weights | accumulators | none.
  std::string layout_rewrite;

  // --- budget
  int num_trials = 200;             // network: per task (the run measures num_trials x tasks); operator: in all
  int num_measures_per_round = 64;  // candidates measured per round

  // --- search
  search::SearchOptions search;     // population, evolutionary iterations, mutation weights...
  std::string cost_model = "xgb";   // xgb or random
  uint64_t seed = 0;                // fixes the search and the task scheduler
  double timeout = 10;              // seconds before a candidate counts as hung
  bool verify_all = false;          // check every candidate's output, not only each round's best
  bool flush_cache = false;         // time candidates with cold caches (tuning::tuning_measure_options)
  bool cold_activations = false;    // time candidates with their activations evicted, weights warm (CPU)
  int early_stopping = 0;           // trials without improvement before a task stops (0: never)
  double time_limit = 0;            // seconds of tuning (a resume's earlier ones count) before no round starts; 0: none

  // --- log
  std::string log_dir;              // "": log_<strategy>/<model or operator>/<idx> under log_root
  std::string log_root = ".";
  bool resume = false;              // continue the run in log_dir (default: the latest) without re-measuring
  // Deprecated (`tune-op --log FILE`, for one release): the records file alone,
  // no run.json or TSV, and so no run identity to check on resume.
  std::string records_file;

  // --- network runs
  ModelSpec model;
  std::string strategy = "ansor";   // ansor or diffusion
  diffusion::DiffusionOptions diffusion;  // the default preset; diffusion::diffusion_preset("artifact") for the artifact's
  // Tasks without a reduction (data movement, elementwise math) run default
  // schedules unless asked for, as in TVM.
  bool include_simple_tasks = false;

  // --- measurement on other machines
  // "": measure here. Else redis://[user:password@]host[:port]: candidates become
  // jobs for `bcd worker`s of this machine's hardware (src/broker/).
  std::string broker;
  double broker_timeout = 60;  // seconds to wait for a lost broker, or for a worker
};

// The target `config` tunes for: search::resolve_target(config.target), then its
// search space and layout rewrites. Fails with one line on a bad value.
Target configured_target(const TuneConfig& config);

// Fails with one line on a value no run can use (a non-positive budget, an unknown
// strategy).
void check_config(const TuneConfig& config);

// How `config` times candidates: warm, flushed, or with cold activations.
tuning::CacheState cache_state(const TuneConfig& config);

}  // namespace bcd::api
