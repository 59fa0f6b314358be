// MedStudio's optional native kernels: oneDNN (the library PyTorch's CPU convolutions use)
// carrying the heavy training kernels of the wasm backend. JS hands in Float32Array views of the
// wasm heap, so nothing is copied; every call is synchronous on the JS thread and oneDNN spreads
// it over OpenMP threads. Primitives are cached by their full geometry.
#include <node_api.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;
using dims = memory::dims;

namespace {

engine& cpu() {
  static engine e(engine::kind::cpu, 0);
  return e;
}
stream& strm() {
  static stream s(cpu());
  return s;
}

// ---- N-API helpers ------------------------------------------------------------------------

struct JsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(napi_env env, napi_status s, const char* what) {
  if (s != napi_ok) throw JsError(std::string("medstudio-native: ") + what);
}

std::vector<napi_value> args(napi_env env, napi_callback_info info, size_t want) {
  size_t argc = want;
  std::vector<napi_value> argv(want);
  check(env, napi_get_cb_info(env, info, &argc, argv.data(), nullptr, nullptr), "bad arguments");
  if (argc < want) throw JsError("medstudio-native: expected " + std::to_string(want) + " arguments");
  return argv;
}

template <typename T>
T* view(napi_env env, napi_value v, napi_typedarray_type want, size_t* len = nullptr) {
  napi_valuetype vt;
  check(env, napi_typeof(env, v, &vt), "typeof");
  if (vt == napi_null || vt == napi_undefined) return nullptr;
  bool is;
  check(env, napi_is_typedarray(env, v, &is), "is_typedarray");
  if (!is) throw JsError("medstudio-native: expected a typed array");
  napi_typedarray_type t;
  size_t n;
  void* data;
  napi_value ab;
  size_t off;
  check(env, napi_get_typedarray_info(env, v, &t, &n, &data, &ab, &off), "typedarray_info");
  if (t != want) throw JsError("medstudio-native: wrong typed array type");
  if (len) *len = n;
  return static_cast<T*>(data);
}

// ---- geometry -----------------------------------------------------------------------------

// Int32Array layout shared with server/src/engine/native/geometry.ts:
// [nd, N, Cin, Cout, in[nd], out[nd], k[nd], stride[nd], padL[nd], padR[nd], dilation[nd], act,
//  groups]
struct Geom {
  int nd;
  int64_t n, cin, cout;
  dims in, out, k, s, pl, pr, dil;  // dil in oneDNN's convention: 0 = dense
  int act;                          // 0 linear, 1 relu, 2 relu6
  int64_t groups;                   // 1, or Cin for a depthwise convolution
  std::string key;
};

Geom geom(const int32_t* p, size_t len) {
  if (len < 5) throw JsError("medstudio-native: geometry too short");
  Geom g;
  g.nd = p[0];
  if (g.nd < 1 || g.nd > 3) throw JsError("medstudio-native: 1 to 3 spatial dims");
  if (len != size_t(6 + 7 * g.nd)) throw JsError("medstudio-native: geometry has the wrong length");
  g.n = p[1];
  g.cin = p[2];
  g.cout = p[3];
  const int32_t* q = p + 4;
  auto take = [&](dims& d, int sub) {
    for (int i = 0; i < g.nd; i++) d.push_back(int64_t(*q++) - sub);
  };
  take(g.in, 0);
  take(g.out, 0);
  take(g.k, 0);
  take(g.s, 0);
  take(g.pl, 0);
  take(g.pr, 0);
  take(g.dil, 1);
  g.act = *q++;
  g.groups = *q;
  if (g.groups < 1 || g.cin % g.groups || g.cout % g.groups) throw JsError("medstudio-native: bad group count");
  g.key.assign(reinterpret_cast<const char*>(p), len * sizeof(int32_t));
  return g;
}

tag act_tag(int nd) { return nd == 1 ? tag::nwc : nd == 2 ? tag::nhwc : tag::ndhwc; }
tag wei_tag(int nd) { return nd == 1 ? tag::wio : nd == 2 ? tag::hwio : tag::dhwio; }
// tfjs's depthwise filter [kh, kw, C, M] is oneDNN's grouped {G=C, O=M, I=1, kh, kw} laid out h,w,i,g,o.
tag grouped_wei_tag(int nd) { return nd == 1 ? tag::wigo : nd == 2 ? tag::hwigo : tag::dhwigo; }

dims cat(std::initializer_list<int64_t> head, const dims& tail) {
  dims d(head);
  d.insert(d.end(), tail.begin(), tail.end());
  return d;
}

// Activations stay channels-last (tfjs's layout) inside the primitives too: oneDNN's jit
// kernels take nhwc directly, and reordering every activation to a blocked layout and back
// costs more than it gains at these sizes (measured on model B).
bool blocked_activations() {
  static const bool on = [] {
    const char* v = std::getenv("MEDSTUDIO_NATIVE_BLOCKED");
    return v && std::string(v) == "1";
  }();
  return on;
}

memory::desc act_md(const Geom& g, int64_t c, const dims& sp, bool any) {
  return memory::desc(cat({g.n, c}, sp), dt::f32, any && blocked_activations() ? tag::any : act_tag(g.nd));
}
memory::desc wei_md(const Geom& g, bool any) {
  if (g.groups > 1)
    return memory::desc(cat({g.groups, g.cout / g.groups, g.cin / g.groups}, g.k), dt::f32, any ? tag::any : grouped_wei_tag(g.nd));
  return memory::desc(cat({g.cout, g.cin}, g.k), dt::f32, any ? tag::any : wei_tag(g.nd));
}

// A user buffer bound to the layout a primitive wants: reordered in or out when they differ.
struct Port {
  memory::desc want;
  memory inner;  // the primitive's own buffer when the layouts differ
  bool reorder = false;
  primitive to_inner, to_user;
  void init(const memory::desc& user, const memory::desc& prim, bool in, bool out) {
    want = user;
    reorder = user != prim;
    if (!reorder) return;
    inner = memory(prim, cpu());
    memory u(user, cpu(), DNNL_MEMORY_NONE);
    if (in) to_inner = dnnl::reorder(u, inner);
    if (out) to_user = dnnl::reorder(inner, u);
  }
  memory bind_in(void* ptr) {
    memory u(want, cpu(), ptr);
    if (!reorder) return u;
    to_inner.execute(strm(), {{DNNL_ARG_FROM, u}, {DNNL_ARG_TO, inner}});
    return inner;
  }
  memory bind_out(void* ptr) {
    return reorder ? inner : memory(want, cpu(), ptr);
  }
  void finish_out(void* ptr) {
    if (!reorder) return;
    memory u(want, cpu(), ptr);
    to_user.execute(strm(), {{DNNL_ARG_FROM, inner}, {DNNL_ARG_TO, u}});
  }
};

// ---- convolution --------------------------------------------------------------------------

enum ConvKind { kForward = 0, kBackwardData = 1, kBackwardWeights = 2 };

struct ConvPlan {
  primitive prim;
  Port src, wei, dst;
  bool bias = false;
  memory::desc bias_md;
};

std::unordered_map<std::string, std::unique_ptr<ConvPlan>> conv_plans;

convolution_forward::desc fwd_desc(const Geom& g, bool bias, prop_kind prop) {
  auto src = act_md(g, g.cin, g.in, true), wei = wei_md(g, true), dst = act_md(g, g.cout, g.out, true);
  if (bias) {
    memory::desc b({g.cout}, dt::f32, tag::a);
    return convolution_forward::desc(prop, algorithm::convolution_direct, src, wei, b, dst, g.s, g.dil, g.pl, g.pr);
  }
  return convolution_forward::desc(prop, algorithm::convolution_direct, src, wei, dst, g.s, g.dil, g.pl, g.pr);
}

// Plans are a few KB each plus oneDNN's JIT code; shapes repeat every step, so a cap only
// matters for a process that sees endless new shapes (then it starts over).
constexpr size_t kMaxPlans = 512;

ConvPlan& conv_plan(int kind, const Geom& g, bool bias) {
  std::string key = std::to_string(kind) + (bias ? "b" : "n") + g.key;
  auto it = conv_plans.find(key);
  if (it != conv_plans.end()) return *it->second;
  if (conv_plans.size() >= kMaxPlans) conv_plans.clear();
  auto plan = std::make_unique<ConvPlan>();
  auto usrc = act_md(g, g.cin, g.in, false), uwei = wei_md(g, false), udst = act_md(g, g.cout, g.out, false);
  if (kind == kForward) {
    primitive_attr attr;
    if (g.act) {
      post_ops ops;
      if (g.act == 1) ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
      else ops.append_eltwise(1.f, algorithm::eltwise_clip, 0.f, 6.f);
      attr.set_post_ops(ops);
    }
    convolution_forward::primitive_desc pd(fwd_desc(g, bias, prop_kind::forward_training), attr, cpu());
    plan->src.init(usrc, pd.src_desc(), true, false);
    plan->wei.init(uwei, pd.weights_desc(), true, false);
    plan->dst.init(udst, pd.dst_desc(), false, true);
    plan->bias = bias;
    if (bias) plan->bias_md = pd.bias_desc();
    plan->prim = convolution_forward(pd);
  } else if (kind == kBackwardData) {
    convolution_forward::primitive_desc hint(fwd_desc(g, false, prop_kind::forward_training), cpu());
    convolution_backward_data::desc d(algorithm::convolution_direct, act_md(g, g.cin, g.in, true), wei_md(g, true),
                                      act_md(g, g.cout, g.out, true), g.s, g.dil, g.pl, g.pr);
    convolution_backward_data::primitive_desc pd(d, cpu(), hint);
    plan->src.init(usrc, pd.diff_src_desc(), false, true);
    plan->wei.init(uwei, pd.weights_desc(), true, false);
    plan->dst.init(udst, pd.diff_dst_desc(), true, false);
    plan->prim = convolution_backward_data(pd);
  } else {
    convolution_forward::primitive_desc hint(fwd_desc(g, false, prop_kind::forward_training), cpu());
    convolution_backward_weights::desc d(algorithm::convolution_direct, act_md(g, g.cin, g.in, true), wei_md(g, true),
                                         act_md(g, g.cout, g.out, true), g.s, g.dil, g.pl, g.pr);
    convolution_backward_weights::primitive_desc pd(d, cpu(), hint);
    plan->src.init(usrc, pd.src_desc(), true, false);
    plan->wei.init(uwei, pd.diff_weights_desc(), false, true);
    plan->dst.init(udst, pd.diff_dst_desc(), true, false);
    plan->prim = convolution_backward_weights(pd);
  }
  auto& ref = *plan;
  conv_plans.emplace(key, std::move(plan));
  return ref;
}

// conv(kind, geometry:Int32Array, src:Float32Array, weights:Float32Array, dst:Float32Array,
//      bias:Float32Array|null). Forward writes dst, backward-data writes src, backward-weights
//      writes weights; the other two are read.
napi_value Conv(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 6);
  int32_t kind;
  check(env, napi_get_value_int32(env, a[0], &kind), "kind");
  size_t glen;
  const int32_t* gp = view<int32_t>(env, a[1], napi_int32_array, &glen);
  Geom g = geom(gp, glen);
  float* src = view<float>(env, a[2], napi_float32_array);
  float* wei = view<float>(env, a[3], napi_float32_array);
  float* dst = view<float>(env, a[4], napi_float32_array);
  float* bias = view<float>(env, a[5], napi_float32_array);
  if (!src || !wei || !dst) throw JsError("medstudio-native: conv needs src, weights and dst");
  ConvPlan& p = conv_plan(kind, g, bias != nullptr);
  if (kind == kForward) {
    std::unordered_map<int, memory> m{{DNNL_ARG_SRC, p.src.bind_in(src)},
                                      {DNNL_ARG_WEIGHTS, p.wei.bind_in(wei)},
                                      {DNNL_ARG_DST, p.dst.bind_out(dst)}};
    if (bias) m.emplace(DNNL_ARG_BIAS, memory(p.bias_md, cpu(), bias));
    p.prim.execute(strm(), m);
    p.dst.finish_out(dst);
  } else if (kind == kBackwardData) {
    p.prim.execute(strm(), {{DNNL_ARG_DIFF_DST, p.dst.bind_in(dst)},
                            {DNNL_ARG_WEIGHTS, p.wei.bind_in(wei)},
                            {DNNL_ARG_DIFF_SRC, p.src.bind_out(src)}});
    p.src.finish_out(src);
  } else {
    p.prim.execute(strm(), {{DNNL_ARG_SRC, p.src.bind_in(src)},
                            {DNNL_ARG_DIFF_DST, p.dst.bind_in(dst)},
                            {DNNL_ARG_DIFF_WEIGHTS, p.wei.bind_out(wei)}});
    p.wei.finish_out(wei);
  }
  strm().wait();
  return nullptr;
}

// ---- matrix products ------------------------------------------------------------------------

struct MatmulPlan {
  primitive prim;
  memory::desc a, b, c, bias;
};

std::unordered_map<std::string, std::unique_ptr<MatmulPlan>> matmul_plans;

// matmul(geometry:Int32Array [batchA, batchB, M, K, N, transposeA, transposeB, act, hasBias],
//        a, b, c, bias|null): c[batch] = op(a) . op(b) (+ bias) (relu). A batch of 1 broadcasts;
// transposes are strides, never copies.
napi_value Matmul(napi_env env, napi_callback_info info) {
  auto v = args(env, info, 5);
  size_t glen;
  const int32_t* p = view<int32_t>(env, v[0], napi_int32_array, &glen);
  if (glen != 9) throw JsError("medstudio-native: matmul geometry has the wrong length");
  const int64_t ba = p[0], bb = p[1], m = p[2], k = p[3], n = p[4];
  const bool ta = p[5] != 0, tb = p[6] != 0, bias_on = p[8] != 0;
  const int act = p[7];
  if (ba != bb && ba != 1 && bb != 1) throw JsError("medstudio-native: matmul batches must match or be 1");
  const float* a = view<float>(env, v[1], napi_float32_array);
  const float* b = view<float>(env, v[2], napi_float32_array);
  float* c = view<float>(env, v[3], napi_float32_array);
  float* bias = view<float>(env, v[4], napi_float32_array);
  if (!a || !b || !c || (bias_on && !bias)) throw JsError("medstudio-native: matmul needs a, b, c (and bias)");
  std::string key(reinterpret_cast<const char*>(p), glen * sizeof(int32_t));
  auto it = matmul_plans.find(key);
  if (it == matmul_plans.end()) {
    if (matmul_plans.size() >= kMaxPlans) matmul_plans.clear();
    auto plan = std::make_unique<MatmulPlan>();
    plan->a = memory::desc({ba, m, k}, dt::f32, ta ? dims{m * k, 1, m} : dims{m * k, k, 1});
    plan->b = memory::desc({bb, k, n}, dt::f32, tb ? dims{k * n, 1, k} : dims{k * n, n, 1});
    plan->c = memory::desc({std::max(ba, bb), m, n}, dt::f32, tag::abc);
    primitive_attr attr;
    if (act) {
      post_ops ops;
      if (act == 1) ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
      else ops.append_eltwise(1.f, algorithm::eltwise_clip, 0.f, 6.f);
      attr.set_post_ops(ops);
    }
    if (bias_on) {
      plan->bias = memory::desc({1, 1, n}, dt::f32, tag::abc);
      plan->prim = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(plan->a, plan->b, plan->bias, plan->c), attr, cpu()));
    } else {
      plan->prim = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(plan->a, plan->b, plan->c), attr, cpu()));
    }
    it = matmul_plans.emplace(key, std::move(plan)).first;
  }
  MatmulPlan& plan = *it->second;
  std::unordered_map<int, memory> margs{{DNNL_ARG_SRC, memory(plan.a, cpu(), const_cast<float*>(a))},
                                        {DNNL_ARG_WEIGHTS, memory(plan.b, cpu(), const_cast<float*>(b))},
                                        {DNNL_ARG_DST, memory(plan.c, cpu(), c)}};
  if (bias_on) margs.emplace(DNNL_ARG_BIAS, memory(plan.bias, cpu(), bias));
  plan.prim.execute(strm(), margs);
  strm().wait();
  return nullptr;
}

// ---- max pooling --------------------------------------------------------------------------

struct PoolPlan {
  primitive fwd, bwd;
  memory::desc src, dst, ws;
  memory workspace;
};

std::unordered_map<std::string, std::unique_ptr<PoolPlan>> pool_plans;

PoolPlan& pool_plan(const Geom& g) {
  auto it = pool_plans.find(g.key);
  if (it != pool_plans.end()) return *it->second;
  if (pool_plans.size() >= kMaxPlans) pool_plans.clear();
  auto plan = std::make_unique<PoolPlan>();
  plan->src = act_md(g, g.cin, g.in, false);
  plan->dst = act_md(g, g.cin, g.out, false);
  pooling_v2_forward::desc fd(prop_kind::forward_training, algorithm::pooling_max, plan->src, plan->dst, g.s, g.k,
                              g.dil, g.pl, g.pr);
  pooling_v2_forward::primitive_desc fpd(fd, cpu());
  plan->fwd = pooling_v2_forward(fpd);
  plan->ws = fpd.workspace_desc();
  plan->workspace = memory(plan->ws, cpu());
  pooling_v2_backward::desc bd(algorithm::pooling_max, plan->src, plan->dst, g.s, g.k, g.dil, g.pl, g.pr);
  plan->bwd = pooling_v2_backward(pooling_v2_backward::primitive_desc(bd, cpu(), fpd));
  auto& ref = *plan;
  pool_plans.emplace(g.key, std::move(plan));
  return ref;
}

// maxPool(geometry, x, y, dy|null, dx|null): y = maxpool(x); with dy and dx also dx = its gradient.
napi_value MaxPool(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 5);
  size_t glen;
  const int32_t* gp = view<int32_t>(env, a[0], napi_int32_array, &glen);
  Geom g = geom(gp, glen);
  float* x = view<float>(env, a[1], napi_float32_array);
  float* y = view<float>(env, a[2], napi_float32_array);
  float* dy = view<float>(env, a[3], napi_float32_array);
  float* dx = view<float>(env, a[4], napi_float32_array);
  if (!x || !y) throw JsError("medstudio-native: maxPool needs x and y");
  PoolPlan& p = pool_plan(g);
  memory mx(p.src, cpu(), x), my(p.dst, cpu(), y);
  p.fwd.execute(strm(), {{DNNL_ARG_SRC, mx}, {DNNL_ARG_DST, my}, {DNNL_ARG_WORKSPACE, p.workspace}});
  if (dy && dx) {
    memory mdy(p.dst, cpu(), dy), mdx(p.src, cpu(), dx);
    p.bwd.execute(strm(), {{DNNL_ARG_DIFF_DST, mdy}, {DNNL_ARG_DIFF_SRC, mdx}, {DNNL_ARG_WORKSPACE, p.workspace}});
  }
  strm().wait();
  return nullptr;
}

// ---- elementwise and reductions ---------------------------------------------------------
// The memory-bound ops batch normalisation and optimisers are made of. One pass each, over both
// cores; small tensors stay in wasm (the JS side decides) where a call would cost more than it saves.

enum BinaryOp { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3, kSqDiff = 4 };
// How b (or a) lines up with the output: same size, repeated per row of `inner`, or a scalar.
enum Broadcast { kSame = 0, kBRow = 1, kARow = 2, kBScalar = 3, kAScalar = 4 };

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

// binary(op, mode, inner, a, b, out)
napi_value Binary(napi_env env, napi_callback_info info) {
  auto v = args(env, info, 6);
  int32_t op, mode, inner;
  check(env, napi_get_value_int32(env, v[0], &op), "op");
  check(env, napi_get_value_int32(env, v[1], &mode), "mode");
  check(env, napi_get_value_int32(env, v[2], &inner), "inner");
  size_t n;
  const float* a = view<float>(env, v[3], napi_float32_array);
  const float* b = view<float>(env, v[4], napi_float32_array);
  float* out = view<float>(env, v[5], napi_float32_array, &n);
  if (!a || !b || !out || inner <= 0) throw JsError("medstudio-native: binary needs a, b and out");
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
  const float* x = view<float>(env, v[0], napi_float32_array);
  float* out = view<float>(env, v[1], napi_float32_array);
  int64_t outer, r, inner;
  double scale;
  check(env, napi_get_value_int64(env, v[2], &outer), "outer");
  check(env, napi_get_value_int64(env, v[3], &r), "r");
  check(env, napi_get_value_int64(env, v[4], &inner), "inner");
  check(env, napi_get_value_double(env, v[5], &scale), "scale");
  if (!x || !out) throw JsError("medstudio-native: reduceSum needs x and out");
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
  size_t n, c;
  const float* a = view<float>(env, v[0], napi_float32_array);
  const float* b = view<float>(env, v[1], napi_float32_array);
  float* out = view<float>(env, v[2], napi_float32_array, &n);
  const float* p = view<float>(env, v[3], napi_float32_array, &c);
  const float* q = view<float>(env, v[4], napi_float32_array);
  const float* r = view<float>(env, v[5], napi_float32_array);
  if (!a || !out || !p || !r || c == 0 || n % c || (b && !q)) throw JsError("medstudio-native: channelAffine shapes");
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
  size_t n, c2;
  const float* a = view<float>(env, v[0], napi_float32_array, &n);
  const float* b = view<float>(env, v[1], napi_float32_array);
  const float* center = view<float>(env, v[2], napi_float32_array);
  double* out = view<double>(env, v[3], napi_float64_array, &c2);
  const size_t c = c2 / 2;
  if (!a || !out || c == 0 || n % c || (b && !center)) throw JsError("medstudio-native: channelSums shapes");
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
  int32_t op, mode;
  check(env, napi_get_value_int32(env, v[0], &op), "op");
  check(env, napi_get_value_int32(env, v[1], &mode), "mode");
  size_t n;
  const float* a = view<float>(env, v[2], napi_float32_array);
  const float* b = view<float>(env, v[3], napi_float32_array);
  uint8_t* out = view<uint8_t>(env, v[4], napi_uint8_array, &n);
  if (!a || !b || !out) throw JsError("medstudio-native: compare needs a, b and out");
  const int64_t m = int64_t(n);
  const int64_t sa = mode == kAScalar ? 0 : 1, sb = mode == kBScalar ? 0 : 1;
  if (mode != kSame && mode != kAScalar && mode != kBScalar) throw JsError("medstudio-native: compare broadcasts scalars only");
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
  size_t n;
  const uint8_t* a = view<uint8_t>(env, v[0], napi_uint8_array);
  const uint8_t* b = view<uint8_t>(env, v[1], napi_uint8_array);
  uint8_t* out = view<uint8_t>(env, v[2], napi_uint8_array, &n);
  if (!a || !b || !out) throw JsError("medstudio-native: logicalAnd needs a, b and out");
  const int64_t m = int64_t(n);
#pragma omp parallel for schedule(static) if (m >= 65536)
  for (int64_t i = 0; i < m; i++) out[i] = (a[i] && b[i]) ? 1 : 0;
  return nullptr;
}

napi_value Select(napi_env env, napi_callback_info info) {
  auto v = args(env, info, 4);
  size_t n;
  const uint8_t* c = view<uint8_t>(env, v[0], napi_uint8_array);
  const float* a = view<float>(env, v[1], napi_float32_array);
  const float* b = view<float>(env, v[2], napi_float32_array);
  float* out = view<float>(env, v[3], napi_float32_array, &n);
  if (!c || !a || !b || !out) throw JsError("medstudio-native: select needs cond, a, b and out");
  const int64_t m = int64_t(n);
#pragma omp parallel for schedule(static) if (m >= 65536)
  for (int64_t i = 0; i < m; i++) out[i] = c[i] ? a[i] : b[i];
  return nullptr;
}

// unary(op, x, out, alpha): 0 square, 1 relu, 2 step (x > 0 ? 1 : alpha), 3 sqrt, 4 rsqrt.
// wasm's own versions of these pay a thread-pool wake-up per call even on tiny tensors.
napi_value Unary(napi_env env, napi_callback_info info) {
  auto v = args(env, info, 4);
  int32_t op;
  double alpha;
  check(env, napi_get_value_int32(env, v[0], &op), "op");
  size_t n;
  const float* x = view<float>(env, v[1], napi_float32_array);
  float* out = view<float>(env, v[2], napi_float32_array, &n);
  check(env, napi_get_value_double(env, v[3], &alpha), "alpha");
  if (!x || !out) throw JsError("medstudio-native: unary needs x and out");
  const float al = float(alpha);
  const int64_t m = int64_t(n);
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

// ---- process-wide -------------------------------------------------------------------------

napi_value SetThreads(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 1);
  int32_t n;
  check(env, napi_get_value_int32(env, a[0], &n), "threads");
  if (n > 0) omp_set_num_threads(n);
  napi_value out;
  check(env, napi_create_int32(env, omp_get_max_threads(), &out), "int");
  return out;
}

napi_value Info(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  const char* isa = "unknown";
  switch (get_effective_cpu_isa()) {
    case cpu_isa::avx512_core:
    case cpu_isa::avx512_core_vnni:
    case cpu_isa::avx512_core_bf16:
    case cpu_isa::avx512_core_amx: isa = "avx512"; break;
    case cpu_isa::avx2_vnni:
    case cpu_isa::avx2: isa = "avx2"; break;
    case cpu_isa::avx: isa = "avx"; break;
    case cpu_isa::sse41: isa = "sse4.1"; break;
    default: isa = "other"; break;
  }
  std::string s = "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                  std::to_string(v->patch) + " (" + isa + ", " + std::to_string(omp_get_max_threads()) + " threads)";
  napi_value out;
  check(env, napi_create_string_utf8(env, s.c_str(), s.size(), &out), "string");
  return out;
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

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"conv", nullptr, guarded<Conv>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPool", nullptr, guarded<MaxPool>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmul", nullptr, guarded<Matmul>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, guarded<Binary>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduceSum", nullptr, guarded<ReduceSum>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"channelAffine", nullptr, guarded<ChannelAffine>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"channelSums", nullptr, guarded<ChannelSums>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, guarded<Unary>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"compare", nullptr, guarded<Compare>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"logicalAnd", nullptr, guarded<LogicalAnd>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"select", nullptr, guarded<Select>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, guarded<SetThreads>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, guarded<Info>, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
