// The trial command of bench/run_e2e_quality.sh: `quality_trial FUNCTION name=value...`
// evaluates a function of bench/functions.h at the assigned parameters and prints
// `loss=<value>` on stdout, Katib's default text metrics format. A small binary rather than a
// script, so that a trial costs no interpreter start-up.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bench/functions.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: quality_trial FUNCTION name=value...\n");
    return 2;
  }
  const ktune::bench::Function* f = ktune::bench::FindFunction(argv[1]);
  if (f == nullptr) {
    std::fprintf(stderr, "quality_trial: unknown function %s\n", argv[1]);
    return 2;
  }
  ktune::bench::Point x(f->params.size(), std::nan(""));
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const size_t eq = arg.find('=');
    if (eq == std::string_view::npos) {
      std::fprintf(stderr, "quality_trial: %s is not name=value\n", argv[i]);
      return 2;
    }
    const std::string_view name = arg.substr(0, eq);
    const std::string value(arg.substr(eq + 1));
    bool known = false;
    for (size_t j = 0; j < f->params.size(); ++j) {
      const ktune::bench::ParamSpec& p = f->params[j];
      if (p.name != name) continue;
      known = true;
      if (p.type == ktune::bench::ParamSpec::Type::kCategorical) {
        for (size_t k = 0; k < p.list.size(); ++k) {
          if (p.list[k] == value) x[j] = static_cast<double>(k);
        }
      } else {
        char* end = nullptr;
        x[j] = std::strtod(value.c_str(), &end);
        if (end == value.c_str() || *end != '\0') x[j] = std::nan("");
      }
    }
    if (!known) {
      std::fprintf(stderr, "quality_trial: %s has no parameter %s\n", argv[1], argv[i]);
      return 2;
    }
  }
  for (size_t j = 0; j < x.size(); ++j) {
    if (std::isnan(x[j])) {
      std::fprintf(stderr, "quality_trial: parameter %s missing or invalid\n",
                   f->params[j].name.c_str());
      return 2;
    }
  }
  std::printf("loss=%.17g\n", f->evaluate(x));
  return 0;
}
