#pragma once
// Kubernetes label and field selectors (`?labelSelector=`, `?fieldSelector=`), with the
// grammar, matching rules and error messages of apimachinery's labels.Parse and
// fields.ParseSelector (kubernetes-1.32).
//
// Label selector grammar: requirements joined by ',' (AND); whitespace (space, tab, CR, LF)
// around tokens is ignored. A requirement is one of
//   k=v   k==v   k!=v   k in (a,b)   k notin (a,b)   k   !k   k>3   k<3
// An empty value is allowed (`k=`, `k in (a,)`). Keys must be qualified names
// (`[prefix/]name`, the prefix a lowercase DNS subdomain, the name at most 63 characters of
// [A-Za-z0-9-_.] starting and ending alphanumeric); values at most 63 such characters or empty.
// Errors are InvalidArgument with the apiserver's wording, e.g.
//   `unable to parse requirement: <nil>: Invalid value: "-a": name part must consist of ...`
//   `found ')', expected: identifier`, `found 'x', expected: ',' or 'end of string'`.
// The server answers them as 400 BadRequest (status.h StatusJsonOf).
//
// Field selector grammar: terms `f=v`, `f==v`, `f!=v` joined by unescaped ','; in a value,
// `\,` `\=` `\\` stand for the character, any other backslash escape or a bare ',' '=' is an
// error (`invalid field selector: invalid escape sequence: \x`,
// `invalid selector: 'a'; can't understand 'a'`).
//
// Thread-safety: parsed selectors are immutable values; const methods may be called from
// several threads at once.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ktune::server::kube {

class LabelSelector {
 public:
  enum class Operator {
    kEquals,
    kDoubleEquals,
    kNotEquals,
    kIn,
    kNotIn,
    kExists,
    kDoesNotExist,
    kGreaterThan,
    kLessThan
  };
  struct Requirement {
    std::string key;
    Operator op = Operator::kExists;
    std::vector<std::string> values;  // sorted, unique
  };

  // The empty selector: matches every object.
  LabelSelector() = default;

  static absl::StatusOr<LabelSelector> Parse(std::string_view text);

  // True when every requirement holds for `labels` (always true when empty()).
  bool Matches(const std::map<std::string, std::string>& labels) const;
  bool empty() const { return requirements_.empty(); }
  // Requirements sorted by key, as apimachinery keeps them.
  const std::vector<Requirement>& requirements() const { return requirements_; }
  // The canonical text (`a in (x,y),!b,c=d`), as labels.Selector.String() prints it.
  std::string ToString() const;

 private:
  std::vector<Requirement> requirements_;
};

class FieldSelector {
 public:
  struct Term {
    std::string field;
    std::string value;     // unescaped
    bool negated = false;  // `!=`
  };

  // The empty selector: matches every object.
  FieldSelector() = default;

  static absl::StatusOr<FieldSelector> Parse(std::string_view text);

  // True when every term holds. `value_of` gives a field's value; nullopt (an absent field)
  // compares as the empty string, as in Kubernetes' fields.Set.
  bool Matches(
      const std::function<std::optional<std::string>(std::string_view field)>& value_of) const;
  bool empty() const { return terms_.empty(); }
  // Terms in the order apimachinery sorts them (by their text).
  const std::vector<Term>& terms() const { return terms_; }
  // The field names the terms use, in term order (with repeats).
  std::vector<std::string> Fields() const;
  // The value a term `field=value` / `field==value` requires, if there is one (the server's
  // shortcut for `metadata.name=X`).
  std::optional<std::string> RequiredValue(std::string_view field) const;

 private:
  std::vector<Term> terms_;
};

// OK when every field `selector` uses is in `supported`; otherwise InvalidArgument
// `field label not supported: <field>` for the first unsupported one (the apiserver's 400 for
// a list or watch). ResourceInfo::field_labels (resources.h) lists each resource's labels.
absl::Status CheckFields(const FieldSelector& selector, const std::vector<std::string>& supported);

}  // namespace ktune::server::kube
