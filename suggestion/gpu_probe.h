#pragma once
// Whether this process can use a CUDA device, found without linking CUDA: what the host tells
// ABI 1.1 algorithm plugins (KTUNE_HOST_CAPABILITY_GPU).

namespace ktune::suggestion {

// True when the CUDA driver library (libcuda.so.1) loads with dlopen, cuInit(0) succeeds and
// cuDeviceGetCount reports at least one device. So it is false on a machine without the NVIDIA
// driver, when the driver cannot initialise (no device node in a container, a driver/kernel
// mismatch) and when CUDA_VISIBLE_DEVICES hides every device. Probed once per process, on the
// first call (which costs the driver's initialisation, tens to hundreds of milliseconds on a
// machine with a GPU); later calls return the cached answer. The driver stays loaded once
// initialised. Thread-safe.
bool CudaDevicePresent();

}  // namespace ktune::suggestion
