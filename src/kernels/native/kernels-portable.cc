// The kernels for portable (compiler flags in binding.gyp); see kernels-impl.h.
#define BPTT_VECTOR_BYTES 16
#define BPTT_MR 6
#define BPTT_ISA_NAME "portable"
#define BPTT_NAMESPACE bptt_portable
#define BPTT_TABLE_FUNCTION bptt_table_portable
#include "kernels-impl.h"
