#include "core/time_util.h"

#include <gtest/gtest.h>

namespace ktune::core {
namespace {

TEST(TimeUtilTest, RoundTrips) {
  auto t = ParseRfc3339("2026-11-22T13:35:07.123456Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatRfc3339Micros(*t), "2026-11-22T13:35:07.123456Z");
  EXPECT_EQ(FormatRfc3339(*t), "2026-11-22T13:35:07Z");
}

TEST(TimeUtilTest, OffsetsAndNanos) {
  auto t = ParseRfc3339("2026-11-22T15:35:07.123456789+02:00");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatRfc3339Micros(*t), "2026-11-22T13:35:07.123456Z");
}

TEST(TimeUtilTest, KatibZeroTime) {
  auto t = ParseRfc3339(kZeroTime);
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatRfc3339(*t), kZeroTime);
}

TEST(TimeUtilTest, RejectsGarbage) {
  EXPECT_FALSE(ParseRfc3339(""));
  EXPECT_FALSE(ParseRfc3339("2026-11-22"));
  EXPECT_FALSE(ParseRfc3339("2026-13-22T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-11-22T00:00:00"));
  EXPECT_FALSE(ParseRfc3339("loss=0.1"));
}

}  // namespace
}  // namespace ktune::core
