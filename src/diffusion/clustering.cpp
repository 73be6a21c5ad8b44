#include "diffusion/clustering.h"

#include <cmath>
#include <map>

#include "support/error.h"

namespace bcd::diffusion {

GroupType parse_group_type(const std::string& name) {
  if (name == "operator") return GroupType::Operator;
  if (name == "sketch") return GroupType::Sketch;
  if (name == "loops") return GroupType::Loops;
  fail("unknown group type '{}' (operator, sketch or loops)", name);
}

const char* group_type_name(GroupType type) {
  switch (type) {
    case GroupType::Operator: return "operator";
    case GroupType::Sketch: return "sketch";
    case GroupType::Loops: return "loops";
  }
  return "?";
}

int representative_index(const std::vector<std::vector<int64_t>>& vectors) {
  BCD_CHECK(!vectors.empty(), "no vectors to choose a representative from");
  size_t n = vectors.size(), width = 0;
  for (const auto& v : vectors) width = std::max(width, v.size());
  auto at = [&](size_t i, size_t k) { return k < vectors[i].size() ? static_cast<double>(vectors[i][k]) : 0.0; };
  std::vector<double> norm(n, 0);
  for (size_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < width; ++k) norm[i] += at(i, k) * at(i, k);
    norm[i] = std::sqrt(norm[i]);
  }
  int best = 0;
  double best_mean = -2;
  for (size_t i = 0; i < n; ++i) {
    double sum = 0;
    for (size_t j = 0; j < n; ++j) {
      if (norm[i] == 0 || norm[j] == 0) continue;
      double dot = 0;
      for (size_t k = 0; k < width; ++k) dot += at(i, k) * at(j, k);
      sum += dot / (norm[i] * norm[j]);
    }
    double mean = sum / static_cast<double>(n);
    // A relative margin keeps the choice stable against rounding between equals.
    if (mean > best_mean + 1e-12) best_mean = mean, best = static_cast<int>(i);
  }
  return best;
}

std::vector<Cluster> cluster_tasks(const std::vector<std::string>& keys,
                                   const std::vector<std::vector<int64_t>>& shapes) {
  BCD_CHECK(keys.size() == shapes.size(), "{} keys, {} shape vectors", keys.size(), shapes.size());
  std::vector<Cluster> clusters;
  std::map<std::string, size_t> index;
  for (size_t t = 0; t < keys.size(); ++t) {
    auto [it, fresh] = index.emplace(keys[t], clusters.size());
    if (fresh) clusters.push_back(Cluster{keys[t], {}, -1});
    clusters[it->second].members.push_back(static_cast<int>(t));
  }
  for (Cluster& c : clusters) {
    std::vector<std::vector<int64_t>> vs;
    for (int m : c.members) vs.push_back(shapes[m]);
    c.representative = c.members[representative_index(vs)];
  }
  return clusters;
}

}  // namespace bcd::diffusion
