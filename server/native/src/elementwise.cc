// The memory-bound kernels batch normalisation and optimisers are made of: one pass each, over
// every core for large tensors; small tensors stay in wasm (the JS side decides) where a call
// would cost more than it saves. Every operand's length is checked against what the loop reads
// or writes before it starts: a wrong length is a thrown error, never a write outside a buffer.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels.h"
#include "napi_util.h"

namespace medstudio {
namespace {

enum BinaryOp { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3, kSqDiff = 4 };
// How b (or a) lines up with the output: same size, repeated per row of `inner`, or a scalar.
enum Broadcast { kSame = 0, kBRow = 1, kARow = 2, kBScalar = 3, kAScalar = 4 };

// The lengths a and b must have for an output of n elements in this broadcast mode.
void operand_lengths(int mode, size_t n, size_t inner, size_t na, size_t nb) {
  switch (mode) {
    case kSame: need(na, n, "a"), need(nb, n, "b"); break;
    case kBRow: need(na, n, "a"), need(nb, inner, "b (one row)"); break;
    case kARow: need(na, inner, "a (one row)"), need(nb, n, "b"); break;
    case kBScalar: need(na, n, "a"), need(nb, 1, "b (a scalar)"); break;
    case kAScalar: need(na, 1, "a (a scalar)"), need(nb, n, "b"); break;
    default: throw JsError("medstudio-native: unknown broadcast mode");
  }
  if ((mode == kBRow || mode == kARow) && n % inner) throw JsError("medstudio-native: rows do not divide the output");
}

template <int OP>
inline float apply(float a, float b) {
  if constexpr (OP == kAdd) return a + b;
  if constexpr (OP == kSub) return a - b;
  if constexpr (OP == kMul) return a * b;
  if constexpr (OP == kDiv) return a / b;
  float d = a - b;
  return d * d;
}

template <int OP>
void binary_run(const float* a, const float* b, float* out, int64_t n, int mode, int64_t inner) {
  switch (mode) {
    case kSame:
#pragma omp parallel for schedule(static) if (n >= 65536)
      for (int64_t i = 0; i < n; i++) out[i] = apply<OP>(a[i], b[i]);
      break;
    case kBScalar: {
      const float v = b[0];
#pragma omp parallel for schedule(static) if (n >= 65536)
      for (int64_t i = 0; i < n; i++) out[i] = apply<OP>(a[i], v);
      break;
    }
    case kAScalar: {
      const float v = a[0];
#pragma omp parallel for schedule(static) if (n >= 65536)
      for (int64_t i = 0; i < n; i++) out[i] = apply<OP>(v, b[i]);
      break;
    }
    case kBRow:
    case kARow: {
      const int64_t rows = n / inner;
#pragma omp parallel for schedule(static) if (n >= 65536)
      for (int64_t r = 0; r < rows; r++) {
        const int64_t o = r * inner;
        if (mode == kBRow)
          for (int64_t c = 0; c < inner; c++) out[o + c] = apply<OP>(a[o + c], b[c]);
        else
          for (int64_t c = 0; c < inner; c++) out[o + c] = apply<OP>(a[c], b[o + c]);
      }
      break;
    }
    default:
      throw JsError("medstudio-native: unknown broadcast mode");
  }
}


}  // namespace

// binary(op, mode, inner, a, b, out)
napi_value Binary(napi_env env, napi_callback_info info) {
  auto v = args(env, info, 6);
  const int32_t op = int32(env, v[0], "op"), mode = int32(env, v[1], "mode"), inner = int32(env, v[2], "inner");
  auto av = view<float>(env, v[3], napi_float32_array, "a");
  auto bv = view<float>(env, v[4], napi_float32_array, "b");
  auto ov = view<float>(env, v[5], napi_float32_array, "out");
  if (!av || !bv || !ov || inner <= 0) throw JsError("medstudio-native: binary needs a, b, out and a positive row length");
  const size_t n = ov.n;
  operand_lengths(mode, n, size_t(inner), av.n, bv.n);
  const float* a = av.data;
  const float* b = bv.data;
  float* out = ov.data;
  switch (op) {
    case kAdd: binary_run<kAdd>(a, b, out, n, mode, inner); break;
    case kSub: binary_run<kSub>(a, b, out, n, mode, inner); break;
    case kMul: binary_run<kMul>(a, b, out, n, mode, inner); break;
    case kDiv: binary_run<kDiv>(a, b, out, n, mode, inner); break;
    case kSqDiff: binary_run<kSqDiff>(a, b, out, n, mode, inner); break;
    default: throw JsError("medstudio-native: unknown binary op");
  }
  return nullptr;
}

// reduceSum(x, out, outer, r, inner, scale): out[o, i] = scale * sum_j x[o, j, i]. Sums are
// accumulated in double so long reductions (a batch's worth of pixels) stay exact to float.
napi_value ReduceSum(napi_env env, napi_callback_info info) {
  auto v = args(env, info, 6);
  auto xv = view<float>(env, v[0], napi_float32_array, "x");
  auto ov = view<float>(env, v[1], napi_float32_array, "out");
  const int64_t outer = int64(env, v[2], "outer"), r = int64(env, v[3], "r"), inner = int64(env, v[4], "inner");
  const double scale = number(env, v[5], "scale");
  if (!xv || !ov || outer < 1 || r < 1 || inner < 1) throw JsError("medstudio-native: reduceSum needs x, out and positive extents");
  need(xv.n, size_t(outer * r * inner), "reduceSum x");
  need(ov.n, size_t(outer * inner), "reduceSum out");
  const float* x = xv.data;
  float* out = ov.data;
  if (inner == 1) {
    // Rows reduce to one value each.
#pragma omp parallel for schedule(static) if (outer * r >= 65536)
    for (int64_t o = 0; o < outer; o++) {
      const float* row = x + o * r;
      double acc = 0;
      for (int64_t j = 0; j < r; j++) acc += row[j];
      out[o] = float(acc * scale);
    }
    return nullptr;
  }
  for (int64_t o = 0; o < outer; o++) {
    const float* block = x + o * r * inner;
    const int threads = (r * inner >= 65536) ? omp_get_max_threads() : 1;
    std::vector<double> partial(size_t(threads) * inner, 0.0);
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num();
      double* acc = partial.data() + size_t(t) * inner;
      std::vector<float> chunk(inner);
      // Float partials over short runs of rows, folded into double: vectorises and stays exact.
#pragma omp for schedule(static)
      for (int64_t j0 = 0; j0 < r; j0 += 64) {
        std::fill(chunk.begin(), chunk.end(), 0.f);
        const int64_t j1 = std::min(r, j0 + 64);
        for (int64_t j = j0; j < j1; j++) {
          const float* row = block + j * inner;
          for (int64_t i = 0; i < inner; i++) chunk[i] += row[i];
        }
        for (int64_t i = 0; i < inner; i++) acc[i] += chunk[i];
      }
    }
    for (int64_t i = 0; i < inner; i++) {
      double s = 0;
      for (int t = 0; t < threads; t++) s += partial[size_t(t) * inner + i];
      out[o * inner + i] = float(s * scale);
    }
  }
  return nullptr;
}

// channelAffine(a, b|null, out, p, q|null, r): out[.., c] = a*p[c] + b*q[c] + r[c]. With b null
// it is batch-norm's normalise step (factors folded per channel in JS); with b it is the whole
// batch-norm input gradient in one pass.
napi_value ChannelAffine(napi_env env, napi_callback_info info) {
  auto v = args(env, info, 6);
  auto av = view<float>(env, v[0], napi_float32_array, "a");
  auto bv = view<float>(env, v[1], napi_float32_array, "b");
  auto ov = view<float>(env, v[2], napi_float32_array, "out");
  auto pv = view<float>(env, v[3], napi_float32_array, "p");
  auto qv = view<float>(env, v[4], napi_float32_array, "q");
  auto rv = view<float>(env, v[5], napi_float32_array, "r");
  const size_t n = ov.n, c = pv.n;
  if (!av || !ov || !pv || !rv || bool(bv) != bool(qv) || n % c) throw JsError("medstudio-native: channelAffine shapes");
  need(av.n, n, "channelAffine a");
  need(rv.n, c, "channelAffine r");
  if (bv) need(bv.n, n, "channelAffine b"), need(qv.n, c, "channelAffine q");
  const float *a = av.data, *b = bv.data, *p = pv.data, *q = qv.data, *r = rv.data;
  float* out = ov.data;
  const int64_t rows = n / c;
#pragma omp parallel for schedule(static) if (n >= 65536)
  for (int64_t i = 0; i < rows; i++) {
    const int64_t o = i * c;
    if (b)
      for (size_t k = 0; k < c; k++) out[o + k] = a[o + k] * p[k] + b[o + k] * q[k] + r[k];
    else
      for (size_t k = 0; k < c; k++) out[o + k] = a[o + k] * p[k] + r[k];
  }
  return nullptr;
}

// channelSums(a, b|null, center|null, out:Float64Array(2C)): per channel (last axis),
// out[c] = sum a and out[C+c] = sum a*(b - center[c]), or sum a^2 without b. Batch-norm's
// statistics and its gradient's two sums, each in one pass.
napi_value ChannelSums(napi_env env, napi_callback_info info) {
  auto v = args(env, info, 4);
  auto av = view<float>(env, v[0], napi_float32_array, "a");
  auto bv = view<float>(env, v[1], napi_float32_array, "b");
  auto cv = view<float>(env, v[2], napi_float32_array, "center");
  auto ov = view<double>(env, v[3], napi_float64_array, "out");
  const size_t n = av.n, c = ov.n / 2;
  if (!av || !ov || c == 0 || ov.n % 2 || n % c || bool(bv) != bool(cv)) throw JsError("medstudio-native: channelSums shapes");
  if (bv) need(bv.n, n, "channelSums b"), need(cv.n, c, "channelSums center");
  const float *a = av.data, *b = bv.data, *center = cv.data;
  double* out = ov.data;
  const int64_t rows = n / c;
  const int threads = n >= 65536 ? omp_get_max_threads() : 1;
  std::vector<double> partial(size_t(threads) * 2 * c, 0.0);
#pragma omp parallel num_threads(threads)
  {
    double* acc = partial.data() + size_t(omp_get_thread_num()) * 2 * c;
    std::vector<float> s1(c), s2(c);
#pragma omp for schedule(static)
    for (int64_t r0 = 0; r0 < rows; r0 += 64) {
      std::fill(s1.begin(), s1.end(), 0.f);
      std::fill(s2.begin(), s2.end(), 0.f);
      const int64_t r1 = std::min(rows, r0 + 64);
      for (int64_t r = r0; r < r1; r++) {
        const float* ar = a + r * c;
        if (b) {
          const float* br = b + r * c;
          for (size_t k = 0; k < c; k++) {
            s1[k] += ar[k];
            s2[k] += ar[k] * (br[k] - center[k]);
          }
        } else {
          for (size_t k = 0; k < c; k++) {
            s1[k] += ar[k];
            s2[k] += ar[k] * ar[k];
          }
        }
      }
      for (size_t k = 0; k < c; k++) {
        acc[k] += s1[k];
        acc[c + k] += s2[k];
      }
    }
  }
  for (size_t k = 0; k < 2 * c; k++) {
    double sum = 0;
    for (int t = 0; t < threads; t++) sum += partial[size_t(t) * 2 * c + k];
    out[k] = sum;
  }
  return nullptr;
}

// compare(op, mode, a, b, out:Uint8Array): 0 >=, 1 <=, 2 >, 3 <, 4 ==; mode as binary's
// (0 same shape, 3 b scalar, 4 a scalar). logicalAnd(a, b, out) and select(cond, a, b, out) on
// same-size operands. The gradients of clipping (relu6, clipByValue) are made of these.
napi_value Compare(napi_env env, napi_callback_info info) {
  auto v = args(env, info, 5);
  const int32_t op = int32(env, v[0], "op"), mode = int32(env, v[1], "mode");
  auto av = view<float>(env, v[2], napi_float32_array, "a");
  auto bv = view<float>(env, v[3], napi_float32_array, "b");
  auto ov = view<uint8_t>(env, v[4], napi_uint8_array, "out");
  if (!av || !bv || !ov) throw JsError("medstudio-native: compare needs a, b and out");
  if (mode != kSame && mode != kAScalar && mode != kBScalar) throw JsError("medstudio-native: compare broadcasts scalars only");
  operand_lengths(mode, ov.n, 1, av.n, bv.n);
  const float *a = av.data, *b = bv.data;
  uint8_t* out = ov.data;
  const int64_t m = int64_t(ov.n);
  const int64_t sa = mode == kAScalar ? 0 : 1, sb = mode == kBScalar ? 0 : 1;
  switch (op) {
#define MEDSTUDIO_CMP(K, EXPR)                                              \
  case K:                                                                   \
    _Pragma("omp parallel for schedule(static) if (m >= 65536)")            \
    for (int64_t i = 0; i < m; i++) {                                       \
      const float x = a[i * sa], y = b[i * sb];                             \
      out[i] = (EXPR) ? 1 : 0;                                              \
    }                                                                       \
    break;
    MEDSTUDIO_CMP(0, x >= y)
    MEDSTUDIO_CMP(1, x <= y)
    MEDSTUDIO_CMP(2, x > y)
    MEDSTUDIO_CMP(3, x < y)
    MEDSTUDIO_CMP(4, x == y)
#undef MEDSTUDIO_CMP
    default:
      throw JsError("medstudio-native: unknown comparison");
  }
  return nullptr;
}

napi_value LogicalAnd(napi_env env, napi_callback_info info) {
  auto v = args(env, info, 3);
  auto av = view<uint8_t>(env, v[0], napi_uint8_array, "a");
  auto bv = view<uint8_t>(env, v[1], napi_uint8_array, "b");
  auto ov = view<uint8_t>(env, v[2], napi_uint8_array, "out");
  if (!av || !bv || !ov) throw JsError("medstudio-native: logicalAnd needs a, b and out");
  need(av.n, ov.n, "logicalAnd a");
  need(bv.n, ov.n, "logicalAnd b");
  const uint8_t *a = av.data, *b = bv.data;
  uint8_t* out = ov.data;
  const int64_t m = int64_t(ov.n);
#pragma omp parallel for schedule(static) if (m >= 65536)
  for (int64_t i = 0; i < m; i++) out[i] = (a[i] && b[i]) ? 1 : 0;
  return nullptr;
}

napi_value Select(napi_env env, napi_callback_info info) {
  auto v = args(env, info, 4);
  auto cv = view<uint8_t>(env, v[0], napi_uint8_array, "cond");
  auto av = view<float>(env, v[1], napi_float32_array, "a");
  auto bv = view<float>(env, v[2], napi_float32_array, "b");
  auto ov = view<float>(env, v[3], napi_float32_array, "out");
  if (!cv || !av || !bv || !ov) throw JsError("medstudio-native: select needs cond, a, b and out");
  need(cv.n, ov.n, "select cond");
  need(av.n, ov.n, "select a");
  need(bv.n, ov.n, "select b");
  const uint8_t* c = cv.data;
  const float *a = av.data, *b = bv.data;
  float* out = ov.data;
  const int64_t m = int64_t(ov.n);
#pragma omp parallel for schedule(static) if (m >= 65536)
  for (int64_t i = 0; i < m; i++) out[i] = c[i] ? a[i] : b[i];
  return nullptr;
}

// unary(op, x, out, alpha): 0 square, 1 relu, 2 step (x > 0 ? 1 : alpha), 3 sqrt, 4 rsqrt.
// wasm's own versions of these pay a thread-pool wake-up per call even on tiny tensors.
napi_value Unary(napi_env env, napi_callback_info info) {
  auto v = args(env, info, 4);
  const int32_t op = int32(env, v[0], "op");
  auto xv = view<float>(env, v[1], napi_float32_array, "x");
  auto ov = view<float>(env, v[2], napi_float32_array, "out");
  const float al = float(number(env, v[3], "alpha"));
  if (!xv || !ov) throw JsError("medstudio-native: unary needs x and out");
  need(xv.n, ov.n, "unary x");
  const float* x = xv.data;
  float* out = ov.data;
  const int64_t m = int64_t(ov.n);
  switch (op) {
    case 0:
#pragma omp parallel for schedule(static) if (m >= 65536)
      for (int64_t i = 0; i < m; i++) out[i] = x[i] * x[i];
      break;
    case 1:
#pragma omp parallel for schedule(static) if (m >= 65536)
      for (int64_t i = 0; i < m; i++) out[i] = std::max(x[i], 0.f);  // branch-free: vectorises
      break;
    case 2:
#pragma omp parallel for schedule(static) if (m >= 65536)
      for (int64_t i = 0; i < m; i++) {
        const float v = x[i];
        const float s = v > 0.f ? 1.f : al;
        out[i] = v != v ? v : s;  // NaN stays NaN, as in tfjs
      }
      break;
    case 3:
#pragma omp parallel for schedule(static) if (m >= 65536)
      for (int64_t i = 0; i < m; i++) out[i] = std::sqrt(x[i]);
      break;
    case 4:
#pragma omp parallel for schedule(static) if (m >= 65536)
      for (int64_t i = 0; i < m; i++) out[i] = 1.f / std::sqrt(x[i]);
      break;
    default:
      throw JsError("medstudio-native: unknown unary op");
  }
  return nullptr;
}

}  // namespace medstudio
