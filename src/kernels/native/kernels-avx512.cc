// The kernels for avx512 (compiler flags in binding.gyp); see kernels-impl.h.
#define BPTT_VECTOR_BYTES 64
#define BPTT_MR 12
#define BPTT_ISA_NAME "avx512"
#define BPTT_NAMESPACE bptt_avx512
#define BPTT_TABLE_FUNCTION bptt_table_avx512
#include "kernels-impl.h"
