{
  "variables": {
    "peft_gemm%": "own",
    "peft_cblas_include%": "/usr/include",
    "peft_cblas_libdir%": "/usr/lib",
    "peft_openmp_cflags%": "-fopenmp",
    "peft_openmp_ldflags%": "-fopenmp"
  },
  "targets": [
    {
      "target_name": "peft_blas",
      "sources": [
        "src/native/addon.c",
        "src/native/gemm.c",
        "src/native/own-gemm-baseline.c",
        "src/native/own-gemm-scratch.c",
        "src/native/elementwise.c",
        "src/native/reduce.c",
        "src/native/copy.c",
        "src/native/binary.c",
        "src/native/unary.c",
        "src/native/rows.c",
        "src/native/loss.c",
        "src/native/norm.c",
        "src/native/adamw.c",
        "src/native/allocator.c",
        "src/native/attention.c",
        "src/native/random.c",
        "src/native/alea-lanes.c",
        "src/native/gemv.c",
        "src/native/fma-probe.c"
      ],
      "cflags": ["-O3", "-std=gnu11", "-fno-math-errno", "-fno-trapping-math", "<@(peft_openmp_cflags)"],
      "ldflags": ["<@(peft_openmp_ldflags)"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-O3", "-std=gnu11", "-fno-math-errno", "-fno-trapping-math", "<@(peft_openmp_cflags)"],
        "OTHER_LDFLAGS": ["<@(peft_openmp_ldflags)"]
      },
      "conditions": [
        ["target_arch=='x64'", { "sources": ["src/native/own-gemm-avx2.c", "src/native/own-gemm-avx512.c"] }],
        ["target_arch=='arm64'", { "sources": ["src/native/own-gemm-neon.c"] }],
        ["peft_gemm=='openblas'", {
          "sources": ["src/native/system-gemm.c"],
          "defines": ["PEFT_GEMM_OPENBLAS"],
          "include_dirs": ["<(peft_cblas_include)"],
          "libraries": ["-L<(peft_cblas_libdir)", "-Wl,-rpath,<(peft_cblas_libdir)", "-lopenblas"]
        }],
        ["peft_gemm=='accelerate'", {
          "sources": ["src/native/system-gemm.c"],
          "defines": ["PEFT_GEMM_ACCELERATE"],
          "libraries": ["-framework Accelerate"]
        }]
      ]
    }
  ]
}
