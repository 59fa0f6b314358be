{
  "targets": [
    {
      "target_name": "medstudio_native",
      "sources": ["src/addon.cc"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-O3", "-std=c++17", "-fexceptions", "-fopenmp", "-fno-math-errno"],
      "ldflags": ["-fopenmp"],
      "libraries": ["-ldnnl"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
