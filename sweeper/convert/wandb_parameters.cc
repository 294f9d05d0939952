#include "sweeper/convert/wandb_parameters.h"

#include <cmath>

#include "sweeper/convert/yaml_build.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

const std::vector<std::string> kDistributions = {"constant",
                                                 "categorical",
                                                 "categorical_w_probabilities",
                                                 "int_uniform",
                                                 "uniform",
                                                 "q_uniform",
                                                 "log_uniform",
                                                 "log_uniform_values",
                                                 "q_log_uniform",
                                                 "q_log_uniform_values",
                                                 "inv_log_uniform",
                                                 "inv_log_uniform_values",
                                                 "normal",
                                                 "q_normal",
                                                 "log_normal",
                                                 "q_log_normal",
                                                 "beta",
                                                 "q_beta"};

class ParameterReader {
 public:
  ParameterReader(YamlNode& space, Conversion& c) : space_(space), c_(c) {}

  Status ReadAll(const YamlNode& parameters, const std::string& prefix, const std::string& path) {
    if (auto s = ExpectMapping(parameters, path); !s) return s;
    if (parameters.entries.empty()) {
      return ErrorAt(parameters.location, path, "expected at least one parameter");
    }
    for (const auto& e : parameters.entries) {
      if (auto s = ReadOne(e, prefix + e.key, JoinPath(path, e.key)); !s) return s;
    }
    return {};
  }

  std::vector<WandbParameterName> names;

 private:
  Status ReadOne(const YamlEntry& e, const std::string& name, const std::string& path) {
    const YamlNode& p = e.value;
    if (auto s = ExpectMapping(p, path); !s) return s;
    if (const YamlNode* nested = FindValue(p, "parameters")) {
      if (auto s = CheckKeys(p, path, {"parameters"}); !s) return s;
      c_.Warn(e.key_location, path,
              "nested parameters become " + name +
                  ".NAME, each its own parameter and argument (--" + name +
                  ".NAME=VALUE); W&B passes the group as one --" + name +
                  "={...} argument and a nested wandb.config entry",
              "search_space");
      return ReadAll(*nested, name + ".", JoinPath(path, "parameters"));
    }
    if (auto s = CheckKeys(p, path,
                           {"distribution", "value", "values", "probabilities", "min", "max", "q",
                            "mu", "sigma", "a", "b"});
        !s) {
      return s;
    }
    std::string dist;
    if (const YamlNode* d = FindValue(p, "distribution")) {
      auto r = ReadEnum(*d, JoinPath(path, "distribution"), kDistributions);
      if (!r) return r.error();
      dist = *r;
    } else if (p.Find("value")) {
      dist = "constant";
    } else if (p.Find("values")) {
      dist = p.Find("probabilities") ? "categorical_w_probabilities" : "categorical";
    } else if (p.Find("min") && p.Find("max")) {
      auto lo = ReadScalarValue(p.Find("min")->value, JoinPath(path, "min"));
      auto hi = ReadScalarValue(p.Find("max")->value, JoinPath(path, "max"));
      const bool ints =
          lo && hi && std::holds_alternative<int64_t>(*lo) && std::holds_alternative<int64_t>(*hi);
      dist = ints ? "int_uniform" : "uniform";
    } else {
      return ErrorAt(p.location, path,
                     "expected values, value, min and max, a distribution, or nested "
                     "parameters");
    }
    const std::string target = "search_space." + name;
    YamlNode out = MapNode(p.location);
    WandbParameterName n{name, false};
    if (dist == "constant" || dist == "categorical" || dist == "categorical_w_probabilities") {
      Put(out, "type", PlainNode("categorical", p.location));
      YamlNode choices = ListNode(p.location);
      if (dist == "constant") {
        const YamlEntry* v = p.Find("value");
        if (!v) return MissingKey(p, path, "value");
        choices.items.push_back(v->value);
        c_.Origin(v->value.location, JoinPath(path, "value"));
        c_.Info(v->key_location, JoinPath(path, "value"),
                "a constant: a categorical parameter with this one choice, recorded with each "
                "trial and passed like the others",
                target);
      } else {
        const YamlEntry* v = p.Find("values");
        if (!v) return MissingKey(p, path, "values");
        if (auto s = ExpectList(v->value, JoinPath(path, "values")); !s) return s;
        choices.items = v->value.items;
        c_.Origin(v->value.location, JoinPath(path, "values"));
        if (const YamlEntry* pr = p.Find("probabilities")) {
          c_.Warn(pr->key_location, JoinPath(path, "probabilities"),
                  "not carried over: gdsweep's samplers draw every choice with the same prior "
                  "weight",
                  target);
        }
      }
      for (size_t i = 0; i < choices.items.size(); ++i) {
        const YamlNode& item = choices.items[i];
        if (!item.IsScalar() && !item.IsNull()) {
          return ErrorAt(item.location, IndexPath(JoinPath(path, "values"), i),
                         "a list or mapping as a value has no equivalent: choices are numbers, "
                         "strings, booleans or null");
        }
        auto v = ReadScalarValue(item, path);
        if (v && std::holds_alternative<bool>(*v)) n.boolean = true;
      }
      Put(out, "choices", std::move(choices));
    } else {
      auto s = Numeric(p, path, dist, target, out);
      if (!s) return s;
    }
    for (const char* key : {"mu", "sigma", "a", "b", "q", "probabilities"}) {
      if (const YamlEntry* extra = p.Find(key); extra && !Uses(dist, key)) {
        c_.Warn(extra->key_location, JoinPath(path, key),
                "ignored: the " + dist + " distribution does not use it", target);
      }
    }
    Put(space_, name, std::move(out), e.key_location);
    names.push_back(n);
    return {};
  }

  static bool Uses(const std::string& dist, const std::string& key) {
    if (key == "probabilities") return dist == "categorical_w_probabilities";
    if (key == "q") return dist.rfind("q_", 0) == 0;
    if (key == "mu" || key == "sigma") return dist.find("normal") != std::string::npos;
    return dist.find("beta") != std::string::npos;
  }

  Result<double> Number(const YamlNode& p, const std::string& path, const char* key,
                        std::optional<double> fallback) {
    const YamlNode* v = FindValue(p, key);
    if (!v) {
      if (fallback) return *fallback;
      return MissingKey(p, path, key);
    }
    c_.Origin(v->location, JoinPath(path, key));
    return ReadNumber(*v, JoinPath(path, key));
  }

  Status Numeric(const YamlNode& p, const std::string& path, const std::string& dist,
                 const std::string& target, YamlNode& out) {
    const YamlLocation& at = p.location;
    const bool normal = dist.find("normal") != std::string::npos;
    const bool beta = dist.find("beta") != std::string::npos;
    double lo = 0, hi = 1;
    if (normal) {
      auto mu = Number(p, path, "mu", 0.0);
      if (!mu) return mu.error();
      auto sigma = Number(p, path, "sigma", 1.0);
      if (!sigma) return sigma.error();
      lo = *mu - 3 * *sigma;
      hi = *mu + 3 * *sigma;
      c_.Warn(at, path,
              dist + " (mu " + FormatDouble(*mu) + ", sigma " + FormatDouble(*sigma) +
                  ") has no bounded equivalent: gdsweep draws " +
                  (dist.find("log") != std::string::npos ? "log-uniformly from exp(mu ± 3 sigma)"
                                                         : "uniformly from mu ± 3 sigma") +
                  ", which covers 99.7% of it",
              target);
    } else if (beta) {
      c_.Warn(at, path,
              dist +
                  " has no equivalent: gdsweep draws uniformly from [0, 1], the beta "
                  "distribution's support (its a and b shape are dropped)",
              target);
    } else {
      auto min = Number(p, path, "min", std::nullopt);
      if (!min) return min.error();
      auto max = Number(p, path, "max", std::nullopt);
      if (!max) return max.error();
      lo = *min;
      hi = *max;
    }
    bool log = false;
    if (dist == "log_uniform" || dist == "q_log_uniform" || dist == "log_normal" ||
        dist == "q_log_normal") {
      log = true;
      if (dist.find("uniform") != std::string::npos) {
        c_.Info(at, path,
                dist + " takes the natural logarithms of the bounds: [exp(" + FormatDouble(lo) +
                    "), exp(" + FormatDouble(hi) + ")]",
                target);
      }
      lo = std::exp(lo);
      hi = std::exp(hi);
    } else if (dist == "inv_log_uniform") {
      // X = exp(-U(min, max)): log X is uniform on [-max, -min].
      log = true;
      const double a = std::exp(-hi), b = std::exp(-lo);
      lo = a;
      hi = b;
      c_.Info(at, path,
              "inv_log_uniform: 1/X is log-uniform, so X is log-uniform on [exp(-max), "
              "exp(-min)]",
              target);
    } else if (dist == "log_uniform_values" || dist == "q_log_uniform_values" ||
               dist == "inv_log_uniform_values") {
      log = true;
    }
    std::optional<double> q;
    if (dist.rfind("q_", 0) == 0) {
      auto qv = Number(p, path, "q", 1.0);
      if (!qv) return qv.error();
      q = *qv;
    }
    const YamlNode* q_node = FindValue(p, "q");
    const bool q_int = !q_node || (q_node->IsScalar() && !q_node->quoted &&
                                   q_node->scalar.find_first_of(".eE") == std::string::npos);
    if (dist == "int_uniform") {
      auto min = ReadInt(p.Find("min")->value, JoinPath(path, "min"));
      if (!min) return min.error();
      auto max = ReadInt(p.Find("max")->value, JoinPath(path, "max"));
      if (!max) return max.error();
      Put(out, "type", PlainNode("int", at));
      Put(out, "low", IntNode(*min, p.Find("min")->value.location));
      Put(out, "high", IntNode(*max, p.Find("max")->value.location));
      return {};
    }
    if (q && log) {
      if (*q == 1 && q_int) {
        Put(out, "type", PlainNode("int", at));
        Put(out, "low", IntNode(static_cast<int64_t>(std::ceil(lo - 1e-9)), at));
        Put(out, "high", IntNode(static_cast<int64_t>(std::floor(hi + 1e-9)), at));
        Put(out, "log", BoolNode(true, at));
        c_.Warn(at, path, dist + " with q 1 becomes a log-scaled integer", target);
        return {};
      }
      c_.Warn(at, path,
              dist +
                  ": gdsweep cannot quantise a log-scaled value (Optuna allows no step with "
                  "log), so q " +
                  FormatDouble(*q) + " is dropped",
              target);
      q.reset();
    }
    if (q) {
      // W&B rounds to multiples of q: the grid is q's multiples inside the bounds.
      const double first = std::ceil(lo / *q - 1e-9) * *q;
      const double last = std::floor(hi / *q + 1e-9) * *q;
      if (q_int && std::fabs(*q - std::round(*q)) < 1e-12) {
        Put(out, "type", PlainNode("int", at));
        Put(out, "low", IntNode(std::llround(first), at));
        Put(out, "high", IntNode(std::llround(last), at));
        Put(out, "step", IntNode(std::llround(*q), at));
      } else {
        Put(out, "type", PlainNode("float", at));
        Put(out, "low", FloatNode(first, at));
        Put(out, "high", FloatNode(last, at));
        Put(out, "step", FloatNode(*q, at));
      }
      c_.Info(at, path,
              dist + ": the multiples of q (" + FormatDouble(*q) + ") from " + FormatDouble(first) +
                  " to " + FormatDouble(last) +
                  " (W&B rounds a draw to a multiple of q, which may fall just outside the "
                  "bounds)",
              target);
      return {};
    }
    Put(out, "type", PlainNode("float", at));
    const YamlEntry* min_e = p.Find("min");
    const YamlEntry* max_e = p.Find("max");
    Put(out, "low", FloatNode(lo, min_e && !normal ? min_e->value.location : at));
    Put(out, "high", FloatNode(hi, max_e && !normal ? max_e->value.location : at));
    if (log) Put(out, "log", BoolNode(true, at));
    return {};
  }

  YamlNode& space_;
  Conversion& c_;
};

}  // namespace

Result<std::vector<WandbParameterName>> ReadWandbParameters(const YamlNode& parameters,
                                                            YamlNode& space, Conversion& c) {
  ParameterReader reader(space, c);
  if (auto s = reader.ReadAll(parameters, "", "parameters"); !s) return s.error();
  return reader.names;
}

}  // namespace gdsweep
