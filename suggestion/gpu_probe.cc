#include "suggestion/gpu_probe.h"

#include <dlfcn.h>

#include <string>

#include "spdlog/spdlog.h"

namespace ktune::suggestion {
namespace {

// The two driver API entry points used, as cuda.h declares them (CUresult is an int enum,
// CUDA_SUCCESS is 0). Declared here so that nothing needs the CUDA toolkit to build.
using CuInitFn = int (*)(unsigned int flags);
using CuDeviceGetCountFn = int (*)(int* count);
constexpr int kCudaSuccess = 0;

bool Probe() {
  void* driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (driver == nullptr) {
    const char* why = dlerror();
    spdlog::debug("no CUDA driver: {}", why != nullptr ? why : "libcuda.so.1 not found");
    return false;
  }
  auto cu_init = reinterpret_cast<CuInitFn>(dlsym(driver, "cuInit"));
  auto cu_device_get_count =
      reinterpret_cast<CuDeviceGetCountFn>(dlsym(driver, "cuDeviceGetCount"));
  if (cu_init == nullptr || cu_device_get_count == nullptr) {
    spdlog::debug("libcuda.so.1 lacks cuInit or cuDeviceGetCount; no GPU assumed");
    dlclose(driver);  // nothing of it has run
    return false;
  }
  // From here on the driver may have started threads: it is never unloaded.
  if (int rc = cu_init(0); rc != kCudaSuccess) {
    spdlog::debug("cuInit failed (CUresult {}); no GPU assumed", rc);
    return false;
  }
  int count = 0;
  if (int rc = cu_device_get_count(&count); rc != kCudaSuccess) {
    spdlog::debug("cuDeviceGetCount failed (CUresult {}); no GPU assumed", rc);
    return false;
  }
  spdlog::debug("CUDA devices visible to this process: {}", count);
  return count > 0;
}

}  // namespace

bool CudaDevicePresent() {
  static const bool present = Probe();
  return present;
}

}  // namespace ktune::suggestion
