#include "core/settings.h"

#include <algorithm>

namespace ktune::core {

void MergeSettings(std::vector<Setting>& into, const std::vector<Setting>& from) {
  for (const Setting& s : from) {
    auto it = std::find_if(into.begin(), into.end(),
                           [&](const Setting& mine) { return mine.name == s.name; });
    if (it != into.end()) {
      it->value = s.value;
    } else {
      into.push_back(s);
    }
  }
}

}  // namespace ktune::core
