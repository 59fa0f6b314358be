{
  "targets": [
    {
      "target_name": "medstudio_native",
      "sources": [
        "src/addon.cc",
        "src/safe_plan.cc",
        "src/dnnl_kernels.cc",
        "src/elementwise.cc"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-fno-rtti"
      ],
      "cflags_cc": [
        "-O3",
        "-std=c++17",
        "-fexceptions",
        "-fopenmp",
        "-fno-math-errno"
      ],
      "ldflags": [
        "-fopenmp",
        "-Wl,--disable-new-dtags",
        "-Wl,-rpath,'$$ORIGIN'"
      ],
      "libraries": [
        "-ldnnl"
      ],
      "defines": [
        "NAPI_VERSION=8"
      ]
    }
  ]
}
