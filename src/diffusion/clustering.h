// Clustering the tasks of a network (DESIGN.md section 7, steps 1 and 2): tasks with
// the same key form a cluster, and the task whose workload shapes are most similar
// to the others' represents it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bcd::diffusion {

// `operator`: the task name without its "_N" suffix; `sketch`: the canonical form of
// the task's first sketch; `loops` (not the artifact's): the sketch plus which loops
// of its reduction ops have extent 1, so that a 1x1 conv and a 3x3 conv (or a
// matrix-vector and a matrix-matrix dense) fall in different clusters.
enum class GroupType { Operator, Sketch, Loops };
GroupType parse_group_type(const std::string& name);  // fails naming every kind
const char* group_type_name(GroupType type);

struct Cluster {
  std::string key;
  std::vector<int> members;  // task indices, increasing
  int representative = -1;   // one of members
};

// Tasks with equal keys, clusters in order of their first member. Representatives
// are chosen by representative_index over `shapes` (one flattened shape vector per
// task).
std::vector<Cluster> cluster_tasks(const std::vector<std::string>& keys,
                                   const std::vector<std::vector<int64_t>>& shapes);

// The index (into `vectors`) with the largest mean cosine similarity to all vectors
// (itself included), shorter vectors padded with zeros; ties go to the first. A
// zero vector has similarity 0 to everything.
int representative_index(const std::vector<std::vector<int64_t>>& vectors);

}  // namespace bcd::diffusion
