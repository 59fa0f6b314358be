// Plans: oneDNN primitives bound to memory in a way that cannot write outside what it was given.
//
// The wasm heap is memory the addon only borrows: a plan keeps descriptors, never pointers into
// it, and binds the caller's buffers afresh on every call (the heap may have grown and moved
// since). Every argument bound to a caller's buffer must have that buffer's plain layout and
// exact byte size; anything else (blocked or padded formats, reorders, oneDNN's scratchpad and
// workspace) lives in buffers the plan owns, each with guard zones on both sides. Before a plan
// is used, it runs once on guarded copies of the caller's buffers and every guard is checked; an
// implementation that writes outside any buffer (oneDNN 2.6's 1x1 backward-weights with stride
// does, with 8 channels on AVX-512) is skipped for the next one, and when none is clean the
// call fails so the JS side falls back to the wasm kernel.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "napi_util.h"

namespace medstudio {

// A run wrote past one of the plan's own buffers (into its guard): the plan is not used again.
struct GuardTripped : JsError {
  using JsError::JsError;
};

dnnl::engine& cpu();
dnnl::stream& strm();

// A 64-byte-aligned buffer with guard zones of a known pattern before and after it.
class Owned {
 public:
  Owned(size_t bytes, size_t guard);
  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  // The number of guard bytes (of the first `limit` on each side) that are no longer the pattern.
  size_t damaged(size_t limit = SIZE_MAX) const;

 private:
  std::unique_ptr<uint8_t[]> raw_;
  uint8_t* data_ = nullptr;
  size_t bytes_ = 0, guard_ = 0;
};

// A guard as large as the buffer it protects (64 KB at least): the overruns seen in oneDNN were
// a fraction of the buffer they overran.
size_t guard_for(size_t bytes);

// One of the caller's buffers for a call: its data and its byte length.
struct UserBuf {
  void* data;
  size_t bytes;
};

class Plan {
 public:
  // A caller's buffer #index, with this descriptor (which must be plain and its exact size).
  int user(const dnnl::memory::desc& md, int index, const char* name);
  // A buffer the plan owns (reorder targets, scratchpad, workspace).
  int own(const dnnl::memory::desc& md, const char* name);
  // The caller's buffer #index (layout `plain`) for an argument that wants `want`: the buffer
  // itself when they are the same, else an owned one with reorders in (before) and/or out (after).
  int bind(const dnnl::memory::desc& plain, int index, const dnnl::memory::desc& want, bool in, bool out, const char* name);
  // A step of the plan; its scratchpad (user mode) becomes an owned slot.
  void add(const dnnl::primitive& p, std::vector<std::pair<int, int>> args, const dnnl::memory::desc& scratchpad);

  // Runs on the caller's buffers (sizes checked first), then checks the owned buffers' guards.
  void run(const std::vector<UserBuf>& bufs);
  // Runs once on guarded copies of buffers of the right size; "" when nothing was written
  // outside any buffer, else what was.
  std::string probe();

  std::string impl;  // oneDNN's implementation names, for messages

 private:
  struct Slot {
    dnnl::memory::desc md;
    int user;  // the caller's buffer index, or -1 for an owned one
    std::string name;
    std::unique_ptr<Owned> own;
  };
  struct Step {
    dnnl::primitive prim;
    std::vector<std::pair<int, int>> args;  // (DNNL_ARG_*, slot)
  };
  // A reorder from one slot's layout to another's (its scratchpad an owned slot).
  Step copy(int from, int to);
  void execute(const std::vector<void*>& user_ptrs);
  std::vector<Slot> slots_;
  std::vector<Step> pre_, main_, post_;
  int users_ = 0;
};

// The attributes every primitive gets: user scratchpad (so it is a guarded buffer of ours).
dnnl::primitive_attr safe_attr(dnnl::primitive_attr attr = {});

// Builds a plan from each implementation oneDNN offers (`next` advances to the next one and
// returns false at the end; `name` says which one is current), keeping the first that passes
// the probe. Reference implementations are skipped (slower than the wasm kernels). Throws
// JsError naming every rejected one when none is left.
std::unique_ptr<Plan> choose(const std::string& what, const std::function<std::string()>& name,
                             const std::function<void(Plan&)>& build, const std::function<bool()>& next);

// What the probes rejected in this process (for doctor and tests).
const std::vector<std::string>& rejections();

}  // namespace medstudio
