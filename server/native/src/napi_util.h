// N-API plumbing shared by the addon's kernels: argument access, typed-array views that carry
// their length, and errors that reach JS as exceptions with code MEDSTUDIO_NATIVE.
#pragma once
#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace medstudio {

struct JsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline void check(napi_env, napi_status s, const char* what) {
  if (s != napi_ok) throw JsError(std::string("medstudio-native: ") + what);
}

inline std::vector<napi_value> args(napi_env env, napi_callback_info info, size_t want) {
  size_t argc = want;
  std::vector<napi_value> argv(want);
  check(env, napi_get_cb_info(env, info, &argc, argv.data(), nullptr, nullptr), "bad arguments");
  if (argc < want) throw JsError("medstudio-native: expected " + std::to_string(want) + " arguments");
  return argv;
}

// A typed array's data and element count; data is null for JS null/undefined. A detached
// buffer (a wasm heap that grew since the view was taken) has no data: it is rejected here,
// never read.
template <typename T>
struct View {
  T* data = nullptr;
  size_t n = 0;
  explicit operator bool() const { return data != nullptr; }
  size_t bytes() const { return n * sizeof(T); }
};

template <typename T>
View<T> view(napi_env env, napi_value v, napi_typedarray_type want, const char* name) {
  napi_valuetype vt;
  check(env, napi_typeof(env, v, &vt), "typeof");
  if (vt == napi_null || vt == napi_undefined) return {};
  bool is;
  check(env, napi_is_typedarray(env, v, &is), "is_typedarray");
  if (!is) throw JsError(std::string("medstudio-native: ") + name + " is not a typed array");
  napi_typedarray_type t;
  size_t n;
  void* data;
  napi_value ab;
  size_t off;
  check(env, napi_get_typedarray_info(env, v, &t, &n, &data, &ab, &off), "typedarray_info");
  if (t != want) throw JsError(std::string("medstudio-native: ") + name + " has the wrong typed array type");
  if (!data && n > 0) throw JsError(std::string("medstudio-native: ") + name + " is detached");
  if (!data) throw JsError(std::string("medstudio-native: ") + name + " is empty");
  return {static_cast<T*>(data), n};
}

// The element count a kernel needs against what the caller passed: a mismatch would make the
// kernel read or write outside the tfjs buffer, so it never runs.
inline void need(size_t have, size_t want, const char* name) {
  if (have != want)
    throw JsError(std::string("medstudio-native: ") + name + " holds " + std::to_string(have) + " elements, the kernel needs " +
                  std::to_string(want));
}

inline int32_t int32(napi_env env, napi_value v, const char* name) {
  int32_t x;
  check(env, napi_get_value_int32(env, v, &x), name);
  return x;
}

inline int64_t int64(napi_env env, napi_value v, const char* name) {
  int64_t x;
  check(env, napi_get_value_int64(env, v, &x), name);
  return x;
}

inline double number(napi_env env, napi_value v, const char* name) {
  double x;
  check(env, napi_get_value_double(env, v, &x), name);
  return x;
}

}  // namespace medstudio
