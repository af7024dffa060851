#include "core/pod_template.h"

#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/json_access.h"

namespace ktune::core {
namespace {

using nlohmann::json;

std::string Join(absl::string_view base, absl::string_view key) {
  return base.empty() ? std::string(key) : absl::StrCat(base, ".", key);
}

}  // namespace

absl::StatusOr<std::vector<PodContainer>> PodSpecContainers(const json& pod_spec,
                                                            std::string_view path) {
  std::vector<PodContainer> out;
  const json* list = FieldOf(pod_spec, "containers", JsonType::kArray);
  if (list == nullptr) return out;
  const std::string list_path = Join(absl::string_view(path.data(), path.size()), "containers");
  for (size_t i = 0; i < list->size(); ++i) {
    const json& c = (*list)[i];
    std::string c_path = absl::StrCat(list_path, "[", i, "]");
    if (!c.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(c_path, ": must be an object"));
    }
    std::string name;
    if (const json* n = FieldOf(c, "name"); n != nullptr && !n->is_null()) {
      if (!n->is_string()) {
        return absl::InvalidArgumentError(absl::StrCat(c_path, ".name: must be a string"));
      }
      name = n->get<std::string>();
    }
    out.push_back({&c, std::move(c_path), i, std::move(name)});
  }
  return out;
}

absl::StatusOr<std::vector<PodContainer>> FindContainers(const json& document) {
  // Each visited node's step from its parent; a path is spelled out only for the pod specs
  // found, so the walk costs time linear in the document whatever its depth.
  struct Step {
    size_t parent;           // index into `steps`; kRoot for the document
    const std::string* key;  // the member name, or nullptr for a list item
    size_t index;            // the list index when `key` is nullptr
  };
  constexpr size_t kRoot = SIZE_MAX;
  std::vector<Step> steps;
  auto path_of = [&steps](size_t step) {
    std::vector<const Step*> chain;
    for (size_t s = step; s != kRoot; s = steps[s].parent) chain.push_back(&steps[s]);
    std::string path;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      const Step& s = **it;
      if (s.key != nullptr) {
        path = Join(path, *s.key);
      } else {
        absl::StrAppend(&path, "[", s.index, "]");
      }
    }
    return path;
  };
  struct Item {
    const json* node;
    size_t step;
  };
  std::vector<PodContainer> out;
  std::vector<Item> stack{{&document, kRoot}};
  while (!stack.empty()) {
    const Item item = stack.back();
    stack.pop_back();
    const json& node = *item.node;
    if (node.is_object()) {
      if (FieldOf(node, "containers", JsonType::kArray) != nullptr) {
        absl::StatusOr<std::vector<PodContainer>> found =
            PodSpecContainers(node, path_of(item.step));
        if (!found.ok()) return found.status();
        for (PodContainer& c : *found) out.push_back(std::move(c));
        continue;  // nothing inside a pod spec is another pod spec
      }
      // Reversed onto the stack, so that members are visited in document order.
      for (auto it = node.crbegin(); it != node.crend(); ++it) {
        if (!it.value().is_structured()) continue;
        steps.push_back({item.step, &it.key(), 0});
        stack.push_back({&it.value(), steps.size() - 1});
      }
    } else if (node.is_array()) {
      for (size_t i = node.size(); i-- > 0;) {
        if (!node[i].is_structured()) continue;
        steps.push_back({item.step, nullptr, i});
        stack.push_back({&node[i], steps.size() - 1});
      }
    }
  }
  return out;
}

const PodContainer* FindContainer(const std::vector<PodContainer>& containers,
                                  std::string_view name) {
  if (name.empty()) return nullptr;
  for (const PodContainer& c : containers) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<std::string> ContainerNames(const std::vector<PodContainer>& containers, size_t max) {
  std::vector<std::string> names;
  for (const PodContainer& c : containers) {
    if (names.size() >= max) break;
    names.push_back(c.name);
  }
  return names;
}

}  // namespace ktune::core
