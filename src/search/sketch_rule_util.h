// What the CPU and GPU sketch rules share: the rule interface, the generation
// driver that walks the stages from the output backwards, multi-level tiling and
// the rules that are the same on both targets (always-inline, skip).
#pragma once
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "schedule/state.h"
#include "search/search_task.h"

namespace bcd::search::sketch {

enum class Condition { Skip, Apply, ApplyAndSkipRest };

// A partial sketch and the stage the walk visits next (-1: done).
struct Branch {
  schedule::State state;
  int next_stage;
};

// Called with out == nullptr to ask whether the rule applies to stage `id`, then
// with out to append the branches it derives.
using Rule = std::function<Condition(const SearchTask&, const schedule::State&, int, std::vector<Branch>*)>;

// Applies `rules` to every stage, output first: for each, every rule that does
// not skip, stopping after one that applies and skips the rest.
std::vector<schedule::State> derive_sketches(const SearchTask& task, const std::vector<Rule>& rules);

// Whether stage `id` is always inlined: not a placeholder or an output, read by
// some stage, and `inlineable(op)`. CPU: ir::is_strictly_inlineable (the others'
// compute location is annotated); GPU: ir::is_cheap_injective (every kernel fused,
// as TVM does on GPUs). The default schedules inline by the same test.
bool always_inlined(const schedule::State& s, int id, bool (*inlineable)(const ir::OpNode&));
// Inlines a stage that always_inlined says is.
Rule always_inline_rule(bool (*inlineable)(const ir::OpNode&));
Rule skip_rule();

bool is_output(const schedule::State& s, int id);
bool is_placeholder(const schedule::State& s, int id);
// The stage is the ".local" stage a cache_write created (its copy follows it).
bool has_cache_write_stage(const schedule::State& s, int id);
// Products of the extents of a stage's spatial and of its reduction iterators.
std::pair<int64_t, int64_t> space_and_reduce_lengths(const schedule::Stage& st);

// Splits every spatial iterator into as many parts as `structure` has 'S' and
// every reduction iterator into as many as it has 'R' (lengths unknown), then
// orders the parts level by level as in `structure`. Returns the ids of the
// spatial split steps, in axis order.
std::vector<int> multi_level_tiling(schedule::State& s, int id, const std::string& structure);

// Splits the consumer's spatial iterators like the producer's split steps into
// `level` + 1 parts and groups the parts level by level.
void follow_tiling(schedule::State& s, int consumer, const std::vector<int>& split_steps, int level);

}  // namespace bcd::search::sketch
