// MedStudio's optional native kernels: oneDNN (the library PyTorch's CPU convolutions use)
// carrying the heavy training kernels of the wasm backend. JS hands in typed-array views of the
// wasm heap, so nothing is copied; every call is synchronous on the JS thread and oneDNN spreads
// it over OpenMP threads. What may touch that memory, and how it is checked, is in safe_plan.h.
#include <node_api.h>
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "kernels.h"
#include "napi_util.h"
#include "safe_plan.h"

namespace medstudio {
namespace {

napi_value SetThreads(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 1);
  const int32_t n = int32(env, a[0], "threads");
  if (n > 0) omp_set_num_threads(n);
  napi_value out;
  check(env, napi_create_int32(env, omp_get_max_threads(), &out), "int");
  return out;
}

napi_value Info(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  const char* isa = "unknown";
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx512_core:
    case dnnl::cpu_isa::avx512_core_vnni:
    case dnnl::cpu_isa::avx512_core_bf16:
    case dnnl::cpu_isa::avx512_core_amx: isa = "avx512"; break;
    case dnnl::cpu_isa::avx2_vnni:
    case dnnl::cpu_isa::avx2: isa = "avx2"; break;
    case dnnl::cpu_isa::avx: isa = "avx"; break;
    case dnnl::cpu_isa::sse41: isa = "sse4.1"; break;
    default: isa = "other"; break;
  }
  std::string s = "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) + " (" + isa +
                  ", " + std::to_string(omp_get_max_threads()) + " threads)";
  napi_value out;
  check(env, napi_create_string_utf8(env, s.c_str(), s.size(), &out), "string");
  return out;
}

// rejections(): one line per oneDNN implementation a probe caught writing outside its buffers.
napi_value Rejections(napi_env env, napi_callback_info) {
  const auto& r = rejections();
  napi_value arr;
  check(env, napi_create_array_with_length(env, r.size(), &arr), "array");
  for (size_t i = 0; i < r.size(); i++) {
    napi_value s;
    check(env, napi_create_string_utf8(env, r[i].c_str(), r[i].size(), &s), "string");
    check(env, napi_set_element(env, arr, uint32_t(i), s), "set_element");
  }
  return arr;
}

// Wraps a native function so oneDNN and argument errors become JS exceptions.
template <napi_value (*F)(napi_env, napi_callback_info)>
napi_value guarded(napi_env env, napi_callback_info info) {
  try {
    return F(env, info);
  } catch (const dnnl::error& e) {
    napi_throw_error(env, "MEDSTUDIO_NATIVE", (std::string("oneDNN: ") + e.what()).c_str());
  } catch (const std::exception& e) {
    napi_throw_error(env, "MEDSTUDIO_NATIVE", e.what());
  }
  return nullptr;
}

#define MEDSTUDIO_FN(name, fn) {name, nullptr, guarded<fn>, nullptr, nullptr, nullptr, napi_default, nullptr}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      MEDSTUDIO_FN("conv", Conv),
      MEDSTUDIO_FN("maxPool", MaxPool),
      MEDSTUDIO_FN("matmul", Matmul),
      MEDSTUDIO_FN("binary", Binary),
      MEDSTUDIO_FN("reduceSum", ReduceSum),
      MEDSTUDIO_FN("channelAffine", ChannelAffine),
      MEDSTUDIO_FN("channelSums", ChannelSums),
      MEDSTUDIO_FN("unary", Unary),
      MEDSTUDIO_FN("compare", Compare),
      MEDSTUDIO_FN("logicalAnd", LogicalAnd),
      MEDSTUDIO_FN("select", Select),
      MEDSTUDIO_FN("setThreads", SetThreads),
      MEDSTUDIO_FN("info", Info),
      MEDSTUDIO_FN("rejections", Rejections),
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace
}  // namespace medstudio

NAPI_MODULE(NODE_GYP_MODULE_NAME, medstudio::Init)
