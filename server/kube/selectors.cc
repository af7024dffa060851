#include "server/kube/selectors.h"

#include "core/go_quote.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ktune::server::kube {
namespace {

// ---- Validation messages (apimachinery pkg/util/validation, kubernetes-1.32) ----

constexpr char kQualifiedNameFmt[] = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr char kQualifiedNameErrMsg[] =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";
constexpr char kLabelValueFmt[] = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
constexpr char kLabelValueErrMsg[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character";
constexpr char kDns1123SubdomainFmt[] =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr char kDns1123SubdomainErrMsg[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character";
constexpr size_t kQualifiedNameMaxLength = 63;
constexpr size_t kLabelValueMaxLength = 63;
constexpr size_t kDns1123SubdomainMaxLength = 253;

std::string RegexError(std::string msg, std::string_view fmt,
                       const std::vector<std::string_view>& examples) {
  if (examples.empty()) {
    return absl::StrCat(msg, " (regex used for validation is '", std::string(fmt), "')");
  }
  msg += " (e.g. ";
  for (size_t i = 0; i < examples.size(); ++i) {
    if (i > 0) msg += " or ";
    absl::StrAppend(&msg, "'", std::string(examples[i]), "', ");
  }
  absl::StrAppend(&msg, "regex used for validation is '", std::string(fmt), "')");
  return msg;
}

std::string MaxLenError(size_t length) {
  return absl::StrCat("must be no more than ", length, " characters");
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool IsQualifiedNamePart(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

bool IsDns1123Label(std::string_view s) {
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (s.empty() || !lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return lower_alnum(c) || c == '-'; });
}

bool IsDns1123Subdomain(std::string_view s) {
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (!IsDns1123Label(s.substr(start, dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::vector<std::string> QualifiedNameErrors(std::string_view value) {
  std::vector<std::string> errs;
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t slash = value.find('/', start);
    parts.push_back(value.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  std::string_view name;
  if (parts.size() == 1) {
    name = parts[0];
  } else if (parts.size() == 2) {
    std::string_view prefix = parts[0];
    name = parts[1];
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      if (prefix.size() > kDns1123SubdomainMaxLength) {
        errs.push_back("prefix part " + MaxLenError(kDns1123SubdomainMaxLength));
      }
      if (!IsDns1123Subdomain(prefix)) {
        errs.push_back("prefix part " +
                       RegexError(kDns1123SubdomainErrMsg, kDns1123SubdomainFmt, {"example.com"}));
      }
    }
  } else {
    errs.push_back(
        "a qualified name " +
        RegexError(kQualifiedNameErrMsg, kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}) +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
    return errs;
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > kQualifiedNameMaxLength) {
    errs.push_back("name part " + MaxLenError(kQualifiedNameMaxLength));
  }
  if (!IsQualifiedNamePart(name)) {
    errs.push_back("name part " + RegexError(kQualifiedNameErrMsg, kQualifiedNameFmt,
                                             {"MyName", "my.name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> LabelValueErrors(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kLabelValueMaxLength) errs.push_back(MaxLenError(kLabelValueMaxLength));
  if (!value.empty() && !IsQualifiedNamePart(value)) {
    errs.push_back(RegexError(kLabelValueErrMsg, kLabelValueFmt, {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

// field.Invalid(path, value, detail).Error()
std::string InvalidFieldError(std::string_view path, std::string_view value,
                              std::string_view detail) {
  return absl::StrCat(std::string(path), ": Invalid value: ", core::GoQuote(value), ": ",
                      std::string(detail));
}

// Aggregate.Error(): one message alone, several deduplicated in brackets.
std::string AggregateError(const std::vector<std::string>& errs) {
  std::vector<std::string> unique;
  for (const std::string& e : errs) {
    if (std::find(unique.begin(), unique.end(), e) == unique.end()) unique.push_back(e);
  }
  if (unique.size() == 1) return unique[0];
  return "[" + absl::StrJoin(unique, ", ") + "]";
}

// ---- Label selector lexer and parser (the shape of labels.Parser) ----

enum class Token {
  kError,
  kEnd,
  kClosedPar,
  kComma,
  kDoesNotExist,
  kDoubleEquals,
  kEquals,
  kGreaterThan,
  kIdentifier,
  kIn,
  kLessThan,
  kNotEquals,
  kNotIn,
  kOpenPar
};

struct Item {
  Token tok;
  std::string literal;
};

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsSpecialSymbol(char c) {
  switch (c) {
    case '=':
    case '!':
    case '(':
    case ')':
    case ',':
    case '>':
    case '<':
      return true;
    default:
      return false;
  }
}

std::optional<Token> KeywordToken(std::string_view s) {
  static const std::pair<std::string_view, Token> kTokens[] = {
      {")", Token::kClosedPar},     {",", Token::kComma},    {"!", Token::kDoesNotExist},
      {"==", Token::kDoubleEquals}, {"=", Token::kEquals},   {">", Token::kGreaterThan},
      {"in", Token::kIn},           {"<", Token::kLessThan}, {"!=", Token::kNotEquals},
      {"notin", Token::kNotIn},     {"(", Token::kOpenPar}};
  for (const auto& [text, tok] : kTokens) {
    if (text == s) return tok;
  }
  return std::nullopt;
}

std::vector<Item> Lex(std::string_view s) {
  std::vector<Item> items;
  size_t pos = 0;
  while (true) {
    while (pos < s.size() && IsWhitespace(s[pos])) ++pos;
    if (pos >= s.size()) {
      items.push_back({Token::kEnd, ""});
      return items;
    }
    if (IsSpecialSymbol(s[pos])) {
      // The longest run of special symbols that is still a token.
      std::string buffer;
      std::optional<Item> last;
      while (pos < s.size() && IsSpecialSymbol(s[pos])) {
        buffer += s[pos];
        if (std::optional<Token> tok = KeywordToken(buffer)) {
          last = Item{*tok, buffer};
          ++pos;
        } else if (last) {
          break;
        } else {
          ++pos;
        }
      }
      if (!last) {
        items.push_back({Token::kError, "error expected: keyword found '" + buffer + "'"});
      } else {
        items.push_back(*std::move(last));
      }
      continue;
    }
    size_t start = pos;
    while (pos < s.size() && !IsSpecialSymbol(s[pos]) && !IsWhitespace(s[pos])) ++pos;
    std::string word(s.substr(start, pos - start));
    std::optional<Token> tok = KeywordToken(word);
    items.push_back({tok ? *tok : Token::kIdentifier, std::move(word)});
  }
}

enum class Context { kKeyAndOperator, kValues };

using Op = LabelSelector::Operator;

class Parser {
 public:
  explicit Parser(std::string_view text) : items_(Lex(text)) {}

  absl::StatusOr<std::vector<LabelSelector::Requirement>> Parse() {
    std::vector<LabelSelector::Requirement> requirements;
    while (true) {
      auto [tok, lit] = Lookahead(Context::kValues);
      switch (tok) {
        case Token::kIdentifier:
        case Token::kDoesNotExist: {
          absl::StatusOr<LabelSelector::Requirement> r = ParseRequirement();
          if (!r.ok()) {
            return absl::InvalidArgumentError(
                absl::StrCat("unable to parse requirement: ", r.status().message()));
          }
          requirements.push_back(*std::move(r));
          auto [t, l] = Consume(Context::kValues);
          if (t == Token::kEnd) return requirements;
          if (t == Token::kComma) {
            auto [t2, l2] = Lookahead(Context::kValues);
            if (t2 != Token::kIdentifier && t2 != Token::kDoesNotExist) {
              return absl::InvalidArgumentError(
                  absl::StrCat("found '", l2, "', expected: identifier after ','"));
            }
            break;
          }
          return absl::InvalidArgumentError(
              absl::StrCat("found '", l, "', expected: ',' or 'end of string'"));
        }
        case Token::kEnd:
          return requirements;
        default:
          return absl::InvalidArgumentError(
              absl::StrCat("found '", lit, "', expected: !, identifier, or 'end of string'"));
      }
    }
  }

 private:
  std::pair<Token, std::string> Lookahead(Context context) const {
    const Item& item = items_[std::min(position_, items_.size() - 1)];
    return {Adjust(item.tok, context), item.literal};
  }
  std::pair<Token, std::string> Consume(Context context) {
    const Item& item = items_[std::min(position_, items_.size() - 1)];
    if (position_ < items_.size() - 1) ++position_;
    return {Adjust(item.tok, context), item.literal};
  }
  static Token Adjust(Token tok, Context context) {
    if (context == Context::kValues && (tok == Token::kIn || tok == Token::kNotIn)) {
      return Token::kIdentifier;
    }
    return tok;
  }

  absl::StatusOr<LabelSelector::Requirement> ParseRequirement() {
    LabelSelector::Requirement r;
    bool negated = false;
    auto [tok, literal] = Consume(Context::kValues);
    if (tok == Token::kDoesNotExist) {
      negated = true;
      std::tie(tok, literal) = Consume(Context::kValues);
    }
    if (tok != Token::kIdentifier) {
      return absl::InvalidArgumentError(
          absl::StrCat("found '", literal, "', expected: identifier"));
    }
    if (std::vector<std::string> errs = QualifiedNameErrors(literal); !errs.empty()) {
      return absl::InvalidArgumentError(
          InvalidFieldError("<nil>", literal, absl::StrJoin(errs, "; ")));
    }
    r.key = literal;
    auto [next, unused] = Lookahead(Context::kValues);
    // `!k` ends the requirement whatever follows (`!k=v` then fails on the `=`).
    if (next == Token::kEnd || next == Token::kComma || negated) {
      r.op = negated ? Op::kDoesNotExist : Op::kExists;
      return r;
    }
    auto [op_tok, op_lit] = Consume(Context::kKeyAndOperator);
    switch (op_tok) {
      case Token::kIn:
        r.op = Op::kIn;
        break;
      case Token::kEquals:
        r.op = Op::kEquals;
        break;
      case Token::kDoubleEquals:
        r.op = Op::kDoubleEquals;
        break;
      case Token::kGreaterThan:
        r.op = Op::kGreaterThan;
        break;
      case Token::kLessThan:
        r.op = Op::kLessThan;
        break;
      case Token::kNotIn:
        r.op = Op::kNotIn;
        break;
      case Token::kNotEquals:
        r.op = Op::kNotEquals;
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("found '", op_lit, "', expected: in, notin, =, ==, !=, gt, lt"));
    }
    std::set<std::string> values;
    if (r.op == Op::kIn || r.op == Op::kNotIn) {
      absl::Status st = ParseValues(values);
      if (!st.ok()) return st;
    } else {
      absl::Status st = ParseExactValue(values);
      if (!st.ok()) return st;
    }
    r.values.assign(values.begin(), values.end());
    return Validate(std::move(r));
  }

  absl::Status ParseValues(std::set<std::string>& out) {
    auto [tok, lit] = Consume(Context::kValues);
    if (tok != Token::kOpenPar) {
      return absl::InvalidArgumentError(absl::StrCat("found '", lit, "' expected: '('"));
    }
    std::tie(tok, lit) = Lookahead(Context::kValues);
    switch (tok) {
      case Token::kIdentifier:
      case Token::kComma: {
        if (absl::Status st = ParseIdentifiersList(out); !st.ok()) return st;
        if (Consume(Context::kValues).first != Token::kClosedPar) {
          return absl::InvalidArgumentError(absl::StrCat("found '", lit, "', expected: ')'"));
        }
        return absl::OkStatus();
      }
      case Token::kClosedPar:
        Consume(Context::kValues);
        out.insert("");
        return absl::OkStatus();
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("found '", lit, "', expected: ',', ')' or identifier"));
    }
  }

  absl::Status ParseIdentifiersList(std::set<std::string>& out) {
    while (true) {
      auto [tok, lit] = Consume(Context::kValues);
      if (tok == Token::kIdentifier) {
        out.insert(lit);
        auto [tok2, lit2] = Lookahead(Context::kValues);
        if (tok2 == Token::kComma) continue;
        if (tok2 == Token::kClosedPar) return absl::OkStatus();
        return absl::InvalidArgumentError(absl::StrCat("found '", lit2, "', expected: ',' or ')'"));
      }
      if (tok == Token::kComma) {
        if (out.empty()) out.insert("");
        Token tok2 = Lookahead(Context::kValues).first;
        if (tok2 == Token::kClosedPar) {
          out.insert("");
          return absl::OkStatus();
        }
        if (tok2 == Token::kComma) out.insert("");
        continue;
      }
      return absl::InvalidArgumentError(
          absl::StrCat("found '", lit, "', expected: ',', or identifier"));
    }
  }

  absl::Status ParseExactValue(std::set<std::string>& out) {
    Token tok = Lookahead(Context::kValues).first;
    if (tok == Token::kEnd || tok == Token::kComma) {
      out.insert("");
      return absl::OkStatus();
    }
    auto [t, lit] = Consume(Context::kValues);
    if (t == Token::kIdentifier) {
      out.insert(lit);
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(absl::StrCat("found '", lit, "', expected: identifier"));
  }

  // NewRequirement's checks on the values (the key was checked while parsing).
  static absl::StatusOr<LabelSelector::Requirement> Validate(LabelSelector::Requirement r) {
    std::vector<std::string> errs;
    if ((r.op == Op::kGreaterThan || r.op == Op::kLessThan)) {
      for (size_t i = 0; i < r.values.size(); ++i) {
        int64_t v = 0;
        const std::string& s = r.values[i];
        auto [end, ec] =
            std::from_chars(s.data() + (!s.empty() && s[0] == '+'), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
          errs.push_back(InvalidFieldError(absl::StrCat("values[", i, "]"), s,
                                           "for 'Gt', 'Lt' operators, the value must be an "
                                           "integer"));
        }
      }
    }
    for (size_t i = 0; i < r.values.size(); ++i) {
      if (std::vector<std::string> msgs = LabelValueErrors(r.values[i]); !msgs.empty()) {
        errs.push_back(InvalidFieldError(absl::StrCat("values[", i, "][", r.key, "]"), r.values[i],
                                         absl::StrJoin(msgs, "; ")));
      }
    }
    if (!errs.empty()) return absl::InvalidArgumentError(AggregateError(errs));
    return r;
  }

  std::vector<Item> items_;
  size_t position_ = 0;
};

bool ParseInt64(const std::string& s, int64_t& out) {
  if (s.empty()) return false;
  const char* begin = s.data() + (s[0] == '+' && s.size() > 1 ? 1 : 0);
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

const char* OperatorText(Op op) {
  switch (op) {
    case Op::kEquals:
      return "=";
    case Op::kDoubleEquals:
      return "==";
    case Op::kNotEquals:
      return "!=";
    case Op::kIn:
      return " in ";
    case Op::kNotIn:
      return " notin ";
    case Op::kGreaterThan:
      return ">";
    case Op::kLessThan:
      return "<";
    case Op::kExists:
    case Op::kDoesNotExist:
      return "";
  }
  return "";
}

// ---- Field selector ----

std::vector<std::string_view> SplitTerms(std::string_view s) {
  std::vector<std::string_view> terms;
  if (s.empty()) return terms;
  size_t start = 0;
  bool in_slash = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (in_slash) {
      in_slash = false;
    } else if (s[i] == '\\') {
      in_slash = true;
    } else if (s[i] == ',') {
      terms.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.push_back(s.substr(start));
  return terms;
}

absl::StatusOr<std::string> UnescapeValue(std::string_view s) {
  if (s.find_first_of("\\,=") == std::string_view::npos) return std::string(s);
  std::string out;
  bool in_slash = false;
  for (char c : s) {
    if (in_slash) {
      if (c != '\\' && c != ',' && c != '=') {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid field selector: invalid escape sequence: \\", std::string(1, c)));
      }
      out += c;
      in_slash = false;
      continue;
    }
    if (c == '\\') {
      in_slash = true;
    } else if (c == ',' || c == '=') {
      // Go prints the rune with %v: its code point.
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid field selector: unescaped character in value: ", static_cast<int>(c)));
    } else {
      out += c;
    }
  }
  if (in_slash) {
    return absl::InvalidArgumentError("invalid field selector: invalid escape sequence: \\");
  }
  return out;
}

}  // namespace

absl::StatusOr<LabelSelector> LabelSelector::Parse(std::string_view text) {
  absl::StatusOr<std::vector<Requirement>> requirements = Parser(text).Parse();
  if (!requirements.ok()) return requirements.status();
  std::stable_sort(requirements->begin(), requirements->end(),
                   [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
  LabelSelector selector;
  selector.requirements_ = *std::move(requirements);
  return selector;
}

bool LabelSelector::Matches(const std::map<std::string, std::string>& labels) const {
  for (const Requirement& r : requirements_) {
    auto it = labels.find(r.key);
    const bool has = it != labels.end();
    auto has_value = [&] {
      return has && std::binary_search(r.values.begin(), r.values.end(), it->second);
    };
    bool ok = false;
    switch (r.op) {
      case Operator::kIn:
      case Operator::kEquals:
      case Operator::kDoubleEquals:
        ok = has_value();
        break;
      case Operator::kNotIn:
      case Operator::kNotEquals:
        ok = !has || !has_value();
        break;
      case Operator::kExists:
        ok = has;
        break;
      case Operator::kDoesNotExist:
        ok = !has;
        break;
      case Operator::kGreaterThan:
      case Operator::kLessThan: {
        int64_t have = 0, want = 0;
        if (!has || r.values.size() != 1 || !ParseInt64(it->second, have) ||
            !ParseInt64(r.values[0], want)) {
          ok = false;
        } else {
          ok = r.op == Operator::kGreaterThan ? have > want : have < want;
        }
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

std::string LabelSelector::ToString() const {
  std::vector<std::string> parts;
  for (const Requirement& r : requirements_) {
    std::string s = r.op == Operator::kDoesNotExist ? "!" + r.key : r.key;
    s += OperatorText(r.op);
    if (r.op == Operator::kIn || r.op == Operator::kNotIn) {
      absl::StrAppend(&s, "(", absl::StrJoin(r.values, ","), ")");
    } else if (r.op != Operator::kExists && r.op != Operator::kDoesNotExist) {
      s += r.values.empty() ? "" : r.values[0];
    }
    parts.push_back(std::move(s));
  }
  return absl::StrJoin(parts, ",");
}

absl::StatusOr<FieldSelector> FieldSelector::Parse(std::string_view text) {
  std::vector<std::string_view> parts = SplitTerms(text);
  std::sort(parts.begin(), parts.end());
  FieldSelector selector;
  for (std::string_view part : parts) {
    if (part.empty()) continue;
    // The first operator found scanning left to right, "!=" before "==" before "=".
    size_t at = std::string_view::npos;
    size_t op_len = 0;
    bool negated = false;
    for (size_t i = 0; i < part.size() && at == std::string_view::npos; ++i) {
      std::string_view rest = part.substr(i);
      if (rest.substr(0, 2) == "!=") {
        at = i, op_len = 2, negated = true;
      } else if (rest.substr(0, 2) == "==") {
        at = i, op_len = 2;
      } else if (rest.substr(0, 1) == "=") {
        at = i, op_len = 1;
      }
    }
    if (at == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("invalid selector: '", std::string(text),
                                                     "'; can't understand '", std::string(part),
                                                     "'"));
    }
    absl::StatusOr<std::string> value = UnescapeValue(part.substr(at + op_len));
    if (!value.ok()) return value.status();
    selector.terms_.push_back({std::string(part.substr(0, at)), *std::move(value), negated});
  }
  return selector;
}

bool FieldSelector::Matches(
    const std::function<std::optional<std::string>(std::string_view field)>& value_of) const {
  for (const Term& term : terms_) {
    std::string have = value_of(term.field).value_or("");
    if ((have == term.value) == term.negated) return false;
  }
  return true;
}

std::vector<std::string> FieldSelector::Fields() const {
  std::vector<std::string> fields;
  fields.reserve(terms_.size());
  for (const Term& term : terms_) fields.push_back(term.field);
  return fields;
}

std::optional<std::string> FieldSelector::RequiredValue(std::string_view field) const {
  for (const Term& term : terms_) {
    if (term.field == field && !term.negated) return term.value;
  }
  return std::nullopt;
}

absl::Status CheckFields(const FieldSelector& selector, const std::vector<std::string>& supported) {
  for (const FieldSelector::Term& term : selector.terms()) {
    if (std::find(supported.begin(), supported.end(), term.field) == supported.end()) {
      return absl::InvalidArgumentError(absl::StrCat("field label not supported: ", term.field));
    }
  }
  return absl::OkStatus();
}

}  // namespace ktune::server::kube
