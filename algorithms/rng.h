#pragma once
// A small, fully specified random generator for algorithms (xoshiro256** seeded through
// SplitMix64). Unlike the <random> distributions, whose output differs between standard
// libraries, every value here is a pure function of (seed, stream), so a seeded run gives the
// same suggestions after a restart and on other platforms (bit for bit for the integer and
// uniform draws; Normal() goes through the C math library's log and cos).
//
// Not thread-safe; cheap to create (one per suggestion is fine).

#include <cstdint>

namespace ktune::algorithms {

class Rng {
 public:
  // Independent sequences for each (seed, stream) pair.
  explicit Rng(uint64_t seed, uint64_t stream = 0);

  uint64_t Next();
  // Uniform in [0, 1), 53 random bits.
  double Uniform01();
  // Uniform in [0, n); n > 0. Unbiased.
  uint64_t UniformInt(uint64_t n);
  // Standard normal (Box-Muller).
  double Normal();

 private:
  uint64_t s_[4];
};

}  // namespace ktune::algorithms
