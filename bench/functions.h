#pragma once
// The test functions of the suggestion-quality benchmark (BENCHMARKS.md §1), each with its
// search space as Katib parameter specs and its known minimum. bench/optuna_quality.py holds
// the same definitions in Python; keep the two in step (bench/README.md, "Suggestion quality").

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string>
#include <string_view>
#include <vector>

namespace ktune::bench {

// One parameter as Katib's api.proto describes it. Bounds are kept as the text the
// Experiment carries, so that the spec, the trial helper and the checks read the same values.
struct ParamSpec {
  enum class Type { kDouble, kInt, kCategorical };
  std::string name;
  Type type = Type::kDouble;
  std::string min;                // kDouble, kInt
  std::string max;                // kDouble, kInt
  std::string step;               // kInt: "" (1) or a positive integer
  std::vector<std::string> list;  // kCategorical
};

// A point: one number per parameter, in spec order; a categorical is its index in `list`.
using Point = std::vector<double>;

struct Function {
  std::string name;
  std::vector<ParamSpec> params;
  double optimum = 0;  // the known global minimum f*
  double (*evaluate)(const Point& x) = nullptr;
};

namespace detail {

inline double Branin(const Point& x) {
  constexpr double kPi = std::numbers::pi;
  const double b = 5.1 / (4 * kPi * kPi), c = 5 / kPi, t = 1 / (8 * kPi);
  const double u = x[1] - b * x[0] * x[0] + c * x[0] - 6;
  return u * u + 10 * (1 - t) * std::cos(x[0]) + 10;
}

inline double Hartmann6(const Point& x) {
  static constexpr double kAlpha[4] = {1.0, 1.2, 3.0, 3.2};
  static constexpr double kA[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                      {0.05, 10, 17, 0.1, 8, 14},
                                      {3, 3.5, 1.7, 10, 17, 8},
                                      {17, 8, 0.05, 10, 0.1, 14}};
  static constexpr double kP[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                      {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                      {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                      {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
  double sum = 0;
  for (int i = 0; i < 4; ++i) {
    double inner = 0;
    for (int j = 0; j < 6; ++j) inner += kA[i][j] * (x[j] - kP[i][j]) * (x[j] - kP[i][j]);
    sum += kAlpha[i] * std::exp(-inner);
  }
  return -sum;
}

inline double Rosenbrock(const Point& x) {
  double sum = 0;
  for (size_t i = 0; i + 1 < x.size(); ++i) {
    const double a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
    sum += 100 * a * a + b * b;
  }
  return sum;
}

inline double Ackley(const Point& x) {
  constexpr double kPi = std::numbers::pi;
  const double d = static_cast<double>(x.size());
  double squares = 0, cosines = 0;
  for (double v : x) {
    squares += v * v;
    cosines += std::cos(2 * kPi * v);
  }
  return -20 * std::exp(-0.2 * std::sqrt(squares / d)) - std::exp(cosines / d) + 20 +
         std::numbers::e;
}

inline double Levy(const Point& x) {
  constexpr double kPi = std::numbers::pi;
  const size_t d = x.size();
  auto w = [&](size_t i) { return 1 + (x[i] - 1) / 4; };
  const double s0 = std::sin(kPi * w(0));
  double sum = s0 * s0;
  for (size_t i = 0; i + 1 < d; ++i) {
    const double wi = w(i), s = std::sin(kPi * wi + 1);
    sum += (wi - 1) * (wi - 1) * (1 + 10 * s * s);
  }
  const double wd = w(d - 1), sd = std::sin(2 * kPi * wd);
  return sum + (wd - 1) * (wd - 1) * (1 + sd * sd);
}

// "mixed": x (double in [-5, 10]), n (int in [0, 20], step 2), opt (categorical of four).
// Each category c has its own centre (mu_c, k_c) and offset o_c:
//   u = (x - mu_c) / 2,  v = (n - k_c) / 4
//   f = o_c + 4 (u - v/2)^2 + v^2 + 1.5 (1 - cos(2 pi u))
// Every term is >= 0 and all vanish only at c = "adam", x = 2.5, n = 14: f* = 0. The other
// categories' minima are their offsets (0.5, 1, 2) at other (x, n), so a sampler that settles on
// the wrong category keeps a regret of at least 0.5; x and n interact (the first square), and the
// cosine puts a local minimum every 2 units of x.
struct MixedCategory {
  const char* name;
  double mu, k, offset;
};
inline constexpr MixedCategory kMixedCategories[4] = {{"adam", 2.5, 14, 0.0},
                                                      {"sgd", -1.0, 4, 0.5},
                                                      {"rmsprop", 7.0, 10, 1.0},
                                                      {"adagrad", 0.0, 18, 2.0}};

inline double Mixed(const Point& x) {
  const MixedCategory& c = kMixedCategories[static_cast<int>(x[2])];
  const double u = (x[0] - c.mu) / 2, v = (x[1] - c.k) / 4;
  const double a = u - v / 2;
  return c.offset + 4 * a * a + v * v + 1.5 * (1 - std::cos(2 * std::numbers::pi * u));
}

inline std::vector<ParamSpec> Box(int d, const std::string& min, const std::string& max) {
  std::vector<ParamSpec> params;
  for (int i = 1; i <= d; ++i) {
    ParamSpec p;
    p.name = "x" + std::to_string(i);
    p.type = ParamSpec::Type::kDouble;
    p.min = min;
    p.max = max;
    params.push_back(p);
  }
  return params;
}

inline ParamSpec Double(const std::string& name, const std::string& min, const std::string& max) {
  ParamSpec p;
  p.name = name;
  p.type = ParamSpec::Type::kDouble;
  p.min = min;
  p.max = max;
  return p;
}

}  // namespace detail

// The suite, in the order the tables list it.
inline const std::vector<Function>& Suite() {
  static const std::vector<Function>* const suite = [] {
    auto* s = new std::vector<Function>();
    s->push_back({"branin",
                  {detail::Double("x1", "-5", "10"), detail::Double("x2", "0", "15")},
                  0.397887357729738,
                  &detail::Branin});
    s->push_back({"hartmann6", detail::Box(6, "0", "1"), -3.32236801141551, &detail::Hartmann6});
    s->push_back({"rosenbrock5", detail::Box(5, "-5", "10"), 0.0, &detail::Rosenbrock});
    s->push_back({"ackley5", detail::Box(5, "-32.768", "32.768"), 0.0, &detail::Ackley});
    s->push_back({"levy4", detail::Box(4, "-10", "10"), 0.0, &detail::Levy});
    ParamSpec n;
    n.name = "n";
    n.type = ParamSpec::Type::kInt;
    n.min = "0";
    n.max = "20";
    n.step = "2";
    ParamSpec opt;
    opt.name = "opt";
    opt.type = ParamSpec::Type::kCategorical;
    for (const auto& c : detail::kMixedCategories) opt.list.push_back(c.name);
    s->push_back({"mixed", {detail::Double("x", "-5", "10"), n, opt}, 0.0, &detail::Mixed});
    return s;
  }();
  return *suite;
}

inline std::vector<ParamSpec> FindMixedParams() {
  for (const Function& f : Suite()) {
    if (f.name == "mixed") return f.params;
  }
  return {};
}

namespace detail {
// "discrete": mixed with x restricted to the integers -5..10, a finite space of 16 x 11 x 4 =
// 704 points, for checking that an algorithm never repeats a point (suggestion_quality_bench
// fails when one does). Its minimum is found by enumeration (0.5, at opt = "sgd", x = -1,
// n = 4: "adam"'s centre x = 2.5 is off the integers).
inline double Discrete(const Point& x) { return Mixed(x); }

inline double DiscreteMinimum() {
  double best = std::numeric_limits<double>::infinity();
  for (int x = -5; x <= 10; ++x) {
    for (int n = 0; n <= 20; n += 2) {
      for (int c = 0; c < 4; ++c) {
        best = std::min(best, Discrete({static_cast<double>(x), static_cast<double>(n),
                                        static_cast<double>(c)}));
      }
    }
  }
  return best;
}
}  // namespace detail

// Functions outside the suite (not run by default), for checks rather than for the tables.
inline const std::vector<Function>& Extras() {
  static const std::vector<Function>* const extras = [] {
    auto* s = new std::vector<Function>();
    std::vector<ParamSpec> params = FindMixedParams();
    params[0].type = ParamSpec::Type::kInt;
    s->push_back({"discrete", params, detail::DiscreteMinimum(), &detail::Discrete});
    return s;
  }();
  return *extras;
}

// The function named `name` (of the suite or the extras), or nullptr.
inline const Function* FindFunction(std::string_view name) {
  for (const auto* list : {&Suite(), &Extras()}) {
    for (const Function& f : *list) {
      if (f.name == name) return &f;
    }
  }
  return nullptr;
}

}  // namespace ktune::bench
