// core/settings.h: merging the settings a suggestion service returns into the experiment's.
#include "core/settings.h"

#include <gtest/gtest.h>

namespace ktune::core {
namespace {

std::string Text(const std::vector<Setting>& settings) {
  std::string out;
  for (const Setting& s : settings) out += s.name + "=" + s.value + " ";
  return out;
}

TEST(MergeSettingsTest, ReplacesByNameInPlaceAndAppendsNewNamesInOrder) {
  std::vector<Setting> into = {{"random_state", "1"}, {"n_trials", "5"}, {"beta", "0.1"}};
  MergeSettings(into, {{"beta", "0.9"}, {"bracket", "2"}, {"random_state", "7"}, {"rung", "0"}});
  EXPECT_EQ(Text(into), "random_state=7 n_trials=5 beta=0.9 bracket=2 rung=0 ");
}

TEST(MergeSettingsTest, EmptyListsAndRepeatedNames) {
  std::vector<Setting> into;
  MergeSettings(into, {});
  EXPECT_TRUE(into.empty());
  // A name repeated in `from`: the later value wins, the name appears once.
  MergeSettings(into, {{"x", "1"}, {"x", "2"}});
  EXPECT_EQ(Text(into), "x=2 ");
  // A name repeated in `into`: only the first one is replaced.
  into = {{"x", "a"}, {"x", "b"}};
  MergeSettings(into, {{"x", "c"}});
  EXPECT_EQ(Text(into), "x=c x=b ");
  // Merging the same settings again changes nothing.
  std::vector<Setting> twice = {{"a", "1"}, {"b", "2"}};
  const std::vector<Setting> from = twice;
  MergeSettings(twice, from);
  EXPECT_EQ(Text(twice), "a=1 b=2 ");
}

}  // namespace
}  // namespace ktune::core
