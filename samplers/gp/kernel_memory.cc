#include "samplers/gp/kernel_memory.h"

#include <nlohmann/json.hpp>

namespace gdsweep::gp {
namespace {

using json = nlohmann::json;

const char* KindName(KernelKind kind) {
  switch (kind) {
    case KernelKind::kArd:
      return "ard";
    case KernelKind::kAdditive:
      return "additive";
    case KernelKind::kArdPlusAdditive:
      return "ard+additive";
  }
  return "ard";
}

std::optional<KernelKind> KindFromName(const std::string& name) {
  for (KernelKind kind : {KernelKind::kArd, KernelKind::kAdditive, KernelKind::kArdPlusAdditive}) {
    if (name == KindName(kind)) return kind;
  }
  return std::nullopt;
}

json ParamsJson(const KernelParams& p) {
  json j = {{"noise_var", p.noise_var}};
  if (HasArdTerm(p.kind)) {
    j["rho"] = p.inverse_squared_lengthscales;
    j["scale"] = p.scale;
  }
  if (HasAdditiveTerm(p.kind)) {
    j["component_rho"] = p.component_inverse_squared_lengthscales;
    j["component_scales"] = p.component_scales;
  }
  return j;
}

// Throws (json's exceptions) on a missing or mistyped field.
std::optional<KernelParams> ParamsFromJson(const json& j, KernelKind kind, size_t dims) {
  KernelParams p;
  p.kind = kind;
  p.noise_var = j.at("noise_var").get<double>();
  if (HasArdTerm(kind)) {
    p.inverse_squared_lengthscales = j.at("rho").get<std::vector<double>>();
    p.scale = j.at("scale").get<double>();
    if (p.inverse_squared_lengthscales.size() != dims) return std::nullopt;
  }
  if (HasAdditiveTerm(kind)) {
    p.component_inverse_squared_lengthscales = j.at("component_rho").get<std::vector<double>>();
    p.component_scales = j.at("component_scales").get<std::vector<double>>();
    if (p.component_inverse_squared_lengthscales.size() != dims ||
        p.component_scales.size() != dims) {
      return std::nullopt;
    }
  }
  return p;
}

}  // namespace

std::optional<KernelMemory> RecallKernelMemory(const std::vector<TrialRecord>& history,
                                               size_t dims) {
  const TrialRecord* latest = nullptr;
  for (const auto& t : history) {
    if (t.sampler_attrs.count(kKernelMemoryAttr) && (!latest || t.number > latest->number)) {
      latest = &t;
    }
  }
  if (!latest) return std::nullopt;
  try {
    const json j = json::parse(latest->sampler_attrs.at(kKernelMemoryAttr));
    auto chosen = KindFromName(j.at("chosen").get<std::string>());
    if (!chosen) return std::nullopt;
    KernelMemory memory;
    memory.chosen = *chosen;
    memory.squeezed = j.at("squeezed").get<bool>();
    if (!j.at("selected_at").is_number_unsigned()) return std::nullopt;
    memory.selected_at = j.at("selected_at").get<size_t>();
    const json& fitted = j.at("fitted");
    for (KernelKind kind :
         {KernelKind::kArd, KernelKind::kAdditive, KernelKind::kArdPlusAdditive}) {
      if (fitted.contains(KindName(kind))) {
        memory.fitted.of(kind) = ParamsFromJson(fitted.at(KindName(kind)), kind, dims);
      }
    }
    if (!memory.fitted.of(memory.chosen)) return std::nullopt;
    return memory;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::string KernelMemoryJson(const KernelMemory& memory) {
  json fitted = json::object();
  for (KernelKind kind : {KernelKind::kArd, KernelKind::kAdditive, KernelKind::kArdPlusAdditive}) {
    const auto& params = memory.fitted.of(kind);
    if (params) fitted[KindName(kind)] = ParamsJson(*params);
  }
  return json{{"chosen", KindName(memory.chosen)},
              {"squeezed", memory.squeezed},
              {"selected_at", memory.selected_at},
              {"fitted", fitted}}
      .dump();
}

}  // namespace gdsweep::gp
