// The addon's exported functions (one N-API callback each), defined across the .cc files.
#pragma once
#include <node_api.h>

namespace medstudio {

// dnnl_kernels.cc
napi_value Conv(napi_env env, napi_callback_info info);
napi_value Matmul(napi_env env, napi_callback_info info);
napi_value MaxPool(napi_env env, napi_callback_info info);

// elementwise.cc
napi_value Binary(napi_env env, napi_callback_info info);
napi_value ReduceSum(napi_env env, napi_callback_info info);
napi_value ChannelAffine(napi_env env, napi_callback_info info);
napi_value ChannelSums(napi_env env, napi_callback_info info);
napi_value Compare(napi_env env, napi_callback_info info);
napi_value LogicalAnd(napi_env env, napi_callback_info info);
napi_value Select(napi_env env, napi_callback_info info);
napi_value Unary(napi_env env, napi_callback_info info);

}  // namespace medstudio
