#pragma once
// Search-space helpers shared by algorithm plugins (target ktune_search_space): parse Katib's
// ParameterSpec into typed domains, sample them, enumerate grids, format values and build
// de-duplication keys of assignment sets.
//
// Built against the lite api.proto (ktune_api_proto_lite), for plugins; see plugin.h.
// All types here are values; const methods are thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "algorithms/rng.h"
#include "api/api.pb.h"

namespace ktune::algorithms {

enum class ParameterKind { kDouble, kInt, kDiscrete, kCategorical };
enum class Distribution { kUniform, kLogUniform, kNormal, kLogNormal };

// Katib's spelling: "double", "int", "discrete", "categorical".
const char* ParameterKindName(ParameterKind kind);
// Katib's spelling: "uniform", "logUniform", "normal", "logNormal".
const char* DistributionName(Distribution distribution);

// One parameter's feasible space, parsed and checked.
//
// double: [min, max], optional step (then the values are min + k*step <= max).
// int: [min, max] with step (default 1), values min + k*step <= max.
// discrete: a list of numbers; categorical: a list of strings (duplicates dropped, order kept).
// Distributions (ignored for discrete and categorical):
//   uniform; logUniform (needs min > 0); normal with mu = (min+max)/2, sigma = (max-min)/6,
//   clipped into [min, max]; logNormal, the same in log space (needs min > 0).
//   A stepped or int parameter samples uniformly among its points for uniform, and otherwise
//   rounds the continuous sample to the nearest point.
class Parameter {
 public:
  // InvalidArgument naming the parameter, e.g. `parameter "lr": min "abc" is not a number`.
  static absl::StatusOr<Parameter> FromProto(const api::v1::beta1::ParameterSpec& spec);

  const std::string& name() const { return name_; }
  ParameterKind kind() const { return kind_; }
  Distribution distribution() const { return distribution_; }
  // double and int.
  double min() const { return min_; }
  double max() const { return max_; }
  // Always true for int; for double, whether a step was given.
  bool has_step() const { return step_ > 0; }
  double step() const { return step_; }
  // discrete and categorical: the values as written.
  const std::vector<std::string>& list() const { return list_; }

  // True when the parameter has finitely many values: int, discrete, categorical, a stepped
  // double, or a double with min == max.
  bool finite() const { return size_ > 0; }
  // The number of values when finite (saturating at UINT64_MAX), else 0.
  uint64_t size() const { return size_; }
  // Value number `index` in grid order (min upwards, or the list's order); index < size().
  std::string ValueAt(uint64_t index) const;
  // One random value, drawn from `rng`.
  std::string Sample(Rng& rng) const;
  // Formats a numeric value the way this parameter prints its values: ints as integers;
  // stepped doubles with the decimals of min and step (0.3, not 0.30000000000000004);
  // other doubles and discrete numbers in the shortest text that reads back exactly.
  std::string Format(double value) const;
  // The canonical text of a value written by anyone (e.g. "0.30" and "0.3" for a double, "1.0"
  // and "1" for an int); text that is not a number of this parameter comes back unchanged.
  std::string Canonical(std::string_view value) const;

  // ---- The unit coordinate, for model-based algorithms (sobol, tpe, bayesianoptimization) ----
  //
  // Every parameter has one coordinate u in [0, 1].
  // - double without step: the value's position between min and max, in log space for
  //   logUniform and logNormal (log_scale()). normal and logNormal keep this geometry: their
  //   prior is the algorithm's business (mu = (min+max)/2, sigma = (max-min)/6, KATIB.md §8.1).
  // - int and stepped double with n points: the same scale, widened by half a step at each end
  //   so that every point owns a cell of [0, 1] (of equal width on a linear scale): point k
  //   sits at the centre of its cell and FromUnit maps the whole cell to it. On a log scale
  //   the lower end is widened only while it stays positive.
  // - discrete: the listed numbers in increasing order, placed linearly by value between the
  //   smallest and the largest, each owning the cell up to the midpoints with its neighbours
  //   (the end cells widened by half a neighbour gap). One listed value sits at 0.5.
  // - categorical: value number k of n owns the cell [k/n, (k+1)/n) and sits at its centre.
  // A parameter with a single value (min == max) sits at 0.5.
  bool log_scale() const {
    return distribution_ == Distribution::kLogUniform || distribution_ == Distribution::kLogNormal;
  }
  // The coordinate of a value written as text (Canonical rules: "1.0" is the int 1), or
  // nullopt when the text is not a value of this parameter: not a number, outside [min, max],
  // not a listed value, or (int, stepped double) not on the grid after rounding to it.
  std::optional<double> ToUnit(std::string_view value) const;
  // The value at coordinate u (clamped into [0, 1]; NaN is taken as 0.5): unstepped doubles
  // exactly (then Format), every other kind the point whose cell holds u.
  std::string FromUnit(double u) const;
  // The coordinate of FromUnit(u): the centre of u's cell, or u itself for an unstepped double.
  double SnapUnit(double u) const;
  // The number of a finite parameter's point whose cell holds u (ValueAt order: grid order for
  // int and stepped doubles, list order for discrete and categorical); 0 for an unstepped double.
  uint64_t IndexAtUnit(double u) const;
  // The coordinate of point number `index` (< size()) of a finite parameter.
  double UnitOfIndex(uint64_t index) const;

 private:
  // Unit-coordinate scale: position t(x) = (T(x) - lo) / (hi - lo), T = log or identity.
  void InitUnitScale();
  double Transform(double x) const;
  double UntransformUnit(double u) const;
  std::string name_;
  ParameterKind kind_ = ParameterKind::kDouble;
  Distribution distribution_ = Distribution::kUniform;
  double min_ = 0;
  double max_ = 0;
  double step_ = 0;
  int64_t int_min_ = 0;
  int64_t int_step_ = 1;
  int decimals_ = -1;  // stepped double: decimals to print, -1 = shortest round trip
  std::vector<std::string> list_;
  uint64_t size_ = 0;
  double unit_lo_ = 0;  // T(lower end of the widened range)
  double unit_hi_ = 0;  // T(upper end); unit_lo_ == unit_hi_: a single value
  // discrete: list indices by increasing value, their numbers and cell centres.
  std::vector<uint64_t> sorted_index_;
  std::vector<double> sorted_value_;
  std::vector<double> sorted_unit_;
  std::vector<double> unit_of_list_;  // discrete: the coordinate of list_[i]
};

// The parameters of an experiment, in the order of its spec.
class SearchSpace {
 public:
  // InvalidArgument when there are no parameters, a name is empty or repeated, or a
  // parameter is invalid (see Parameter::FromProto).
  static absl::StatusOr<SearchSpace> FromProto(const api::v1::beta1::Experiment& experiment);
  static absl::StatusOr<SearchSpace> FromParameters(
      const google::protobuf::RepeatedPtrField<api::v1::beta1::ParameterSpec>& parameters);

  const std::vector<Parameter>& parameters() const { return parameters_; }
  const Parameter* Find(std::string_view name) const;
  // Whether every parameter is finite.
  bool finite() const { return size_ > 0; }
  // The number of points when finite (product of sizes, saturating at UINT64_MAX), else 0.
  uint64_t size() const { return size_; }

  // Point `index` (< size()) of the Cartesian product, first parameter varying slowest.
  void GridPoint(
      uint64_t index,
      google::protobuf::RepeatedPtrField<api::v1::beta1::ParameterAssignment>* out) const;
  // One random point (each parameter independently).
  void Sample(Rng& rng,
              google::protobuf::RepeatedPtrField<api::v1::beta1::ParameterAssignment>* out) const;
  // A key equal for two assignment sets exactly when they name the same point: sorted by
  // name, values of known parameters canonicalized (Parameter::Canonical).
  std::string CanonicalKey(
      const google::protobuf::RepeatedPtrField<api::v1::beta1::ParameterAssignment>& assignments)
      const;

 private:
  std::vector<Parameter> parameters_;
  uint64_t size_ = 0;
};

// The key of an assignment set with values taken verbatim: sorted by name, unambiguous.
std::string CanonicalKey(
    const google::protobuf::RepeatedPtrField<api::v1::beta1::ParameterAssignment>& assignments);

// The shortest decimal text that parses back to `value` exactly ("0.1", "1e-05", "3").
std::string FormatShortest(double value);
// `value` rounded to `decimals` places, trailing zeros and a trailing point removed ("0.3").
std::string FormatFixed(double value, int decimals);
// Decimal places a number written as text uses: "0.25" -> 2, "1e-3" -> 3, "5" -> 0.
int DecimalPlaces(std::string_view number);

}  // namespace ktune::algorithms
