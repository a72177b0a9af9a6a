// The kernels for avx2 (compiler flags in binding.gyp); see kernels-impl.h.
#define BPTT_VECTOR_BYTES 32
#define BPTT_MR 6
#define BPTT_ISA_NAME "avx2"
#define BPTT_NAMESPACE bptt_avx2
#define BPTT_TABLE_FUNCTION bptt_table_avx2
#include "kernels-impl.h"
