// The oneDNN kernels: convolutions (forward, backward-data, backward-weights; 1-3 spatial dims,
// grouped for depthwise), matrix products and max pooling. Each geometry gets a Plan
// (safe_plan.h) the first time it is seen: probed once, then reused every step.
#include <omp.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "kernels.h"
#include "napi_util.h"
#include "safe_plan.h"

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;
using dims = memory::dims;

namespace medstudio {
namespace {

// ---- plan cache ---------------------------------------------------------------------------

// Plans are a few KB each plus oneDNN's JIT code and their owned buffers; shapes repeat every
// step, so a cap only matters for a process that sees endless new shapes (then it starts over).
constexpr size_t kMaxPlans = 512;

struct Entry {
  std::unique_ptr<Plan> plan;
  std::string error;  // why no implementation was safe (the call then fails every time)
};

std::unordered_map<std::string, Entry> plans;

// Runs the plan for `key` on the caller's buffers, making it with `make` the first time. Thread
// counts change what oneDNN's kernels do (their partition of the work, their scratchpad), so
// they are part of the key. A plan whose run trips a guard is dropped and never rebuilt.
void run_plan(std::string key, const std::function<std::unique_ptr<Plan>()>& make, const std::vector<UserBuf>& bufs) {
  key += "#t" + std::to_string(omp_get_max_threads());
  auto it = plans.find(key);
  if (it == plans.end()) {
    if (plans.size() >= kMaxPlans) plans.clear();
    Entry e;
    try {
      e.plan = make();
    } catch (const JsError& err) {
      e.error = err.what();
    } catch (const dnnl::error& err) {
      e.error = std::string("oneDNN: ") + err.what();
    }
    it = plans.emplace(key, std::move(e)).first;
  }
  if (!it->second.plan) throw JsError(it->second.error);
  try {
    it->second.plan->run(bufs);
  } catch (const GuardTripped& e) {
    it->second = Entry{nullptr, e.what()};
    throw;
  }
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

Geom geom(const View<int32_t>& v) {
  const int32_t* p = v.data;
  if (v.n < 5) throw JsError("medstudio-native: geometry too short");
  Geom g;
  g.nd = p[0];
  if (g.nd < 1 || g.nd > 3) throw JsError("medstudio-native: 1 to 3 spatial dims");
  if (v.n != size_t(6 + 7 * g.nd)) throw JsError("medstudio-native: geometry has the wrong length");
  g.n = p[1];
  g.cin = p[2];
  g.cout = p[3];
  if (g.n < 1 || g.cin < 1 || g.cout < 1) throw JsError("medstudio-native: empty geometry");
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
  for (int i = 0; i < g.nd; i++)
    if (g.in[i] < 1 || g.out[i] < 1 || g.k[i] < 1 || g.s[i] < 1 || g.dil[i] < 0) throw JsError("medstudio-native: bad window geometry");
  g.act = *q++;
  g.groups = *q;
  if (g.groups < 1 || g.cin % g.groups || g.cout % g.groups) throw JsError("medstudio-native: bad group count");
  g.key.assign(reinterpret_cast<const char*>(p), v.n * sizeof(int32_t));
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

// Activations stay channels-last (tfjs's layout) inside the primitives: oneDNN's jit kernels
// take nhwc directly, and reordering every activation to a blocked layout and back costs more
// than it gains at these sizes (measured on model B). Weights may be blocked (`any`): they are
// small, and a blocked copy lives in a buffer the plan owns.
memory::desc act_md(const Geom& g, int64_t c, const dims& sp) { return memory::desc(cat({g.n, c}, sp), dt::f32, act_tag(g.nd)); }
memory::desc wei_md(const Geom& g, bool any) {
  if (g.groups > 1)
    return memory::desc(cat({g.groups, g.cout / g.groups, g.cin / g.groups}, g.k), dt::f32, any ? tag::any : grouped_wei_tag(g.nd));
  return memory::desc(cat({g.cout, g.cin}, g.k), dt::f32, any ? tag::any : wei_tag(g.nd));
}

std::string problem(const char* what, const Geom& g) {
  std::string s = std::string(what) + " mb" + std::to_string(g.n) + "_ic" + std::to_string(g.cin) + "oc" + std::to_string(g.cout) + "_g" +
                  std::to_string(g.groups);
  for (int i = 0; i < g.nd; i++)
    s += "_i" + std::to_string(g.in[i]) + "o" + std::to_string(g.out[i]) + "k" + std::to_string(g.k[i]) + "s" + std::to_string(g.s[i]) +
         "p" + std::to_string(g.pl[i]) + "." + std::to_string(g.pr[i]) + "d" + std::to_string(g.dil[i]);
  return s;
}

post_ops activation(int act) {
  post_ops ops;
  if (act == 1) ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
  else if (act == 2) ops.append_eltwise(1.f, algorithm::eltwise_clip, 0.f, 6.f);
  return ops;
}

// ---- convolution --------------------------------------------------------------------------

enum ConvKind { kForward = 0, kBackwardData = 1, kBackwardWeights = 2 };
// The caller's buffers, in this order, for every kind.
enum ConvBuf { kSrc = 0, kWei = 1, kDst = 2, kBias = 3 };

convolution_forward::desc fwd_desc(const Geom& g, bool bias) {
  auto src = act_md(g, g.cin, g.in), wei = wei_md(g, true), dst = act_md(g, g.cout, g.out);
  if (bias) {
    memory::desc b({g.cout}, dt::f32, tag::a);
    return convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, src, wei, b, dst, g.s, g.dil, g.pl, g.pr);
  }
  return convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, src, wei, dst, g.s, g.dil, g.pl, g.pr);
}

std::unique_ptr<Plan> conv_plan(int kind, const Geom& g, bool bias) {
  const auto usrc = act_md(g, g.cin, g.in), uwei = wei_md(g, false), udst = act_md(g, g.cout, g.out);
  if (kind == kForward) {
    primitive_attr attr;
    if (g.act) attr.set_post_ops(activation(g.act));
    convolution_forward::primitive_desc pd(fwd_desc(g, bias), safe_attr(attr), cpu());
    return choose(
        problem("conv forward", g), [&] { return std::string(pd.impl_info_str()); },
        [&](Plan& p) {
          std::vector<std::pair<int, int>> a{{DNNL_ARG_SRC, p.bind(usrc, kSrc, pd.src_desc(), true, false, "src")},
                                             {DNNL_ARG_WEIGHTS, p.bind(uwei, kWei, pd.weights_desc(), true, false, "weights")},
                                             {DNNL_ARG_DST, p.bind(udst, kDst, pd.dst_desc(), false, true, "dst")}};
          if (bias) a.emplace_back(DNNL_ARG_BIAS, p.bind(memory::desc({g.cout}, dt::f32, tag::a), kBias, pd.bias_desc(), true, false, "bias"));
          p.add(convolution_forward(pd), a, pd.scratchpad_desc());
        },
        [&] { return pd.next_impl(); });
  }
  convolution_forward::primitive_desc hint(fwd_desc(g, false), cpu());
  const auto src = act_md(g, g.cin, g.in), wei = wei_md(g, true), dst = act_md(g, g.cout, g.out);
  if (kind == kBackwardData) {
    convolution_backward_data::desc d(algorithm::convolution_direct, src, wei, dst, g.s, g.dil, g.pl, g.pr);
    convolution_backward_data::primitive_desc pd(d, safe_attr(), cpu(), hint);
    return choose(
        problem("conv backward-data", g), [&] { return std::string(pd.impl_info_str()); },
        [&](Plan& p) {
          p.add(convolution_backward_data(pd),
                {{DNNL_ARG_DIFF_DST, p.bind(udst, kDst, pd.diff_dst_desc(), true, false, "dy")},
                 {DNNL_ARG_WEIGHTS, p.bind(uwei, kWei, pd.weights_desc(), true, false, "weights")},
                 {DNNL_ARG_DIFF_SRC, p.bind(usrc, kSrc, pd.diff_src_desc(), false, true, "dx")}},
                pd.scratchpad_desc());
        },
        [&] { return pd.next_impl(); });
  }
  if (kind != kBackwardWeights) throw JsError("medstudio-native: unknown convolution kind");
  convolution_backward_weights::desc d(algorithm::convolution_direct, src, wei, dst, g.s, g.dil, g.pl, g.pr);
  convolution_backward_weights::primitive_desc pd(d, safe_attr(), cpu(), hint);
  return choose(
      problem("conv backward-weights", g), [&] { return std::string(pd.impl_info_str()); },
      [&](Plan& p) {
        p.add(convolution_backward_weights(pd),
              {{DNNL_ARG_SRC, p.bind(usrc, kSrc, pd.src_desc(), true, false, "x")},
               {DNNL_ARG_DIFF_DST, p.bind(udst, kDst, pd.diff_dst_desc(), true, false, "dy")},
               {DNNL_ARG_DIFF_WEIGHTS, p.bind(uwei, kWei, pd.diff_weights_desc(), false, true, "dw")}},
              pd.scratchpad_desc());
      },
      [&] { return pd.next_impl(); });
}

template <typename T>
UserBuf buf(const View<T>& v) {
  return {v.data, v.bytes()};
}

}  // namespace

// conv(kind, geometry:Int32Array, src:Float32Array, weights:Float32Array, dst:Float32Array,
//      bias:Float32Array|null). Forward writes dst, backward-data writes src, backward-weights
//      writes weights; the other two are read.
napi_value Conv(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 6);
  const int32_t kind = int32(env, a[0], "kind");
  Geom g = geom(view<int32_t>(env, a[1], napi_int32_array, "geometry"));
  auto src = view<float>(env, a[2], napi_float32_array, "src");
  auto wei = view<float>(env, a[3], napi_float32_array, "weights");
  auto dst = view<float>(env, a[4], napi_float32_array, "dst");
  auto bias = view<float>(env, a[5], napi_float32_array, "bias");
  if (!src || !wei || !dst) throw JsError("medstudio-native: conv needs src, weights and dst");
  if (bias && kind != kForward) throw JsError("medstudio-native: only the forward convolution takes a bias");
  const std::string key = std::to_string(kind) + (bias ? "b" : "n") + g.key;
  run_plan(key, [&] { return conv_plan(kind, g, bool(bias)); }, {buf(src), buf(wei), buf(dst), bias ? buf(bias) : UserBuf{nullptr, 0}});
  return nullptr;
}

// matmul(geometry:Int32Array [batchA, batchB, M, K, N, transposeA, transposeB, act, hasBias],
//        a, b, c, bias|null): c[batch] = op(a) . op(b) (+ bias) (relu). A batch of 1 broadcasts;
// transposes are strides, never copies.
napi_value Matmul(napi_env env, napi_callback_info info) {
  auto v = args(env, info, 5);
  auto gv = view<int32_t>(env, v[0], napi_int32_array, "geometry");
  need(gv.n, 9, "matmul geometry");
  const int32_t* p = gv.data;
  const int64_t ba = p[0], bb = p[1], m = p[2], k = p[3], n = p[4];
  const bool ta = p[5] != 0, tb = p[6] != 0, bias_on = p[8] != 0;
  const int act = p[7];
  if (ba < 1 || bb < 1 || m < 1 || k < 1 || n < 1) throw JsError("medstudio-native: empty matmul");
  if (ba != bb && ba != 1 && bb != 1) throw JsError("medstudio-native: matmul batches must match or be 1");
  auto a = view<float>(env, v[1], napi_float32_array, "a");
  auto b = view<float>(env, v[2], napi_float32_array, "b");
  auto c = view<float>(env, v[3], napi_float32_array, "c");
  auto bias = view<float>(env, v[4], napi_float32_array, "bias");
  if (!a || !b || !c || bool(bias) != bias_on) throw JsError("medstudio-native: matmul needs a, b, c (and bias when the geometry says so)");
  const std::string key = "mm" + std::string(reinterpret_cast<const char*>(p), gv.n * sizeof(int32_t));
  auto make = [&] {
    const memory::desc ma({ba, m, k}, dt::f32, ta ? dims{m * k, 1, m} : dims{m * k, k, 1});
    const memory::desc mb({bb, k, n}, dt::f32, tb ? dims{k * n, 1, k} : dims{k * n, n, 1});
    const memory::desc mc({std::max(ba, bb), m, n}, dt::f32, tag::abc);
    const memory::desc mbias({1, 1, n}, dt::f32, tag::abc);
    primitive_attr attr;
    if (act) attr.set_post_ops(activation(act));
    auto d = bias_on ? dnnl::matmul::desc(ma, mb, mbias, mc) : dnnl::matmul::desc(ma, mb, mc);
    dnnl::matmul::primitive_desc pd(d, safe_attr(attr), cpu());
    const std::string what = "matmul " + std::to_string(ba) + "x" + std::to_string(m) + "x" + std::to_string(k) + " . " + std::to_string(bb) +
                             "x" + std::to_string(k) + "x" + std::to_string(n);
    return choose(
        what, [&] { return std::string(pd.impl_info_str()); },
        [&](Plan& pl) {
          std::vector<std::pair<int, int>> margs{{DNNL_ARG_SRC, pl.bind(ma, 0, pd.src_desc(), true, false, "a")},
                                                 {DNNL_ARG_WEIGHTS, pl.bind(mb, 1, pd.weights_desc(), true, false, "b")},
                                                 {DNNL_ARG_DST, pl.bind(mc, 2, pd.dst_desc(), false, true, "c")}};
          if (bias_on) margs.emplace_back(DNNL_ARG_BIAS, pl.bind(mbias, 3, pd.bias_desc(), true, false, "bias"));
          pl.add(dnnl::matmul(pd), margs, pd.scratchpad_desc());
        },
        [&] { return pd.next_impl(); });
  };
  run_plan(key, make, {buf(a), buf(b), buf(c), bias ? buf(bias) : UserBuf{nullptr, 0}});
  return nullptr;
}

// maxPool(geometry, x, y, dy|null, dx|null): y = maxpool(x); with dy and dx also dx = its gradient.
// The gradient needs oneDNN's argmax workspace, so it recomputes the forward pass in the same
// plan; the workspace is a buffer of the plan's own.
napi_value MaxPool(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 5);
  Geom g = geom(view<int32_t>(env, a[0], napi_int32_array, "geometry"));
  if (g.cin != g.cout || g.groups != 1) throw JsError("medstudio-native: pooling keeps its channels");
  auto x = view<float>(env, a[1], napi_float32_array, "x");
  auto y = view<float>(env, a[2], napi_float32_array, "y");
  auto dy = view<float>(env, a[3], napi_float32_array, "dy");
  auto dx = view<float>(env, a[4], napi_float32_array, "dx");
  if (!x || !y || bool(dy) != bool(dx)) throw JsError("medstudio-native: maxPool needs x and y (and dy with dx)");
  const bool grad = bool(dy);
  const std::string key = std::string(grad ? "pg" : "pf") + g.key;
  auto make = [&] {
    const auto src = act_md(g, g.cin, g.in), dst = act_md(g, g.cin, g.out);
    const prop_kind prop = grad ? prop_kind::forward_training : prop_kind::forward_inference;
    pooling_v2_forward::desc fd(prop, algorithm::pooling_max, src, dst, g.s, g.k, g.dil, g.pl, g.pr);
    pooling_v2_forward::primitive_desc fpd(fd, safe_attr(), cpu());
    return choose(
        problem(grad ? "max pool gradient" : "max pool", g), [&] { return std::string(fpd.impl_info_str()); },
        [&](Plan& p) {
          const int sx = p.bind(src, 0, fpd.src_desc(), true, false, "x");
          const int sy = p.bind(dst, 1, fpd.dst_desc(), false, true, "y");
          std::vector<std::pair<int, int>> fa{{DNNL_ARG_SRC, sx}, {DNNL_ARG_DST, sy}};
          int ws = -1;
          if (fpd.workspace_desc().get_size()) fa.emplace_back(DNNL_ARG_WORKSPACE, ws = p.own(fpd.workspace_desc(), "workspace"));
          p.add(pooling_v2_forward(fpd), fa, fpd.scratchpad_desc());
          if (!grad) return;
          pooling_v2_backward::desc bd(algorithm::pooling_max, src, dst, g.s, g.k, g.dil, g.pl, g.pr);
          pooling_v2_backward::primitive_desc bpd(bd, safe_attr(), cpu(), fpd);
          std::vector<std::pair<int, int>> ba{{DNNL_ARG_DIFF_DST, p.bind(dst, 2, bpd.diff_dst_desc(), true, false, "dy")},
                                              {DNNL_ARG_DIFF_SRC, p.bind(src, 3, bpd.diff_src_desc(), false, true, "dx")}};
          if (ws >= 0) ba.emplace_back(DNNL_ARG_WORKSPACE, ws);
          p.add(pooling_v2_backward(bpd), ba, bpd.scratchpad_desc());
        },
        [&] { return fpd.next_impl(); });
  };
  run_plan(key, make, {buf(x), buf(y), grad ? buf(dy) : UserBuf{nullptr, 0}, grad ? buf(dx) : UserBuf{nullptr, 0}});
  return nullptr;
}

}  // namespace medstudio
