#include "sweeper/spec/study_parser_tpe.h"

#include <climits>

#include "sweeper/spec/yaml_values.h"

namespace gdsweep {

const std::vector<std::string> kTpeKeys = {"n_startup_trials",   "n_ei_candidates",
                                           "multivariate",       "group",
                                           "constant_liar",      "consider_prior",
                                           "prior_weight",       "consider_magic_clip",
                                           "consider_endpoints", "gamma"};

namespace {

Status ParseGamma(const YamlNode& node, TpeOptions& tpe) {
  const std::string path = "sampler.gamma";
  if (auto s = ExpectMapping(node, path); !s) return s;
  if (auto s = CheckKeys(node, path, {"fraction", "cap"}); !s) return s;
  if (const YamlEntry* e = node.Find("fraction")) {
    auto f = ReadNumber(e->value, JoinPath(path, "fraction"));
    if (!f) return f.error();
    if (!(*f > 0 && *f <= 1)) {
      return ErrorAt(e->value.location, JoinPath(path, "fraction"),
                     "expected a number in (0, 1], got " + Describe(e->value));
    }
    tpe.gamma_fraction = *f;
  }
  if (const YamlEntry* e = node.Find("cap")) {
    auto cap = ReadIntIn(e->value, JoinPath(path, "cap"), 1, INT_MAX, "a positive whole number");
    if (!cap) return cap.error();
    tpe.gamma_cap = static_cast<int>(*cap);
  }
  return {};
}

}  // namespace

Status ParseTpeOption(const YamlEntry& e, TpeOptions& tpe) {
  const std::string path = JoinPath("sampler", e.key);
  auto set_bool = [&](bool& field) { return ReadBoolInto(e.value, path, field); };
  if (e.key == "n_startup_trials" || e.key == "n_ei_candidates") {
    const bool startup = e.key == "n_startup_trials";
    auto n = ReadIntIn(e.value, path, startup ? 0 : 1, INT_MAX,
                       startup ? "a non-negative whole number" : "a positive whole number");
    if (!n) return n.error();
    (startup ? tpe.n_startup_trials : tpe.n_ei_candidates) = static_cast<int>(*n);
    return {};
  }
  if (e.key == "multivariate") return set_bool(tpe.multivariate);
  if (e.key == "group") return set_bool(tpe.group);
  if (e.key == "constant_liar") return set_bool(tpe.constant_liar);
  if (e.key == "consider_prior") return set_bool(tpe.consider_prior);
  if (e.key == "consider_magic_clip") return set_bool(tpe.consider_magic_clip);
  if (e.key == "consider_endpoints") return set_bool(tpe.consider_endpoints);
  if (e.key == "prior_weight") {
    auto w = ReadNumber(e.value, path);
    if (!w) return w.error();
    if (!(*w > 0))
      return ErrorAt(e.value.location, path,
                     "expected a positive number, got " + Describe(e.value));
    tpe.prior_weight = *w;
    return {};
  }
  return ParseGamma(e.value, tpe);
}

Status CheckTpeOptions(const YamlNode& sampler, const TpeOptions& tpe) {
  if (tpe.group && !tpe.multivariate) {
    const YamlEntry* e = sampler.Find("group");
    return ErrorAt(e->value.location, "sampler.group", "group needs multivariate: true");
  }
  return {};
}

}  // namespace gdsweep
