/* bcd runtime: load a network compiled by `bcd compile` and run it.
 *
 *   bcd_model* m;
 *   if (bcd_model_load("model.so", &m) != BCD_OK) { puts(bcd_last_error()); return 1; }
 *   const float* in[] = {image};      // one buffer per input, in input order
 *   float* out[] = {scores};          // one buffer per output, caller-owned
 *   if (bcd_model_run(m, in, out) != BCD_OK) puts(bcd_last_error());
 *   bcd_model_free(m);
 *
 * Buffers are dense float32 arrays in the shapes bcd_model_input/output report.
 * Every call returns a status; on failure bcd_last_error() holds a one-line message
 * (per thread, valid until this thread's next bcd call). Nothing aborts or throws.
 *
 * Threads: a bcd_model is one instance with its own activation memory; loading one
 * package several times gives independent instances that share the weights, and
 * different instances may run at once in different threads. One instance is not
 * reentrant: never run it from two threads at once. Link with -lbcd_runtime. */
#ifndef BCD_RUNTIME_H
#define BCD_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define BCD_API __attribute__((visibility("default")))
#else
#define BCD_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bcd_status {
  BCD_OK = 0,
  BCD_ERROR_INVALID_ARGUMENT = 1, /* a null pointer, an index out of range */
  BCD_ERROR_LOAD = 2,             /* not a package, corrupt, another ABI, a CPU it cannot run on */
  BCD_ERROR_RUN = 3,              /* a kernel failed */
  BCD_ERROR_OUT_OF_MEMORY = 4
} bcd_status;

#define BCD_MAX_DIMS 8

typedef struct bcd_tensor_info {
  const char* name;  /* owned by the model */
  const char* dtype; /* "float32" */
  int ndim;
  int64_t shape[BCD_MAX_DIMS];
  int64_t size; /* elements */
} bcd_tensor_info;

typedef struct bcd_model bcd_model;

BCD_API bcd_status bcd_model_load(const char* path, bcd_model** model);
BCD_API void bcd_model_free(bcd_model* model); /* null is fine */

BCD_API int bcd_model_num_inputs(const bcd_model* model);  /* -1 on a null model */
BCD_API int bcd_model_num_outputs(const bcd_model* model);
BCD_API bcd_status bcd_model_input(const bcd_model* model, int index, bcd_tensor_info* info);
BCD_API bcd_status bcd_model_output(const bcd_model* model, int index, bcd_tensor_info* info);
/* The package's metadata as JSON (target, bcd version, model and records hashes). */
BCD_API const char* bcd_model_metadata(const bcd_model* model);

BCD_API bcd_status bcd_model_run(bcd_model* model, const float* const* inputs, float* const* outputs);

/* Profiling: the network's steps (kernels in execution order; the metadata's
 * "step_tasks" names each one's task), and a run that also writes each step's
 * time in seconds into step_seconds[0 .. bcd_model_num_steps() - 1]. */
BCD_API int bcd_model_num_steps(const bcd_model* model); /* -1 on a null model */
BCD_API bcd_status bcd_model_run_profiled(bcd_model* model, const float* const* inputs, float* const* outputs,
                                          double* step_seconds);

BCD_API const char* bcd_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* BCD_RUNTIME_H */
