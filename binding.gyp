# The native kernels (src/kernels/native/), built by node-gyp from `npm install` through
# src/kernels/native/build.mjs, which never fails the install. One binary: the kernels compiled once
# per instruction set (AVX-512, AVX2+FMA, portable), the CPU picks at run time (addon.cc).
{
  'variables': {
    'kernel_flags': ['-O3', '-fPIC', '-ffp-contract=fast', '-fno-math-errno', '-fno-trapping-math', '-std=gnu++17'],
  },
  'targets': [
    {
      'target_name': 'bptt_native',
      'sources': ['src/kernels/native/addon.cc', 'src/kernels/native/pool.cc', 'src/kernels/native/kernels-portable.cc'],
      'cflags_cc': ['<@(kernel_flags)'],
      'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['<@(kernel_flags)'] },
      'conditions': [
        ['target_arch=="x64"', {
          'defines': ['BPTT_HAVE_X86_KERNELS'],
          'dependencies': ['bptt_kernels_avx512', 'bptt_kernels_avx2'],
        }],
      ],
    },
  ],
  'conditions': [
    ['target_arch=="x64"', {
      'targets': [
        {
          'target_name': 'bptt_kernels_avx512',
          'type': 'static_library',
          'sources': ['src/kernels/native/kernels-avx512.cc'],
          'cflags_cc': ['<@(kernel_flags)', '-mavx512f', '-mavx512dq', '-mavx512bw', '-mavx512vl', '-mavx2', '-mfma', '-mprefer-vector-width=512'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['<@(kernel_flags)', '-mavx512f', '-mavx512dq', '-mavx512bw', '-mavx512vl', '-mavx2', '-mfma'] },
        },
        {
          'target_name': 'bptt_kernels_avx2',
          'type': 'static_library',
          'sources': ['src/kernels/native/kernels-avx2.cc'],
          'cflags_cc': ['<@(kernel_flags)', '-mavx2', '-mfma'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['<@(kernel_flags)', '-mavx2', '-mfma'] },
        },
      ],
    }],
  ],
}
