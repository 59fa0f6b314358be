#include "safe_plan.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>


using namespace dnnl;

namespace medstudio {

engine& cpu() {
  static engine e(engine::kind::cpu, 0);
  return e;
}
stream& strm() {
  static stream s(cpu());
  return s;
}

namespace {
constexpr uint8_t kPattern = 0xA5;
constexpr size_t kAlign = 64;
// After a normal call only this much of each owned guard is looked at: an overrun starts at
// the buffer's end, and the full check already ran in the probe.
constexpr size_t kTripwire = 256;
std::vector<std::string> rejected;
}  // namespace

size_t guard_for(size_t bytes) { return std::max<size_t>(size_t(64) << 10, (bytes + kAlign - 1) / kAlign * kAlign); }

Owned::Owned(size_t bytes, size_t guard) : bytes_(bytes), guard_((guard + kAlign - 1) / kAlign * kAlign) {
  const size_t total = guard_ * 2 + bytes_ + kAlign;
  raw_.reset(new uint8_t[total]);
  uint8_t* base = raw_.get();
  uint8_t* aligned = base + (kAlign - reinterpret_cast<uintptr_t>(base) % kAlign) % kAlign;
  data_ = aligned + guard_;
  std::memset(aligned, kPattern, guard_);
  std::memset(data_, 0, bytes_);
  std::memset(data_ + bytes_, kPattern, guard_);
}

size_t Owned::damaged(size_t limit) const {
  const size_t n = std::min(limit, guard_);
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    bad += data_[bytes_ + i] != kPattern;
    bad += data_[-1 - std::ptrdiff_t(i)] != kPattern;
  }
  return bad;
}

int Plan::user(const memory::desc& md, int index, const char* name) {
  slots_.push_back({md, index, name, nullptr});
  users_ = std::max(users_, index + 1);
  return int(slots_.size()) - 1;
}

int Plan::own(const memory::desc& md, const char* name) {
  const size_t bytes = md.get_size();
  slots_.push_back({md, -1, name, std::make_unique<Owned>(bytes, guard_for(bytes))});
  return int(slots_.size()) - 1;
}

int Plan::bind(const memory::desc& plain, int index, const memory::desc& want, bool in, bool out, const char* name) {
  const int u = user(plain, index, name);
  if (plain == want) return u;
  const int o = own(want, name);
  if (in) pre_.push_back(copy(u, o));
  if (out) post_.push_back(copy(o, u));
  return o;
}

Plan::Step Plan::copy(int from, int to) {
  reorder::primitive_desc pd(cpu(), slots_[size_t(from)].md, cpu(), slots_[size_t(to)].md, safe_attr());
  std::vector<std::pair<int, int>> a{{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
  if (pd.scratchpad_desc().get_size()) a.emplace_back(DNNL_ARG_SCRATCHPAD, own(pd.scratchpad_desc(), "reorder scratchpad"));
  return {reorder(pd), a};
}

void Plan::add(const primitive& p, std::vector<std::pair<int, int>> a, const memory::desc& scratchpad) {
  if (scratchpad.get_size()) a.emplace_back(DNNL_ARG_SCRATCHPAD, own(scratchpad, "scratchpad"));
  main_.push_back({p, std::move(a)});
}

void Plan::execute(const std::vector<void*>& user_ptrs) {
  std::vector<memory> mem;
  mem.reserve(slots_.size());
  for (auto& s : slots_) mem.emplace_back(s.md, cpu(), s.user >= 0 ? user_ptrs[size_t(s.user)] : s.own->data());
  for (auto* steps : {&pre_, &main_, &post_})
    for (auto& st : *steps) {
      std::unordered_map<int, memory> m;
      for (auto& [arg, slot] : st.args) m.emplace(arg, mem[size_t(slot)]);
      st.prim.execute(strm(), m);
    }
  strm().wait();
}

void Plan::run(const std::vector<UserBuf>& bufs) {
  if (bufs.size() < size_t(users_)) throw JsError("medstudio-native: too few buffers for the plan");
  std::vector<void*> ptrs(bufs.size());
  for (auto& s : slots_) {
    if (s.user < 0) continue;
    const UserBuf& b = bufs[size_t(s.user)];
    if (!b.data) throw JsError("medstudio-native: " + s.name + " is missing");
    if (b.bytes != s.md.get_size())
      throw JsError("medstudio-native: " + s.name + " holds " + std::to_string(b.bytes) + " bytes, the primitive reads or writes " +
                    std::to_string(s.md.get_size()));
  }
  for (size_t i = 0; i < bufs.size(); i++) ptrs[i] = bufs[i].data;
  execute(ptrs);
  for (auto& s : slots_)
    if (s.own && s.own->damaged(kTripwire))
      throw GuardTripped("medstudio-native: " + impl + " wrote past its " + s.name + " (caught by its guard)");
}

std::string Plan::probe() {
  std::vector<std::unique_ptr<Owned>> copies(static_cast<size_t>(users_));
  std::vector<void*> ptrs(static_cast<size_t>(users_));
  for (auto& s : slots_) {
    if (s.user < 0 || copies[size_t(s.user)]) continue;
    const size_t bytes = s.md.get_size();
    auto& c = copies[size_t(s.user)];
    c = std::make_unique<Owned>(bytes, guard_for(bytes));
    // Small finite values: every kernel's arithmetic stays ordinary.
    float* f = static_cast<float*>(c->data());
    for (size_t i = 0; i < bytes / sizeof(float); i++) f[i] = float(int(i % 7) - 3) * 0.125f;
    ptrs[size_t(s.user)] = c->data();
  }
  execute(ptrs);
  std::string bad;
  auto note = [&](const std::string& name, size_t n) {
    if (n) bad += (bad.empty() ? "" : ", ") + name + " (" + std::to_string(n) + " guard bytes)";
  };
  for (auto& s : slots_) {
    if (s.own) note(s.name, s.own->damaged());
    else if (copies[size_t(s.user)]) {
      note(s.name, copies[size_t(s.user)]->damaged());
      copies[size_t(s.user)].reset();  // a buffer bound twice is reported once
    }
  }
  return bad;
}

primitive_attr safe_attr(primitive_attr attr) {
  attr.set_scratchpad_mode(scratchpad_mode::user);
  return attr;
}

std::unique_ptr<Plan> choose(const std::string& what, const std::function<std::string()>& name,
                             const std::function<void(Plan&)>& build, const std::function<bool()>& next) {
  std::string why;
  do {
    const std::string impl = name();
    if (impl.rfind("ref", 0) == 0) {
      why += (why.empty() ? "" : "; ") + impl + " (reference: slower than wasm)";
      continue;
    }
    auto plan = std::make_unique<Plan>();
    plan->impl = impl;
    build(*plan);
    const std::string bad = plan->probe();
    if (bad.empty()) return plan;
    const std::string line = what + ": " + impl + " wrote outside " + bad;
    rejected.push_back(line);
    why += (why.empty() ? "" : "; ") + impl + " wrote outside " + bad;
  } while (next());
  throw JsError("medstudio-native: no safe oneDNN implementation for " + what + (why.empty() ? "" : ": " + why));
}

const std::vector<std::string>& rejections() { return rejected; }

}  // namespace medstudio
