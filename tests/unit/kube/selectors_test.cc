#include "server/kube/selectors.h"

#include <map>
#include <optional>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ktune::server::kube {
namespace {

using Labels = std::map<std::string, std::string>;

LabelSelector MustParse(std::string_view text) {
  absl::StatusOr<LabelSelector> s = LabelSelector::Parse(text);
  EXPECT_TRUE(s.ok()) << text << ": " << s.status();
  return s.ok() ? *s : LabelSelector();
}

std::string ParseError(std::string_view text) {
  absl::StatusOr<LabelSelector> s = LabelSelector::Parse(text);
  EXPECT_FALSE(s.ok()) << text << " parsed as " << (s.ok() ? s->ToString() : "");
  if (s.ok()) return "";
  EXPECT_TRUE(absl::IsInvalidArgument(s.status()));
  return std::string(s.status().message());
}

TEST(LabelSelectorTest, EmptySelectorMatchesEverything) {
  LabelSelector s = MustParse("");
  EXPECT_TRUE(s.empty());
  EXPECT_TRUE(s.Matches({}));
  EXPECT_TRUE(s.Matches({{"a", "b"}}));
  EXPECT_TRUE(MustParse("   ").empty());
}

TEST(LabelSelectorTest, EqualityOperators) {
  const Labels trial = {{"katib.kubeflow.org/experiment", "random"}, {"tier", "gpu"}};
  EXPECT_TRUE(MustParse("katib.kubeflow.org/experiment=random").Matches(trial));
  EXPECT_TRUE(MustParse("katib.kubeflow.org/experiment==random").Matches(trial));
  EXPECT_FALSE(MustParse("katib.kubeflow.org/experiment=grid").Matches(trial));
  EXPECT_FALSE(MustParse("katib.kubeflow.org/experiment!=random").Matches(trial));
  EXPECT_TRUE(MustParse("katib.kubeflow.org/experiment!=grid").Matches(trial));
  // != and notin hold for a missing label; = does not.
  EXPECT_TRUE(MustParse("absent!=x").Matches(trial));
  EXPECT_FALSE(MustParse("absent=x").Matches(trial));
  // An empty value is a value.
  EXPECT_TRUE(MustParse("empty=").Matches({{"empty", ""}}));
  EXPECT_FALSE(MustParse("empty=").Matches({}));
}

TEST(LabelSelectorTest, SetOperatorsExistenceAndAnd) {
  const Labels l = {{"env", "prod"}, {"tier", "gpu"}};
  EXPECT_TRUE(MustParse("env in (prod,staging)").Matches(l));
  EXPECT_TRUE(MustParse("env in (prod)").Matches(l));
  EXPECT_FALSE(MustParse("env in (dev, staging)").Matches(l));
  EXPECT_FALSE(MustParse("env notin (prod)").Matches(l));
  EXPECT_TRUE(MustParse("absent notin (prod)").Matches(l));
  EXPECT_TRUE(MustParse("env").Matches(l));
  EXPECT_FALSE(MustParse("!env").Matches(l));
  EXPECT_TRUE(MustParse("!absent").Matches(l));
  EXPECT_TRUE(MustParse(" env = prod , tier in ( gpu ) , !absent ").Matches(l));
  EXPECT_FALSE(MustParse("env=prod,tier=cpu").Matches(l));
  // `in` and `notin` are values where a value is expected.
  EXPECT_TRUE(MustParse("x in (in,notin)").Matches({{"x", "notin"}}));
  // Whitespace also separates: tab, CR, LF.
  EXPECT_TRUE(MustParse("env\tin\n(prod)").Matches(l));
}

TEST(LabelSelectorTest, GreaterAndLessThan) {
  EXPECT_TRUE(MustParse("n>3").Matches({{"n", "4"}}));
  EXPECT_FALSE(MustParse("n>3").Matches({{"n", "3"}}));
  EXPECT_TRUE(MustParse("n<3").Matches({{"n", "2"}}));
  EXPECT_FALSE(MustParse("n<3").Matches({{"n", "x"}}));
  EXPECT_FALSE(MustParse("n<3").Matches({}));
}

TEST(LabelSelectorTest, RequirementsAreSortedAndPrinted) {
  LabelSelector s = MustParse("z=1,a in (y,x),!m,k");
  ASSERT_EQ(s.requirements().size(), 4u);
  EXPECT_EQ(s.requirements()[0].key, "a");
  EXPECT_THAT(s.requirements()[0].values, testing::ElementsAre("x", "y"));
  EXPECT_EQ(s.ToString(), "a in (x,y),k,!m,z=1");
  // Empty values in a set: (a,) holds "" and "a"; () holds "".
  EXPECT_THAT(MustParse("a in (x,)").requirements()[0].values, testing::ElementsAre("", "x"));
  EXPECT_THAT(MustParse("a in ()").requirements()[0].values, testing::ElementsAre(""));
}

TEST(LabelSelectorTest, SyntaxErrorsAsTheApiserverWordsThem) {
  EXPECT_EQ(ParseError("a=b,"), "found '', expected: identifier after ','");
  EXPECT_EQ(ParseError("a=b c"), "found 'c', expected: ',' or 'end of string'");
  EXPECT_EQ(ParseError(",a"), "found ',', expected: !, identifier, or 'end of string'");
  EXPECT_EQ(ParseError("a (b)"),
            "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt");
  EXPECT_EQ(ParseError("a in b"), "unable to parse requirement: found 'b' expected: '('");
  EXPECT_EQ(ParseError("a in (b"), "unable to parse requirement: found '', expected: ',' or ')'");
  EXPECT_EQ(ParseError("a in (=)"),
            "unable to parse requirement: found '=', expected: ',', ')' or identifier");
  EXPECT_EQ(ParseError("a=(b)"), "unable to parse requirement: found '(', expected: identifier");
  EXPECT_EQ(ParseError("!=a"), "found '!=', expected: !, identifier, or 'end of string'");
  EXPECT_EQ(ParseError("! =a"), "unable to parse requirement: found '=', expected: identifier");
  EXPECT_EQ(ParseError("!a=b"), "found '=', expected: ',' or 'end of string'");
}

TEST(LabelSelectorTest, KeyAndValueValidationMessages) {
  EXPECT_EQ(ParseError("-a=b"),
            "unable to parse requirement: <nil>: Invalid value: \"-a\": name part must consist "
            "of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
            "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  EXPECT_EQ(ParseError("Bad.Prefix/a=b"),
            "unable to parse requirement: <nil>: Invalid value: \"Bad.Prefix/a\": prefix part "
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
            "'-' or '.', and must start and end with an alphanumeric character (e.g. "
            "'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  EXPECT_THAT(ParseError("a/b/c"),
              testing::HasSubstr("Invalid value: \"a/b/c\": a qualified name must consist of"));
  EXPECT_THAT(ParseError("/a"), testing::HasSubstr("prefix part must be non-empty"));
  EXPECT_THAT(ParseError("a/"), testing::HasSubstr("name part must be non-empty; name part "
                                                   "must consist of"));
  EXPECT_THAT(ParseError(std::string(64, 'k') + "=v"),
              testing::HasSubstr("name part must be no more than 63 characters"));
  EXPECT_TRUE(LabelSelector::Parse(std::string(63, 'k') + "=v").ok());
  EXPECT_EQ(ParseError("a=-b"),
            "unable to parse requirement: values[0][a]: Invalid value: \"-b\": a valid label "
            "must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
            "and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
            "'my_value',  or '12345', regex used for validation is "
            "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  EXPECT_THAT(ParseError("a=" + std::string(64, 'v')),
              testing::HasSubstr("values[0][a]: Invalid value: \"" + std::string(64, 'v') +
                                 "\": must be no more than 63 characters"));
  // Two bad values: aggregated in brackets, in sorted order.
  EXPECT_THAT(ParseError("a in (_x,-y)"),
              testing::StartsWith("unable to parse requirement: [values[0][a]: Invalid value: "
                                  "\"-y\": "));
  EXPECT_THAT(ParseError("n>x"), testing::HasSubstr("values[0]: Invalid value: \"x\": for "
                                                    "'Gt', 'Lt' operators, the value must be "
                                                    "an integer"));
  // Go's %q escapes quotes.
  EXPECT_THAT(ParseError("a\"b=c"), testing::HasSubstr("Invalid value: \"a\\\"b\""));
}

TEST(FieldSelectorTest, ParsesAndMatches) {
  absl::StatusOr<FieldSelector> s =
      FieldSelector::Parse("metadata.name=random,metadata.namespace!=kubeflow");
  ASSERT_TRUE(s.ok()) << s.status();
  auto object = [](std::string name, std::string ns) {
    return [=](std::string_view field) -> std::optional<std::string> {
      if (field == "metadata.name") return name;
      if (field == "metadata.namespace") return ns;
      return std::nullopt;
    };
  };
  EXPECT_TRUE(s->Matches(object("random", "default")));
  EXPECT_FALSE(s->Matches(object("random", "kubeflow")));
  EXPECT_FALSE(s->Matches(object("grid", "default")));
  EXPECT_THAT(s->Fields(), testing::ElementsAre("metadata.name", "metadata.namespace"));
  EXPECT_EQ(s->RequiredValue("metadata.name"), "random");
  EXPECT_EQ(s->RequiredValue("metadata.namespace"), std::nullopt);

  absl::StatusOr<FieldSelector> dbl = FieldSelector::Parse("metadata.name==random");
  ASSERT_TRUE(dbl.ok());
  EXPECT_TRUE(dbl->Matches(object("random", "x")));
  // An absent field compares as "".
  absl::StatusOr<FieldSelector> empty_value = FieldSelector::Parse("spec.nodeName=");
  ASSERT_TRUE(empty_value.ok());
  EXPECT_TRUE(empty_value->Matches(object("a", "b")));
  absl::StatusOr<FieldSelector> none = FieldSelector::Parse("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_TRUE(none->Matches(object("a", "b")));
}

TEST(FieldSelectorTest, DescribeSelectorFromKubectl) {
  // What `kubectl describe experiment X` sends to /api/v1/.../events.
  absl::StatusOr<FieldSelector> s = FieldSelector::Parse(
      "involvedObject.name=X,involvedObject.namespace=ns,involvedObject.kind=Experiment,"
      "involvedObject.uid=1f2e");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->terms().size(), 4u);
  EXPECT_EQ(s->terms()[0].field, "involvedObject.kind");  // sorted by text
}

TEST(FieldSelectorTest, Escapes) {
  absl::StatusOr<FieldSelector> s = FieldSelector::Parse("a=x\\,y\\=z\\\\,b=c");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->terms().size(), 2u);
  EXPECT_EQ(s->terms()[0].value, "x,y=z\\");
  EXPECT_EQ(s->terms()[1].value, "c");
  // The first operator found wins: `a!=b=c` is a != "b=c", which needs its '=' escaped.
  EXPECT_EQ(FieldSelector::Parse("a!=b=c").status().message(),
            "invalid field selector: unescaped character in value: 61");
  EXPECT_EQ(FieldSelector::Parse("a=\\q").status().message(),
            "invalid field selector: invalid escape sequence: \\q");
  EXPECT_EQ(FieldSelector::Parse("a=b\\").status().message(),
            "invalid field selector: invalid escape sequence: \\");
  EXPECT_EQ(FieldSelector::Parse("a=b,nope").status().message(),
            "invalid selector: 'a=b,nope'; can't understand 'nope'");
}

TEST(FieldSelectorTest, CheckFields) {
  const std::vector<std::string> supported = {"metadata.name", "metadata.namespace"};
  absl::StatusOr<FieldSelector> ok = FieldSelector::Parse("metadata.name=a");
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(CheckFields(*ok, supported).ok());
  absl::StatusOr<FieldSelector> bad = FieldSelector::Parse("status.phase=Running,spec.x=1");
  ASSERT_TRUE(bad.ok());
  absl::Status st = CheckFields(*bad, supported);
  EXPECT_TRUE(absl::IsInvalidArgument(st));
  EXPECT_EQ(st.message(), "field label not supported: spec.x");
}

}  // namespace
}  // namespace ktune::server::kube
