#include "tracking/outbox_payload.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace gdsweep {
namespace {

using nlohmann::json;

// A malformed field, caught once per Parse* and turned into kInvalidInput.
struct BadField : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const json& Field(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) throw BadField(std::string("missing \"") + name + "\"");
  return *it;
}

// A number, or one of the strings JSON cannot hold as a number.
double Number(const json& v, const std::string& what) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  throw BadField("\"" + what + "\" is not a number: " + v.dump());
}

int64_t Integer(const json& v, const std::string& what) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d)) return static_cast<int64_t>(d);
  }
  throw BadField("\"" + what + "\" is not an integer: " + v.dump());
}

std::string Text(const json& v, const std::string& what) {
  if (!v.is_string()) throw BadField("\"" + what + "\" is not a string: " + v.dump());
  return v.get<std::string>();
}

// [[step, value], ...] or [[step, value, time], ...] into `points` and
// `times`; absent is empty.
void Points(const json& j, std::map<int64_t, double>& points, std::map<int64_t, double>& times) {
  auto it = j.find("points");
  if (it == j.end() || it->is_null()) return;
  if (!it->is_array()) throw BadField("\"points\" is not a list");
  for (const auto& p : *it) {
    if (!p.is_array() || (p.size() != 2 && p.size() != 3)) {
      throw BadField("a point is not [step, value] or [step, value, time]: " + p.dump());
    }
    const int64_t step = Integer(p[0], "points.step");
    points[step] = Number(p[1], "points.value");
    if (p.size() == 3) times[step] = Number(p[2], "points.time");
  }
}

template <typename T, typename F>
Result<T> Parse(const char* kind, const std::string& payload, F read) {
  try {
    const json j = json::parse(payload);
    if (!j.is_object()) throw BadField("not a JSON object");
    return read(j);
  } catch (const std::exception& e) {
    return Error::Invalid(std::string("malformed ") + kind + " outbox payload: " + e.what());
  }
}

}  // namespace

Result<RunStartedPayload> ParseRunStarted(const std::string& payload) {
  return Parse<RunStartedPayload>("run_started", payload, [](const json& j) {
    RunStartedPayload p;
    p.number = Integer(Field(j, "number"), "number");
    p.attempt = static_cast<int>(Integer(Field(j, "attempt"), "attempt"));
    if (auto it = j.find("retry_of"); it != j.end() && !it->is_null()) {
      p.retry_of = Integer(*it, "retry_of");
    }
    p.start_time = Number(Field(j, "start_time"), "start_time");
    const json& params = Field(j, "params");
    if (!params.is_object()) throw BadField("\"params\" is not an object");
    for (const auto& [name, value] : params.items()) p.params[name] = Text(value, "params." + name);
    return p;
  });
}

Result<IntermediatePayload> ParseIntermediate(const std::string& payload) {
  return Parse<IntermediatePayload>("intermediate", payload, [](const json& j) {
    IntermediatePayload p;
    p.time = Number(Field(j, "time"), "time");
    Points(j, p.points, p.times);
    return p;
  });
}

Result<RunFinishedPayload> ParseRunFinished(const std::string& payload) {
  return Parse<RunFinishedPayload>("run_finished", payload, [](const json& j) {
    RunFinishedPayload p;
    const std::string state = Text(Field(j, "state"), "state");
    auto s = TrialStateFromString(state);
    if (!s || !IsFinished(*s)) throw BadField("\"state\" is not a finished state: " + state);
    p.state = *s;
    if (auto it = j.find("values"); it != j.end() && !it->is_null()) {
      if (!it->is_array()) throw BadField("\"values\" is not a list");
      for (const auto& v : *it) p.values.push_back(Number(v, "values"));
    }
    p.end_time = Number(Field(j, "end_time"), "end_time");
    if (auto it = j.find("reason"); it != j.end() && !it->is_null()) p.reason = Text(*it, "reason");
    if (auto it = j.find("interrupted"); it != j.end() && !it->is_null()) {
      if (!it->is_boolean()) throw BadField("\"interrupted\" is not a boolean");
      p.interrupted = it->get<bool>();
    }
    Points(j, p.points, p.times);
    if (auto it = j.find("pruned_step"); it != j.end() && !it->is_null()) {
      if (!it->is_number_integer()) throw BadField("\"pruned_step\" is not a whole number");
      p.pruned_step = it->get<int64_t>();
    }
    return p;
  });
}

}  // namespace gdsweep
