{
  "targets": [
    {
      "target_name": "peft_blas",
      "sources": ["src/native/blas.c"],
      "cflags": ["-O2", "-std=c11"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread", "/usr/include/openblas", "/usr/include/x86_64-linux-gnu"],
      "libraries": ["-lopenblas"]
    }
  ]
}
