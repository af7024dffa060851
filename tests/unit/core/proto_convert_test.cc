// core/proto_convert.h: a trial's observation in api.proto holds one value per metric, chosen
// by that metric's strategy.
#include "core/proto_convert.h"

#include <gtest/gtest.h>

namespace ktune::core {
namespace {

TEST(ProtoConvertTest, TrialObservationHoldsEachMetricsValueUnderItsStrategy) {
  Trial t;
  t.metadata.name = "t1";
  t.spec.objective = {"minimize",
                      std::nullopt,
                      "loss",
                      {"acc", "f1"},
                      {{"loss", "min"}, {"acc", "max"}, {"f1", "latest"}}};
  t.status.observation = Observation{{{"loss", "0.1", "0.9", "0.5"},
                                      {"acc", "0.6", "0.8", "0.7"},
                                      {"f1", "0.2", "0.4", "0.3"},
                                      {"other", kUnavailable, kUnavailable, kUnavailable}}};
  const api::v1::beta1::Trial proto = TrialToProto(t);
  const auto& metrics = proto.status().observation().metrics();
  ASSERT_EQ(metrics.size(), 4);
  EXPECT_EQ(metrics[0].name(), "loss");
  EXPECT_EQ(metrics[0].value(), "0.1");
  EXPECT_EQ(metrics[1].name(), "acc");
  EXPECT_EQ(metrics[1].value(), "0.8");
  EXPECT_EQ(metrics[2].value(), "0.3");
  EXPECT_EQ(metrics[3].name(), "other");
  EXPECT_EQ(metrics[3].value(), kUnavailable);
}

}  // namespace
}  // namespace ktune::core
