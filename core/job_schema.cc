#include "core/job_schema.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/internal/strings.h"

namespace ktune::core {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

enum class JobKind {
  kString,      // string or a named string type
  kInt,         // int32/int64 (or a named integer type)
  kFloat,       // float64
  kBool,        // bool
  kBytes,       // []byte: a base64 string
  kStringMap,   // map[string]string
  kStringList,  // []string
  kIntList,     // []int32
  kStruct,      // a struct of the table
  kStructList,  // []struct of the table
  kOpaque,      // decoded by its own UnmarshalJSON (Quantity, IntOrString, Time, ...): kept as is
};

// Go's encoding of a field: kPointer fields are written when set, kOmitEmpty when non-zero,
// kAlways always (`absent` is the JSON written when the template does not set it; structs
// are written as their own zero value).
enum class JobEmit { kOmitEmpty, kPointer, kAlways };

struct JobField {
  const char* name;
  JobKind kind;
  int type;  // index into kJobTypes for kStruct/kStructList, else -1
  JobEmit emit;
  const char* absent;
  const char* go_type;  // Go's type name for conversion errors ("int32", "v1.Protocol")
};

struct JobType {
  const char* name;
  int first;  // index into kJobFields
  int count;
};

#include "core/job_schema_table.inc"

// reflect.Type.String() of a decoded unstructured value.
const char* GoTypeOf(const json& v) {
  switch (v.type()) {
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "bool";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "int64";
    case json::value_t::number_float:
      return "float64";
    case json::value_t::array:
      return "[]interface {}";
    case json::value_t::object:
      return "map[string]interface {}";
    default:
      return "<nil>";
  }
}

// reflect.Kind.String() of a decoded unstructured value (used by "cannot restore ..." errors).
const char* GoKindOf(const json& v) {
  switch (v.type()) {
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "bool";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "int64";
    case json::value_t::number_float:
      return "float64";
    case json::value_t::array:
      return "slice";
    case json::value_t::object:
      return "map";
    default:
      return "invalid";
  }
}

bool IsZero(const json& v) {
  if (v.is_null()) return true;
  if (v.is_string()) return v.get_ref<const std::string&>().empty();
  if (v.is_boolean()) return !v.get<bool>();
  if (v.is_number()) return v.get<double>() == 0;
  return v.empty();
}

class Checker {
 public:
  explicit Checker(size_t max_problems) : max_(max_problems) {}
  JobCheck result;

  ordered_json Struct(const json& object, int type_index, const std::string& pointer) {
    const JobType& type = kJobTypes[type_index];
    const JobField* fields = &kJobFields[type.first];
    ordered_json out = ordered_json::object();
    for (auto it = object.begin(); it != object.end(); ++it) {
      bool known = false;
      for (int f = 0; f < type.count && !known; ++f) known = it.key() == fields[f].name;
      if (known) continue;
      if (result.unknown.size() >= max_) {
        ++result.more_unknown;
        continue;
      }
      result.unknown.push_back({internal::JsonPointerJoin(pointer, it.key()), &it.value(), "",
                                UnknownHint(type, it.key())});
    }
    for (int f = 0; f < type.count; ++f) {
      const JobField& field = fields[f];
      auto it = object.find(field.name);
      const bool present = it != object.end() && !it->is_null();
      const std::string child = internal::JsonPointerJoin(pointer, field.name);
      if (!present) {
        if (field.emit == JobEmit::kAlways) {
          if (field.kind == JobKind::kStruct) {
            out[field.name] = Struct(json::object(), field.type, child);
          } else {
            out[field.name] = ordered_json::parse(field.absent ? field.absent : "null");
          }
        }
        continue;
      }
      std::optional<ordered_json> v = Value(*it, field, child);
      if (!v) continue;
      if (field.emit == JobEmit::kOmitEmpty && field.kind != JobKind::kStruct && IsZero(*it))
        continue;
      out[field.name] = std::move(*v);
    }
    return out;
  }

 private:
  static std::string UnknownHint(const JobType& type, const std::string& key) {
    std::vector<std::string> names;
    for (int f = 0; f < type.count; ++f) names.push_back(kJobFields[type.first + f].name);
    const std::string best = key.size() <= 64 ? internal::Closest(key, names) : "";
    const std::string quoted_key = key.size() <= 64 ? key : key.substr(0, 64) + "...";
    if (!best.empty()) {
      return absl::StrCat(type.name, " has no field \"", quoted_key, "\"; did you mean \"", best,
                          "\"?");
    }
    return absl::StrCat(type.name, " has no field \"", quoted_key,
                        "\"; its fields are: ", absl::StrJoin(names, ", "));
  }

  void TypeError(const std::string& pointer, const json& value, std::string error,
                 const std::string& want) {
    if (result.type_errors.size() >= max_) {
      ++result.more_type_errors;
      return;
    }
    result.type_errors.push_back(
        {pointer, &value, std::move(error), absl::StrCat(pointer, " must be ", want)});
  }

  std::optional<ordered_json> Value(const json& v, const JobField& f, const std::string& pointer) {
    switch (f.kind) {
      case JobKind::kString:
        if (!v.is_string()) {
          TypeError(pointer, v, absl::StrCat("cannot convert ", GoTypeOf(v), " to ", f.go_type),
                    "a string");
          return std::nullopt;
        }
        return ordered_json(v.get<std::string>());
      case JobKind::kBytes:
        if (!v.is_string()) {
          TypeError(pointer, v, absl::StrCat("cannot restore slice from ", GoKindOf(v)),
                    "a base64 string");
          return std::nullopt;
        }
        return ordered_json(v.get<std::string>());
      case JobKind::kInt:
        if (!v.is_number_integer() &&
            !(v.is_number_float() && v.get<double>() == std::trunc(v.get<double>()))) {
          TypeError(pointer, v, absl::StrCat("cannot convert ", GoTypeOf(v), " to ", f.go_type),
                    "an integer");
          return std::nullopt;
        }
        return v.is_number_integer() ? ordered_json(v.get<int64_t>())
                                     : ordered_json(static_cast<int64_t>(v.get<double>()));
      case JobKind::kFloat:
        if (!v.is_number()) {
          TypeError(pointer, v, absl::StrCat("cannot convert ", GoTypeOf(v), " to ", f.go_type),
                    "a number");
          return std::nullopt;
        }
        return ordered_json(v.get<double>());
      case JobKind::kBool:
        if (!v.is_boolean()) {
          TypeError(pointer, v, absl::StrCat("cannot convert ", GoTypeOf(v), " to ", f.go_type),
                    "true or false");
          return std::nullopt;
        }
        return ordered_json(v.get<bool>());
      case JobKind::kStringMap: {
        if (!v.is_object()) {
          TypeError(pointer, v, absl::StrCat("cannot restore map from ", GoKindOf(v)),
                    "a map of strings");
          return std::nullopt;
        }
        ordered_json out = ordered_json::object();
        for (auto it = v.begin(); it != v.end(); ++it) {
          if (it->is_null()) {
            out[it.key()] = "";
            continue;
          }
          if (!it->is_string()) {
            TypeError(internal::JsonPointerJoin(pointer, it.key()), *it,
                      absl::StrCat("cannot convert ", GoTypeOf(*it), " to ", f.go_type),
                      "a string (quote it)");
            return std::nullopt;
          }
          out[it.key()] = it->get<std::string>();
        }
        return out;
      }
      case JobKind::kStringList:
      case JobKind::kIntList: {
        if (!v.is_array()) {
          TypeError(pointer, v, absl::StrCat("cannot restore slice from ", GoKindOf(v)), "a list");
          return std::nullopt;
        }
        const bool strings = f.kind == JobKind::kStringList;
        ordered_json out = ordered_json::array();
        for (size_t i = 0; i < v.size(); ++i) {
          const json& item = v[i];
          const bool ok = strings ? item.is_string() || item.is_null()
                                  : item.is_number_integer() || item.is_null() ||
                                        (item.is_number_float() &&
                                         item.get<double>() == std::trunc(item.get<double>()));
          if (!ok) {
            TypeError(absl::StrCat(pointer, "/", i), item,
                      absl::StrCat("cannot convert ", GoTypeOf(item), " to ", f.go_type),
                      strings ? "a string (quote numbers and booleans)" : "an integer");
            return std::nullopt;
          }
          if (item.is_null()) {
            out.push_back(strings ? ordered_json("") : ordered_json(0));
          } else if (strings) {
            out.push_back(item.get<std::string>());
          } else {
            out.push_back(static_cast<int64_t>(item.get<double>()));
          }
        }
        return out;
      }
      case JobKind::kStruct:
        if (!v.is_object()) {
          TypeError(pointer, v, absl::StrCat("cannot restore struct from: ", GoKindOf(v)),
                    "an object");
          return std::nullopt;
        }
        return Struct(v, f.type, pointer);
      case JobKind::kStructList: {
        if (!v.is_array()) {
          TypeError(pointer, v, absl::StrCat("cannot restore slice from ", GoKindOf(v)), "a list");
          return std::nullopt;
        }
        ordered_json list = ordered_json::array();
        for (size_t i = 0; i < v.size(); ++i) {
          const std::string item_pointer = absl::StrCat(pointer, "/", i);
          if (v[i].is_null()) {
            list.push_back(Struct(json::object(), f.type, item_pointer));
            continue;
          }
          if (!v[i].is_object()) {
            TypeError(item_pointer, v[i],
                      absl::StrCat("cannot restore struct from: ", GoKindOf(v[i])), "an object");
            return std::nullopt;
          }
          list.push_back(Struct(v[i], f.type, item_pointer));
        }
        return list;
      }
      case JobKind::kOpaque:
        return ordered_json::parse(v.dump());
    }
    return std::nullopt;
  }

  size_t max_;
};

}  // namespace

JobCheck CheckBatchJob(const json& job, size_t max_problems) {
  Checker checker(max_problems);
  ordered_json converted =
      job.is_object() ? checker.Struct(job, kJobTypeIndex, "") : ordered_json::object();
  JobCheck out = std::move(checker.result);
  out.converted = std::move(converted);
  return out;
}

}  // namespace ktune::core
