// The native kernels as seen by the Node-API glue (addon.cc): one table of function pointers per
// instruction set (kernels-avx512.cc, kernels-avx2.cc, kernels-portable.cc, all compiled from
// kernels-impl.h), with a float and a double half. Every function works on raw pointers the
// glue took straight from the caller's typed arrays (zero copy); shapes as in src/kernels/kernels.ts.
#pragma once
#include <stddef.h>
#include <stdint.h>

template <typename T>
struct KernelTable {
  size_t (*packedSize)(int k, int n);
  void (*pack)(T* packed, const T* b, int k, int n, bool transposed);
  void (*matmulABt)(T* out, const T* a, const T* b, int m, int k, int n, bool accumulate);
  void (*matmulAB)(T* out, const T* a, const T* b, int m, int k, int n, bool accumulate);
  void (*matmulPacked)(T* out, const T* a, const T* packed, int m, int k, int n, bool accumulate);
  void (*matmulAtBAccumulate)(T* out, const T* a, const T* b, int m, int k, int n);
  void (*addBias)(T* out, const T* bias, int rows, int cols);
  void (*sumRowsAccumulate)(T* sums, const T* a, int rows, int cols);
  void (*addWeightColumns)(T* out, const T* weight, const int32_t* ids, int rows, int hidden, int vocab);
  void (*addToWeightColumns)(T* gradWeight, const T* dz, const int32_t* ids, int rows, int hidden, int vocab);
  void (*gatherRows)(T* out, const T* table, const int32_t* ids, int rows, int cols);
  void (*scatterAddRows)(T* gradTable, const T* grad, const int32_t* ids, int rows, int cols);
  void (*sigmoid)(T* values, long length);
  void (*tanh)(T* values, long length);
  void (*relu)(T* values, long length);
  void (*reluBackward)(T* dz, const T* gamma, const T* h, long length);
  void (*sigmoidBackward)(T* dz, const T* gamma, const T* h, long length);
  void (*tanhBackward)(T* dz, const T* gamma, const T* h, long length);
  double (*softmaxCrossEntropy)(T* logits, const int32_t* targets, const float* mask, int rows, int vocab);
  void (*softmaxCrossEntropyBackward)(T* probs, const int32_t* targets, const float* mask, double scale, int rows, int vocab);
  void (*lstmGates)(T* gates, T* c, T* h, const T* cPrev, int rows, int hidden);
  void (*lstmGatesBackward)(T* dGates, T* kappa, const T* gamma, const T* gates, const T* c, const T* cPrev, int rows, int hidden);
  void (*gruGates)(T* gates, const T* p, T* qn, const T* hPrev, T* h, int rows, int hidden);
  void (*gruGatesBackward)(T* dq, T* dp, T* gammaPrev, const T* gamma, const T* gates, const T* qn, const T* hPrev, int rows, int hidden);
  double (*sumOfSquares)(const T* values, long length);
  long (*clip)(T* values, long length, double limit);
  void (*add)(T* out, const T* a, long length);
  void (*multiply)(T* out, const T* a, long length);
  void (*adagradStep)(T* params, const T* grads, T* memory, double learningRate, double epsilon, long length);
  void (*rmspropStep)(T* params, const T* grads, T* squareAverage, T* momentumBuffer, long length, double learningRate, double alpha, double epsilon, double momentum);
  void (*adamStep)(T* params, const T* grads, T* m, T* v, long length, double beta1, double beta2, double epsilon, double stepSize, double secondCorrection, double keep);
  void (*transpose)(T* out, const T* a, int rows, int cols);
};

struct IsaTable {
  const char* name;
  KernelTable<float> f32;
  KernelTable<double> f64;
  // Independent multiply-adds on registers only (float32 vectors): returns the FLOPs done, for the peak.
  double (*multiplyAddPeak)(long rounds);
};

extern "C" {
// Implemented per instruction set; each returns its table (the caller checks the CPU first).
const IsaTable* bptt_table_avx512();
const IsaTable* bptt_table_avx2();
const IsaTable* bptt_table_portable();

// The thread pool (pool.cc): runs fn(ctx, task) for task = 0 … tasks−1 on the pool's threads and
// this one, returning when all are done. Serial when the pool has one thread or is busy elsewhere.
void bptt_parallel_for(int tasks, void (*fn)(void* ctx, int task), void* ctx);
int bptt_pool_threads();
}
