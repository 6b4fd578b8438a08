{
  "targets": [
    {
      "target_name": "peft_blas",
      "sources": ["src/native/addon.c", "src/native/gemm.c", "src/native/elementwise.c", "src/native/reduce.c", "src/native/copy.c", "src/native/binary.c", "src/native/unary.c", "src/native/rows.c", "src/native/loss.c", "src/native/allocator.c", "src/native/attention.c", "src/native/random.c", "src/native/gemv.c"],
      "cflags": ["-O3", "-std=gnu11", "-fopenmp", "-fno-math-errno", "-fno-trapping-math"],
      "ldflags": ["-fopenmp"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread", "/usr/include/openblas", "/usr/include/x86_64-linux-gnu"],
      "libraries": ["-lopenblas"]
    }
  ]
}
