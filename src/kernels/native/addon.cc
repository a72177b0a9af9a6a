// The Node-API face of the native kernels (plain node_api.h, no wrapper library): picks the
// instruction sets this CPU runs, and exposes each set's kernels as functions on typed arrays.
// Arrays are used in place (zero copy): the kernels get the typed array's own data pointer.
// Every size a kernel will touch is checked against the arrays' lengths first, so a wrong call
// throws a RangeError instead of writing outside an array.
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

#include <type_traits>
#include <vector>

#include "table.h"

void bptt_pool_resize(int threads);

namespace {

// --- CPU detection --------------------------------------------------------------------------

std::vector<const IsaTable*> supportedTables() {
  std::vector<const IsaTable*> tables;
#if defined(BPTT_HAVE_X86_KERNELS)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
    tables.push_back(bptt_table_avx512());
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) tables.push_back(bptt_table_avx2());
#endif
  tables.push_back(bptt_table_portable());
  return tables;
}

// --- Arguments ------------------------------------------------------------------------------

struct Args {
  napi_env env;
  napi_value values[12];
  size_t count = 12;
  const IsaTable* table;
  bool failed = false;
  bool isDouble = false; // the float type of the call, from its first float array

  Args(napi_env e, napi_callback_info info) : env(e) {
    void* data;
    napi_get_cb_info(env, info, &count, values, nullptr, &data);
    table = static_cast<const IsaTable*>(data);
  }

  napi_value fail(const char* message) {
    if (!failed) napi_throw_range_error(env, nullptr, message);
    failed = true;
    return nullptr;
  }

  // The data of argument i, a Float32Array or Float64Array of at least `need` elements, matching
  // the call's float type (set by the first one asked for). Null when absent (optional buffers).
  void* floats(size_t i, double need, bool first = false) {
    if (failed) return nullptr;
    napi_typedarray_type type;
    size_t length;
    void* data;
    if (i >= count || napi_get_typedarray_info(env, values[i], &type, &length, &data, nullptr, nullptr) != napi_ok) {
      fail("native kernels: expected a Float32Array or Float64Array");
      return nullptr;
    }
    if (type != napi_float32_array && type != napi_float64_array) {
      fail("native kernels: expected a Float32Array or Float64Array");
      return nullptr;
    }
    if (first) isDouble = type == napi_float64_array;
    else if (isDouble != (type == napi_float64_array)) {
      fail("native kernels: float32 and float64 arrays mixed in one call");
      return nullptr;
    }
    if (double(length) < need) {
      fail("native kernels: an array is shorter than the sizes given");
      return nullptr;
    }
    return data;
  }

  template <typename A>
  A* typed(size_t i, napi_typedarray_type wanted, double need) {
    if (failed) return nullptr;
    napi_typedarray_type type;
    size_t length;
    void* data;
    if (i >= count || napi_get_typedarray_info(env, values[i], &type, &length, &data, nullptr, nullptr) != napi_ok || type != wanted) {
      fail(wanted == napi_int32_array ? "native kernels: expected an Int32Array" : "native kernels: expected a Float32Array");
      return nullptr;
    }
    if (double(length) < need) {
      fail("native kernels: an array is shorter than the sizes given");
      return nullptr;
    }
    return static_cast<A*>(data);
  }

  // Token ids (Int32Array of `rows`), each checked to be below `limit`.
  const int32_t* ids(size_t i, int rows, int limit) {
    const int32_t* data = typed<int32_t>(i, napi_int32_array, rows);
    if (!data) return nullptr;
    for (int r = 0; r < rows; r++) {
      if (data[r] < 0 || data[r] >= limit) {
        fail("native kernels: a token id outside the vocabulary");
        return nullptr;
      }
    }
    return data;
  }

  bool isNull(size_t i) {
    napi_valuetype type;
    return i >= count || napi_typeof(env, values[i], &type) != napi_ok || type == napi_null || type == napi_undefined;
  }

  double number(size_t i) {
    double value = 0;
    if (!failed && (i >= count || napi_get_value_double(env, values[i], &value) != napi_ok)) fail("native kernels: expected a number");
    return value;
  }

  // A size: a non-negative integer below 2³¹.
  int size(size_t i) {
    double value = number(i);
    if (!failed && !(value >= 0 && value < 2147483648.0 && value == double(int(value)))) fail("native kernels: a size is not a non-negative integer");
    return failed ? 0 : int(value);
  }

  bool flag(size_t i) {
    bool value = false;
    if (!failed && (i >= count || napi_get_value_bool(env, values[i], &value) != napi_ok)) fail("native kernels: expected a boolean");
    return value;
  }

  napi_value result(double value) {
    if (failed) return nullptr;
    napi_value out;
    napi_create_double(env, value, &out);
    return out;
  }
};

#define F(T, p) static_cast<T*>(p)

// Each kernel below reads its arguments in the order of src/kernels/kernels.ts (native-kernels.ts
// passes them so), checks the sizes, and calls the float or double kernel by the arrays' type.
#define KERNEL(NAME) napi_value NAME(napi_env env, napi_callback_info info)

template <typename Call>
napi_value typedCall(Args& a, Call call) {
  if (a.failed) return nullptr;
  if (a.isDouble) call(a.table->f64, (double*)nullptr);
  else call(a.table->f32, (float*)nullptr);
  return nullptr;
}

KERNEL(packedSize) {
  Args a(env, info);
  bool isDouble = a.flag(0);
  int k = a.size(1), n = a.size(2);
  return a.result(double(isDouble ? a.table->f64.packedSize(k, n) : a.table->f32.packedSize(k, n)));
}

KERNEL(pack) {
  Args a(env, info);
  int k = a.size(2), n = a.size(3);
  bool transposed = a.flag(4);
  size_t packed = 0;
  void* out = a.floats(0, 0, true);
  packed = a.isDouble ? a.table->f64.packedSize(k, n) : a.table->f32.packedSize(k, n);
  a.floats(0, double(packed));
  void* b = a.floats(1, double(k) * n);
  return typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    t.pack(F(T, out), F(T, b), k, n, transposed);
  });
}

// The products: (out, a, b, m, k, n[, accumulate]) with the sizes each needs.
enum Product { AB, ABt, Packed, AtB };

template <Product P>
napi_value product(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int m = a.size(3), k = a.size(4), n = a.size(5);
  bool accumulate = P == AtB ? true : a.flag(6);
  void* out = a.floats(0, double(m) * n, true);
  void* left = a.floats(1, double(m) * k);
  double bNeed = double(k) * n;
  if (P == Packed && !a.failed) bNeed = double(a.isDouble ? a.table->f64.packedSize(k, n) : a.table->f32.packedSize(k, n));
  void* right = a.floats(2, bNeed);
  if (!a.failed && (out == left || out == right)) return a.fail("native kernels: a product's output is one of its inputs");
  return typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    if (P == AB) t.matmulAB(F(T, out), F(T, left), F(T, right), m, k, n, accumulate);
    if (P == ABt) t.matmulABt(F(T, out), F(T, left), F(T, right), m, k, n, accumulate);
    if (P == Packed) t.matmulPacked(F(T, out), F(T, left), F(T, right), m, k, n, accumulate);
    if (P == AtB) t.matmulAtBAccumulate(F(T, out), F(T, left), F(T, right), m, k, n);
  });
}

KERNEL(addBias) {
  Args a(env, info);
  int rows = a.size(2), cols = a.size(3);
  void* out = a.floats(0, double(rows) * cols, true);
  void* bias = a.floats(1, cols);
  return typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    t.addBias(F(T, out), F(T, bias), rows, cols);
  });
}

KERNEL(sumRowsAccumulate) {
  Args a(env, info);
  int rows = a.size(2), cols = a.size(3);
  void* sums = a.floats(0, cols, true);
  void* x = a.floats(1, double(rows) * cols);
  return typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    t.sumRowsAccumulate(F(T, sums), F(T, x), rows, cols);
  });
}

KERNEL(addWeightColumns) {
  Args a(env, info);
  int rows = a.size(3), hidden = a.size(4), vocab = a.size(5);
  void* out = a.floats(0, double(rows) * hidden, true);
  void* weight = a.floats(1, double(hidden) * vocab);
  const int32_t* ids = a.ids(2, rows, vocab);
  return typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    t.addWeightColumns(F(T, out), F(T, weight), ids, rows, hidden, vocab);
  });
}

KERNEL(addToWeightColumns) {
  Args a(env, info);
  int rows = a.size(3), hidden = a.size(4), vocab = a.size(5);
  void* grad = a.floats(0, double(hidden) * vocab, true);
  void* dz = a.floats(1, double(rows) * hidden);
  const int32_t* ids = a.ids(2, rows, vocab);
  return typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    t.addToWeightColumns(F(T, grad), F(T, dz), ids, rows, hidden, vocab);
  });
}

// The table's row count is its length ÷ cols: ids are checked against it.
int tableRows(Args& a, size_t i, int cols) {
  napi_typedarray_type type;
  size_t length = 0;
  if (a.failed || napi_get_typedarray_info(a.env, a.values[i], &type, &length, nullptr, nullptr, nullptr) != napi_ok) return 0;
  return cols == 0 ? 0 : int(length / size_t(cols) > 2147483647u ? 2147483647u : length / size_t(cols));
}

KERNEL(gatherRows) {
  Args a(env, info);
  int rows = a.size(3), cols = a.size(4);
  void* out = a.floats(0, double(rows) * cols, true);
  void* table = a.floats(1, 0);
  const int32_t* ids = a.ids(2, rows, tableRows(a, 1, cols));
  return typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    t.gatherRows(F(T, out), F(T, table), ids, rows, cols);
  });
}

KERNEL(scatterAddRows) {
  Args a(env, info);
  int rows = a.size(3), cols = a.size(4);
  void* table = a.floats(0, 0, true);
  void* grad = a.floats(1, double(rows) * cols);
  const int32_t* ids = a.ids(2, rows, tableRows(a, 0, cols));
  return typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    t.scatterAddRows(F(T, table), F(T, grad), ids, rows, cols);
  });
}

// In place on (values, length): sigmoid, tanh, relu.
#define UNARY(NAME)                                                    \
  KERNEL(NAME) {                                                       \
    Args a(env, info);                                                 \
    int length = a.size(1);                                            \
    void* values = a.floats(0, length, true);                          \
    return typedCall(a, [&](auto& t, auto* type) {                     \
      typedef typename std::remove_pointer<decltype(type)>::type T;    \
      t.NAME(F(T, values), length);                                    \
    });                                                                \
  }
UNARY(sigmoid)
UNARY(tanh)
UNARY(relu)

// (dz, gamma, h, length): the activations' backward.
#define BACKWARD(NAME)                                                 \
  KERNEL(NAME) {                                                       \
    Args a(env, info);                                                 \
    int length = a.size(3);                                            \
    void* dz = a.floats(0, length, true);                              \
    void* gamma = a.floats(1, length);                                 \
    void* h = a.floats(2, length);                                     \
    return typedCall(a, [&](auto& t, auto* type) {                     \
      typedef typename std::remove_pointer<decltype(type)>::type T;    \
      t.NAME(F(T, dz), F(T, gamma), F(T, h), length);                  \
    });                                                                \
  }
BACKWARD(reluBackward)
BACKWARD(sigmoidBackward)
BACKWARD(tanhBackward)

KERNEL(softmaxCrossEntropy) {
  Args a(env, info);
  int rows = a.size(3), vocab = a.size(4);
  void* logits = a.floats(0, double(rows) * vocab, true);
  const int32_t* targets = a.ids(1, rows, vocab);
  const float* mask = a.typed<float>(2, napi_float32_array, rows);
  if (!a.failed && vocab == 0 && rows > 0) return a.fail("native kernels: softmax over an empty vocabulary");
  double loss = 0;
  typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    loss = t.softmaxCrossEntropy(F(T, logits), targets, mask, rows, vocab);
  });
  return a.result(loss);
}

KERNEL(softmaxCrossEntropyBackward) {
  Args a(env, info);
  double scale = a.number(3);
  int rows = a.size(4), vocab = a.size(5);
  void* probs = a.floats(0, double(rows) * vocab, true);
  const int32_t* targets = a.ids(1, rows, vocab);
  const float* mask = a.typed<float>(2, napi_float32_array, rows);
  return typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    t.softmaxCrossEntropyBackward(F(T, probs), targets, mask, scale, rows, vocab);
  });
}

KERNEL(lstmGates) {
  Args a(env, info);
  int rows = a.size(4), hidden = a.size(5);
  double n = double(rows) * hidden;
  void* gates = a.floats(0, 4 * n, true);
  void* c = a.floats(1, n);
  void* h = a.floats(2, n);
  void* cPrev = a.floats(3, n);
  return typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    t.lstmGates(F(T, gates), F(T, c), F(T, h), F(T, cPrev), rows, hidden);
  });
}

KERNEL(lstmGatesBackward) {
  Args a(env, info);
  int rows = a.size(6), hidden = a.size(7);
  double n = double(rows) * hidden;
  void* dGates = a.floats(0, 4 * n, true);
  void* kappa = a.floats(1, n);
  void* gamma = a.floats(2, n);
  void* gates = a.floats(3, 4 * n);
  void* c = a.floats(4, n);
  void* cPrev = a.floats(5, n);
  return typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    t.lstmGatesBackward(F(T, dGates), F(T, kappa), F(T, gamma), F(T, gates), F(T, c), F(T, cPrev), rows, hidden);
  });
}

KERNEL(gruGates) {
  Args a(env, info);
  int rows = a.size(5), hidden = a.size(6);
  double n = double(rows) * hidden;
  void* gates = a.floats(0, 3 * n, true);
  void* p = a.floats(1, 3 * n);
  void* qn = a.floats(2, n);
  void* hPrev = a.floats(3, n);
  void* h = a.floats(4, n);
  return typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    t.gruGates(F(T, gates), F(T, p), F(T, qn), F(T, hPrev), F(T, h), rows, hidden);
  });
}

KERNEL(gruGatesBackward) {
  Args a(env, info);
  int rows = a.size(7), hidden = a.size(8);
  double n = double(rows) * hidden;
  void* dq = a.floats(0, 3 * n, true);
  void* dp = a.floats(1, 3 * n);
  void* gammaPrev = a.floats(2, n);
  void* gamma = a.floats(3, n);
  void* gates = a.floats(4, 3 * n);
  void* qn = a.floats(5, n);
  void* hPrev = a.floats(6, n);
  return typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    t.gruGatesBackward(F(T, dq), F(T, dp), F(T, gammaPrev), F(T, gamma), F(T, gates), F(T, qn), F(T, hPrev), rows, hidden);
  });
}

KERNEL(sumOfSquares) {
  Args a(env, info);
  int length = a.size(1);
  void* values = a.floats(0, length, true);
  double sum = 0;
  typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    sum = t.sumOfSquares(F(T, values), length);
  });
  return a.result(sum);
}

KERNEL(clip) {
  Args a(env, info);
  int length = a.size(1);
  double limit = a.number(2);
  void* values = a.floats(0, length, true);
  long clipped = 0;
  typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    clipped = t.clip(F(T, values), length, limit);
  });
  return a.result(double(clipped));
}

// (out, a, length): out += a, out ∘= a.
#define BINARY(NAME)                                                   \
  KERNEL(NAME) {                                                       \
    Args a(env, info);                                                 \
    int length = a.size(2);                                            \
    void* out = a.floats(0, length, true);                             \
    void* x = a.floats(1, length);                                     \
    return typedCall(a, [&](auto& t, auto* type) {                     \
      typedef typename std::remove_pointer<decltype(type)>::type T;    \
      t.NAME(F(T, out), F(T, x), length);                              \
    });                                                                \
  }
BINARY(add)
BINARY(multiply)

KERNEL(adagradStep) {
  Args a(env, info);
  double lr = a.number(3), epsilon = a.number(4);
  int length = a.size(5);
  void* params = a.floats(0, length, true);
  void* grads = a.floats(1, length);
  void* memory = a.floats(2, length);
  return typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    t.adagradStep(F(T, params), F(T, grads), F(T, memory), lr, epsilon, length);
  });
}

KERNEL(rmspropStep) {
  Args a(env, info);
  int length = a.size(4);
  double lr = a.number(5), alpha = a.number(6), epsilon = a.number(7), momentum = a.number(8);
  void* params = a.floats(0, length, true);
  void* grads = a.floats(1, length);
  void* square = a.floats(2, length);
  void* buffer = momentum > 0 && !a.isNull(3) ? a.floats(3, length) : nullptr;
  return typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    t.rmspropStep(F(T, params), F(T, grads), F(T, square), F(T, buffer), length, lr, alpha, epsilon, momentum);
  });
}

KERNEL(adamStep) {
  Args a(env, info);
  int length = a.size(4);
  double b1 = a.number(5), b2 = a.number(6), eps = a.number(7), step = a.number(8), corr = a.number(9), keep = a.number(10);
  void* params = a.floats(0, length, true);
  void* grads = a.floats(1, length);
  void* m = a.floats(2, length);
  void* v = a.floats(3, length);
  return typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    t.adamStep(F(T, params), F(T, grads), F(T, m), F(T, v), length, b1, b2, eps, step, corr, keep);
  });
}

KERNEL(transpose) {
  Args a(env, info);
  int rows = a.size(2), cols = a.size(3);
  void* out = a.floats(0, double(rows) * cols, true);
  void* x = a.floats(1, double(rows) * cols);
  if (!a.failed && out == x && rows * cols > 1) return a.fail("native kernels: transpose in place");
  return typedCall(a, [&](auto& t, auto* type) {
    typedef typename std::remove_pointer<decltype(type)>::type T;
    t.transpose(F(T, out), F(T, x), rows, cols);
  });
}

KERNEL(multiplyAddPeak) {
  Args a(env, info);
  double rounds = a.number(0);
  if (a.failed) return nullptr;
  return a.result(a.table->multiplyAddPeak(long(rounds)));
}

KERNEL(setThreads) {
  Args a(env, info);
  int threads = a.size(0);
  if (a.failed) return nullptr;
  bptt_pool_resize(threads < 1 ? 1 : threads > 64 ? 64 : threads);
  return nullptr;
}

KERNEL(threads) {
  Args a(env, info);
  return a.result(bptt_pool_threads());
}

void define(napi_env env, napi_value object, const char* name, napi_callback fn, const IsaTable* table) {
  napi_value function;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, const_cast<IsaTable*>(table), &function);
  napi_set_named_property(env, object, name, function);
}

napi_value kernelsObject(napi_env env, const IsaTable* table) {
  napi_value object;
  napi_create_object(env, &object);
  napi_value name;
  napi_create_string_utf8(env, table->name, NAPI_AUTO_LENGTH, &name);
  napi_set_named_property(env, object, "isa", name);
#define DEFINE(NAME) define(env, object, #NAME, NAME, table)
  DEFINE(packedSize);
  DEFINE(pack);
  define(env, object, "matmulAB", product<AB>, table);
  define(env, object, "matmulABt", product<ABt>, table);
  define(env, object, "matmulPacked", product<Packed>, table);
  define(env, object, "matmulAtBAccumulate", product<AtB>, table);
  DEFINE(addBias);
  DEFINE(sumRowsAccumulate);
  DEFINE(addWeightColumns);
  DEFINE(addToWeightColumns);
  DEFINE(gatherRows);
  DEFINE(scatterAddRows);
  DEFINE(sigmoid);
  DEFINE(tanh);
  DEFINE(relu);
  DEFINE(reluBackward);
  DEFINE(sigmoidBackward);
  DEFINE(tanhBackward);
  DEFINE(softmaxCrossEntropy);
  DEFINE(softmaxCrossEntropyBackward);
  DEFINE(lstmGates);
  DEFINE(lstmGatesBackward);
  DEFINE(gruGates);
  DEFINE(gruGatesBackward);
  DEFINE(sumOfSquares);
  DEFINE(clip);
  DEFINE(add);
  DEFINE(multiply);
  DEFINE(adagradStep);
  DEFINE(rmspropStep);
  DEFINE(adamStep);
  DEFINE(transpose);
  DEFINE(multiplyAddPeak);
#undef DEFINE
  return object;
}

} // namespace

// exports: { isas: [names, best first], kernels: { [isa]: {…functions} }, setThreads(n), threads() }
NAPI_MODULE_INIT() {
  napi_value isas, kernels;
  napi_create_array(env, &isas);
  napi_create_object(env, &kernels);
  uint32_t index = 0;
  for (const IsaTable* table : supportedTables()) {
    napi_value name;
    napi_create_string_utf8(env, table->name, NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, isas, index++, name);
    napi_set_named_property(env, kernels, table->name, kernelsObject(env, table));
  }
  napi_set_named_property(env, exports, "isas", isas);
  napi_set_named_property(env, exports, "kernels", kernels);
  define(env, exports, "setThreads", setThreads, nullptr);
  define(env, exports, "threads", threads, nullptr);
  return exports;
}
