#include "algorithms/sobol/sobol_sequence.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>

#include "algorithms/rng.h"

namespace ktune::algorithms {
namespace {

struct SobolDimension {
  uint32_t polynomial;  // with its leading (x^degree) and trailing (1) bits
  uint32_t degree;
  uint32_t offset;  // of m_1..m_degree in kSobolInitial
};

#include "algorithms/sobol/sobol_directions.inc"

// The stream of algorithms::Rng the scramble is drawn from; the sobol plugin uses streams
// 0, 1, 2, ... (one per point), which never reach it.
constexpr uint64_t kScrambleStream = std::numeric_limits<uint64_t>::max();

}  // namespace

int SobolSequence::MaxDimensions() { return kSobolDimensions; }

SobolSequence::SobolSequence(int dimensions) { Init(dimensions); }

SobolSequence::SobolSequence(int dimensions, uint64_t seed) {
  Init(dimensions);
  Rng rng(seed, kScrambleStream);
  for (int d = 0; d < dimensions_; ++d) {
    // Row i of a lower-triangular matrix with unit diagonal, over the digits from the most
    // significant (i = 0, bit 31) down: output digit i = input digit i XOR the parity of the
    // more significant input digits that rows[i] selects.
    uint32_t rows[kBits];
    for (int i = 0; i < kBits; ++i) {
      const uint32_t digit = uint32_t{1} << (kBits - 1 - i);
      // The bits above `digit`: random; `digit` itself: 1; below: 0.
      const uint32_t above = i == 0 ? 0 : ~((digit << 1) - 1);
      rows[i] = (static_cast<uint32_t>(rng.Next() >> 32) & above) | digit;
    }
    uint32_t* v = &directions_[static_cast<size_t>(d) * kBits];
    for (int j = 0; j < kBits; ++j) {
      uint32_t scrambled = 0;
      for (int i = 0; i < kBits; ++i) {
        if (std::popcount(v[j] & rows[i]) & 1) scrambled |= uint32_t{1} << (kBits - 1 - i);
      }
      v[j] = scrambled;
    }
    shift_[d] = static_cast<uint32_t>(rng.Next() >> 32);
  }
}

void SobolSequence::Init(int dimensions) {
  dimensions_ = std::clamp(dimensions, 1, kSobolDimensions);
  directions_.assign(static_cast<size_t>(dimensions_) * kBits, 0);
  shift_.assign(dimensions_, 0);
  for (int d = 0; d < dimensions_; ++d) {
    uint32_t* v = &directions_[static_cast<size_t>(d) * kBits];
    const SobolDimension& dim = kSobolTable[d];
    if (dim.degree == 0) {
      // The first dimension: van der Corput, m_j = 1.
      for (int j = 0; j < kBits; ++j) v[j] = uint32_t{1} << (kBits - 1 - j);
      continue;
    }
    // m_j (odd, below 2^j for j counted from 1), from the initial numbers and the recurrence
    // m_j = 2 a_1 m_{j-1} ^ 4 a_2 m_{j-2} ^ ... ^ 2^s m_{j-s} ^ m_{j-s}, where
    // a_1..a_{s-1} are the polynomial's inner coefficients, then v_j = m_j * 2^(32 - j).
    const int s = static_cast<int>(dim.degree);
    uint64_t m[kBits];
    for (int j = 0; j < kBits; ++j) {
      if (j < s) {
        m[j] = kSobolInitial[dim.offset + j];
        continue;
      }
      uint64_t next = m[j - s] ^ (m[j - s] << s);
      for (int k = 1; k < s; ++k) {
        if ((dim.polynomial >> (s - k)) & 1) next ^= m[j - k] << k;
      }
      m[j] = next;
    }
    for (int j = 0; j < kBits; ++j) v[j] = static_cast<uint32_t>(m[j] << (kBits - 1 - j));
  }
}

void SobolSequence::PointBits(uint64_t index, uint32_t* out) const {
  const uint32_t k = static_cast<uint32_t>(index);
  const uint32_t gray = k ^ (k >> 1);
  for (int d = 0; d < dimensions_; ++d) {
    const uint32_t* v = &directions_[static_cast<size_t>(d) * kBits];
    uint32_t x = shift_[d];
    for (uint32_t bits = gray; bits != 0; bits &= bits - 1) x ^= v[std::countr_zero(bits)];
    out[d] = x;
  }
}

std::vector<double> SobolSequence::Point(uint64_t index) const {
  std::vector<uint32_t> bits(dimensions_);
  PointBits(index, bits.data());
  std::vector<double> point(dimensions_);
  for (int d = 0; d < dimensions_; ++d) point[d] = static_cast<double>(bits[d]) * 0x1p-32;
  return point;
}

}  // namespace ktune::algorithms
