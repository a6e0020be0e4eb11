#include "rl/runtime/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rl {
namespace {

using ::testing::HasSubstr;

struct Inner {
  double lr = 0.5;             // learning rate
  std::vector<int> sizes{64};  // layer sizes
  void visit(ConfigFields& f) {
    f("lr", lr);
    f("sizes", sizes);
  }
};

struct Outer {
  std::string name = "x";  // a name
  int64_t steps = 10;      // steps
  uint64_t seed = 1;       // seed
  bool flag = false;       // a flag
  Inner inner;
  void visit(ConfigFields& f) {
    f("name", name);
    f("steps", steps);
    f("seed", seed);
    f("flag", flag);
    f("inner", inner);
  }
};

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigTest, FieldsAreFlatDottedPaths) {
  Outer c;
  const ConfigFields fields = fields_of(c);
  std::vector<std::string> paths;
  for (const auto& f : fields.fields()) paths.push_back(f.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"name", "steps", "seed", "flag", "inner.lr", "inner.sizes"}));
}

TEST(ConfigTest, YamlAppliesNestedKeysAndLists) {
  Outer c;
  const ConfigFields fields = fields_of(c);
  apply_yaml(fields, "name: hello\nsteps: 1e6\nflag: true\ninner:\n  lr: 1e-4\n  sizes: [32, 16]\n", "test");
  EXPECT_EQ(c.name, "hello");
  EXPECT_EQ(c.steps, 1000000);
  EXPECT_TRUE(c.flag);
  EXPECT_EQ(c.inner.lr, 1e-4);
  EXPECT_EQ(c.inner.sizes, (std::vector<int>{32, 16}));
}

TEST(ConfigTest, UnknownKeysAndBadValuesNameTheKey) {
  Outer c;
  const ConfigFields fields = fields_of(c);
  const std::string unknown = error_of([&] { apply_yaml(fields, "inner:\n  lrr: 3\n", "preset.yaml"); });
  EXPECT_THAT(unknown, HasSubstr("preset.yaml"));
  EXPECT_THAT(unknown, HasSubstr("unknown config key 'inner.lrr'"));
  EXPECT_THAT(unknown, HasSubstr("inner.lr"));
  EXPECT_THAT(error_of([&] { apply_assignment(fields, "steps=ten"); }),
              HasSubstr("config key 'steps': 'ten' is not an integer"));
  EXPECT_THAT(error_of([&] { apply_assignment(fields, "inner.lr=nan"); }),
              HasSubstr("'inner.lr': 'nan' is not a finite number"));
  EXPECT_THAT(error_of([&] { apply_assignment(fields, "flag=maybe"); }), HasSubstr("boolean"));
  EXPECT_THAT(error_of([&] { apply_assignment(fields, "steps"); }), HasSubstr("expected key=value"));
  EXPECT_THAT(error_of([&] { apply_assignment(fields, "seed=-1"); }), HasSubstr("'seed'"));
  EXPECT_THAT(error_of([&] { apply_yaml(fields, "name: [unclosed\n", "bad.yaml"); }),
              HasSubstr("bad.yaml: not valid YAML"));
  EXPECT_THAT(error_of([&] { apply_yaml(fields, "- a\n- b\n", "list.yaml"); }), HasSubstr("map"));
  EXPECT_THAT(error_of([&] { apply_yaml_file(fields, "/nonexistent.yaml"); }), HasSubstr("cannot be read"));
  EXPECT_NO_THROW(apply_yaml(fields, "unknown: 1\ninner:\n  lr: 2\n", "lenient", /*ignore_unknown=*/true));
  EXPECT_EQ(c.inner.lr, 2.0);
}

TEST(ConfigTest, SetOverridesAnyField) {
  Outer c;
  const ConfigFields fields = fields_of(c);
  apply_assignment(fields, "inner.sizes=8,8,8");
  apply_assignment(fields, "name=with=equals");
  EXPECT_EQ(c.inner.sizes, (std::vector<int>{8, 8, 8}));
  EXPECT_EQ(c.name, "with=equals");
}

TEST(ConfigTest, YamlRoundTrip) {
  Outer a;
  a.name = "a: b";  // needs quoting
  a.inner.lr = 0.1;
  a.inner.sizes = {1, 2};
  a.seed = 18446744073709551615ull;
  const std::string text = to_yaml(fields_of(a));
  EXPECT_THAT(text, HasSubstr("inner:\n  lr: 0.1\n  sizes: [1, 2]\n"));
  Outer b;
  apply_yaml(fields_of(b), text, "round trip");
  EXPECT_EQ(b.name, "a: b");
  EXPECT_EQ(b.inner.lr, 0.1);
  EXPECT_EQ(b.inner.sizes, a.inner.sizes);
  EXPECT_EQ(b.seed, a.seed);
  EXPECT_EQ(to_yaml(fields_of(b)), text);
}

}  // namespace
}  // namespace rl
