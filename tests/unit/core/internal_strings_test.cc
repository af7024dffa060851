// core/internal/strings.h: typo suggestions and JSON pointers for the validators' messages.
#include "core/internal/strings.h"

#include <gtest/gtest.h>

namespace ktune::core::internal {
namespace {

TEST(InternalStringsTest, EditDistanceIgnoresCase) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
  EXPECT_EQ(EditDistance("comand", "command"), 1u);
  EXPECT_EQ(EditDistance("WorkingDir", "workingdir"), 0u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(InternalStringsTest, ClosestIsTheFirstNearEnoughCandidate) {
  const std::vector<std::string> fields = {"command", "args", "image", "imagePullPolicy"};
  EXPECT_EQ(Closest("comand", fields), "command");
  EXPECT_EQ(Closest("imag", fields), "image");
  EXPECT_EQ(Closest("volumes", fields), "");  // nothing that close
  EXPECT_EQ(Closest("x", {}), "");
  // Ties keep the earlier candidate.
  EXPECT_EQ(Closest("ab", {"ac", "ad"}), "ac");
}

TEST(InternalStringsTest, JsonPointerTokensAreEscaped) {
  EXPECT_EQ(JsonPointerJoin("", "spec"), "/spec");
  EXPECT_EQ(JsonPointerJoin("/metadata/labels", "katib.kubeflow.org/trial"),
            "/metadata/labels/katib.kubeflow.org~1trial");
  EXPECT_EQ(JsonPointerJoin("/a", "x~y"), "/a/x~0y");
  EXPECT_EQ(JsonPointerJoin("/list", "0"), "/list/0");
}

}  // namespace
}  // namespace ktune::core::internal
