#include "backends/kubernetes/kube_names.h"

#include <doctest/doctest.h>

#include <set>

namespace gdsweep {
namespace {

TEST_CASE("DNS-1123 labels and subdomains") {
  CHECK(IsDns1123Label("a"));
  CHECK(IsDns1123Label("ml-team-1"));
  CHECK(IsDns1123Label(std::string(63, 'a')));
  CHECK_FALSE(IsDns1123Label(std::string(64, 'a')));
  CHECK_FALSE(IsDns1123Label(""));
  CHECK_FALSE(IsDns1123Label("-a"));
  CHECK_FALSE(IsDns1123Label("a-"));
  CHECK_FALSE(IsDns1123Label("A"));
  CHECK_FALSE(IsDns1123Label("a.b"));
  CHECK_FALSE(IsDns1123Label("a_b"));
  CHECK(IsDns1123Subdomain("a.b-c.d"));
  CHECK(IsDns1123Subdomain("regcred"));
  CHECK_FALSE(IsDns1123Subdomain("a..b"));
  CHECK_FALSE(IsDns1123Subdomain(".a"));
  CHECK_FALSE(IsDns1123Subdomain("a_b"));
  CHECK_FALSE(IsDns1123Subdomain(std::string(254, 'a')));
}

TEST_CASE("label keys and values") {
  CHECK(IsLabelKey("team"));
  CHECK(IsLabelKey("gdsweep.io/study"));
  CHECK(IsLabelKey("nvidia.com/gpu"));
  CHECK(IsLabelKey("app.kubernetes.io/managed-by"));
  CHECK(IsLabelKey("A_b.c"));
  CHECK_FALSE(IsLabelKey(""));
  CHECK_FALSE(IsLabelKey("/x"));
  CHECK_FALSE(IsLabelKey("Gdsweep.io/x"));  // the prefix is a DNS subdomain
  CHECK_FALSE(IsLabelKey("a/b/c"));
  CHECK_FALSE(IsLabelKey("x/" + std::string(64, 'a')));
  CHECK(IsLabelValue(""));
  CHECK(IsLabelValue("v1.2_b-3"));
  CHECK_FALSE(IsLabelValue("-v"));
  CHECK_FALSE(IsLabelValue("v."));
  CHECK_FALSE(IsLabelValue("a b"));
  CHECK_FALSE(IsLabelValue(std::string(64, 'a')));
}

TEST_CASE("quantities as Kubernetes parses them") {
  for (const char* ok : {"1", "0.5", "500m", "16Gi", "1e3", "2E-2", "+1", "100Ki", ".5", "1."}) {
    CHECK_MESSAGE(IsQuantity(ok), ok);
  }
  for (const char* bad : {"", "Gi", "1GB", "1.5.5", "abc", "1 Gi", "e3", "1e"}) {
    CHECK_MESSAGE(!IsQuantity(bad), bad);
  }
}

TEST_CASE("LabelSafeValue keeps valid values and makes others valid and distinct") {
  CHECK(LabelSafeValue("quickstart") == "quickstart");
  CHECK(LabelSafeValue("my.study_v2") == "my.study_v2");
  const std::string long_name(128, 'x');
  const std::string safe = LabelSafeValue(long_name);
  CHECK(IsLabelValue(safe));
  CHECK(safe.size() <= 63);
  CHECK(LabelSafeValue(long_name + "a") != LabelSafeValue(long_name + "b"));
  for (const char* odd : {"-lead", "trail.", "a b", "é", "---", "_x_"}) {
    const std::string v = LabelSafeValue(odd);
    CHECK_MESSAGE(IsLabelValue(v), odd);
    CHECK_MESSAGE(!v.empty(), odd);
  }
  CHECK(LabelSafeValue("-x") != LabelSafeValue("x-"));
}

TEST_CASE("ShortHash is stable and spreads") {
  CHECK(ShortHash("abc", 10) == ShortHash("abc", 10));
  CHECK(ShortHash("abc", 10).size() == 10);
  CHECK(ShortHash("", 8) == "cbf29ce4");  // FNV-1a 64 offset basis: fixed forever
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) seen.insert(ShortHash("study-" + std::to_string(i), 10));
  CHECK(seen.size() == 10000);
}

}  // namespace
}  // namespace gdsweep
