// The trialTemplate of a Katib Experiment as gdsweep's trial and kubernetes
// sections: a batch/v1 Job's primary container becomes the kubernetes
// backend's image, command, env and resources, with ${trialParameters.x}
// turned into gdsweep placeholders; a TFJob or PyTorchJob becomes kind tfjob
// or pytorchjob with its replicas, any other resource kind: custom; with
// --backend local, the container's command runs as a local process. Part of
// the Katib importer (katib_config.h). Pure function; thread-safe.
#pragma once

#include "sweeper/convert/conversion.h"
#include "sweeper/model/result.h"

namespace gdsweep {

// `spec` is the Experiment's spec mapping; writes trial, backend and
// kubernetes into c.study.
Status ReadKatibTrialTemplate(const YamlNode& spec, const YamlNode& metadata,
                              const ConvertOptions& options, Conversion& c);

}  // namespace gdsweep
