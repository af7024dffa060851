// core/number.h, the one number parser (REVIEW 1.9 "Three number parsers").
#include "core/number.h"

#include <cmath>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

namespace ktune::core {
namespace {

TEST(NumberTest, AcceptsTheDecimalGrammar) {
  struct Case {
    const char* text;
    double value;
  };
  for (const Case& c : {Case{"1", 1}, Case{"-0.5", -0.5}, Case{"+3.", 3}, Case{".5", 0.5},
                        Case{"1e-3", 1e-3}, Case{"2E+10", 2e10}, Case{"0", 0}, Case{"-0", 0},
                        Case{"007", 7}, Case{"1.25e2", 125}, Case{"-.5E1", -5}}) {
    ParsedNumber n = ParseNumber(c.text);
    EXPECT_EQ(n.kind, NumberKind::kFinite) << c.text;
    EXPECT_EQ(n.value, c.value) << c.text;
    ASSERT_TRUE(ParseFiniteNumber(c.text).has_value()) << c.text;
    EXPECT_EQ(*ParseFiniteNumber(c.text), c.value) << c.text;
  }
  EXPECT_TRUE(std::signbit(ParseNumber("-0").value));
}

TEST(NumberTest, RejectsEverythingElse) {
  for (const char* text :
       {"0x0",   "0x1p3", " 1",  "1 ",   "\t1",     "1\n", "1_000", "1,5", "e5",  "E5",    ".",
        "-.",    "+",     "-",   "--1",  "+-1",     "-+1", "1e",    "1e+", "1e-", "1.2.3", "1e2.5",
        "1e2e3", "",      "abc", "nan1", "infinit", "in",  "1f",    "0b1", "١"}) {
    EXPECT_EQ(ParseNumber(text).kind, NumberKind::kInvalid) << "\"" << text << "\"";
    EXPECT_FALSE(ParseFiniteNumber(text).has_value()) << "\"" << text << "\"";
  }
}

TEST(NumberTest, NanAndInfinityAreNonFiniteNotInvalid) {
  for (const char* text : {"nan", "NaN", "NAN", "-nan", "+nan", "inf", "-inf", "+Inf", "INF",
                           "Infinity", "-infinity", "+INFINITY"}) {
    ParsedNumber n = ParseNumber(text);
    EXPECT_EQ(n.kind, NumberKind::kNonFinite) << text;
    EXPECT_FALSE(std::isfinite(n.value)) << text;
    EXPECT_FALSE(ParseFiniteNumber(text).has_value()) << text;
  }
  EXPECT_TRUE(std::isnan(ParseNumber("-nan").value));
  EXPECT_EQ(ParseNumber("-inf").value, -HUGE_VAL);
  EXPECT_EQ(ParseNumber("Infinity").value, HUGE_VAL);
}

TEST(NumberTest, OverflowIsNonFiniteAndUnderflowIsFiniteZero) {
  for (const char* text : {"1e400", "-1e400", "1e99999999999999999999999",
                           "179769313486231580793"
                           "7e289"}) {
    ParsedNumber n = ParseNumber(text);
    EXPECT_EQ(n.kind, NumberKind::kNonFinite) << text;
    EXPECT_TRUE(std::isinf(n.value)) << text;
    EXPECT_EQ(std::signbit(n.value), text[0] == '-') << text;
  }
  // A long mantissa with a negative exponent is still an overflow; a long run of zeros after
  // the point with a positive exponent is still an underflow.
  std::string big = "1" + std::string(500, '0') + "e-10";
  EXPECT_EQ(ParseNumber(big).kind, NumberKind::kNonFinite);
  std::string tiny = "0." + std::string(500, '0') + "1e10";
  ASSERT_EQ(ParseNumber(tiny).kind, NumberKind::kFinite);
  EXPECT_EQ(ParseNumber(tiny).value, 0);
  for (const char* text : {"1e-400", "-1e-400", "1e-99999999999999999999"}) {
    ParsedNumber n = ParseNumber(text);
    EXPECT_EQ(n.kind, NumberKind::kFinite) << text;
    EXPECT_EQ(n.value, 0) << text;
  }
  // The extremes that still fit.
  EXPECT_EQ(ParseNumber("1.7976931348623157e308").kind, NumberKind::kFinite);
  EXPECT_EQ(ParseNumber("0e999999").kind, NumberKind::kFinite);
}

TEST(NumberTest, ParseIntegerBounds) {
  EXPECT_EQ(ParseInteger("0"), 0);
  EXPECT_EQ(ParseInteger("3"), 3);
  EXPECT_EQ(ParseInteger("-2"), -2);
  EXPECT_EQ(ParseInteger("+7"), 7);
  EXPECT_EQ(ParseInteger("-0"), 0);
  EXPECT_EQ(ParseInteger("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(ParseInteger("-9223372036854775808"), INT64_MIN);
  EXPECT_EQ(ParseInteger("+9223372036854775807"), INT64_MAX);
  for (const char* text : {"9223372036854775808", "-9223372036854775809", "18446744073709551616",
                           "99999999999999999999999", "", "+", "-", "1.0", "1e3", " 1", "1 ",
                           "0x10", "1_0", "--1", "nan", "inf"}) {
    EXPECT_FALSE(ParseInteger(text).has_value()) << "\"" << text << "\"";
  }
}

}  // namespace
}  // namespace ktune::core
