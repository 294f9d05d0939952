#include "sweeper/convert/katib_config.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "sweeper/convert/convert_test_support.h"

namespace gdsweep {
namespace {

using test::Dist;
using test::HasNote;
using test::MustLoad;

TEST_CASE("Katib random: a batch/v1 Job becomes the kubernetes backend") {
  auto s = MustLoad("katib/random.yaml");
  CHECK(s.format == ConfigFormat::kKatib);
  CHECK(s.spec.name == "random");
  CHECK(s.spec.sampler.type == "random");
  REQUIRE(s.spec.objectives.size() == 1);
  CHECK(s.spec.objectives[0].metric == "loss");
  CHECK(Dist(s.spec, "lr") == Distribution{FloatDistribution{0.01, 0.05}});
  CHECK(Dist(s.spec, "momentum") == Distribution{FloatDistribution{0.5, 0.9}});
  CHECK(s.spec.budget.n_trials == int64_t{12});
  CHECK(s.spec.budget.parallelism == 3);
  CHECK(s.spec.backend == "kubernetes");
  REQUIRE(s.spec.kubernetes);
  CHECK(s.spec.kubernetes->image == "ghcr.io/kubeflow/katib/pytorch-mnist-cpu:v0.19.0");
  CHECK(s.spec.kubernetes->namespace_ == "kubeflow");
  CHECK(s.spec.kubernetes->resources.limits ==
        std::map<std::string, std::string>{{"cpu", "0.5"}, {"memory", "1Gi"}});
  CHECK(s.spec.trial.command == std::vector<std::string>{"python3", "/opt/pytorch-mnist/mnist.py",
                                                         "--epochs=1", "--batch-size=16",
                                                         "--lr={lr}", "--momentum={momentum}"});
  CHECK(HasNote(s.notes, "spec.objective.goal", "not carried over"));
  CHECK(HasNote(s.notes, "spec.maxFailedTrialCount", "not carried over"));
  CHECK(HasNote(s.notes, "spec.objective.type", "smallest value"));
}

TEST_CASE("Katib grid: double parameters with a step") {
  auto s = MustLoad("katib/grid.yaml");
  CHECK(s.spec.sampler.type == "grid");
  CHECK(Dist(s.spec, "lr") == Distribution{FloatDistribution{0.01, 0.05, false, 0.005}});
  CHECK(Dist(s.spec, "momentum") == Distribution{FloatDistribution{0.5, 0.9, false, 0.1}});
}

TEST_CASE("Katib bayesianoptimization: gdsweep's gp with a warning, random_state as the seed") {
  auto s = MustLoad("katib/bayesian-optimization.yaml");
  CHECK(s.spec.sampler.type == "gp");
  CHECK(s.spec.sampler.seed == uint64_t{10});
  CHECK(HasNote(s.notes, "spec.algorithm.algorithmName", "Gaussian process"));
}

TEST_CASE("Katib distributions: logUniform on double and int, a step on a uniform double") {
  auto s = MustLoad("katib/optuna-distribution.yaml");
  CHECK(s.spec.sampler.type == "tpe");
  CHECK(Dist(s.spec, "lr") == Distribution{FloatDistribution{1, 5, false, 0.1}});
  CHECK(Dist(s.spec, "momentum") == Distribution{FloatDistribution{0.001, 3, true}});
  CHECK(Dist(s.spec, "epochs") == Distribution{IntDistribution{1, 3}});
  CHECK(Dist(s.spec, "batch_size") == Distribution{IntDistribution{32, 64, true}});
  CHECK(s.spec.trial.command[2] == "--epochs={epochs}");
  CHECK(s.spec.trial.command[3] == "--batch-size={batch_size}");
}

TEST_CASE("Katib PyTorchJob: kind pytorchjob with its replicas; local runs one process") {
  auto s = MustLoad("katib/pytorchjob-mnist.yaml");
  CHECK(s.spec.backend == "kubernetes");
  REQUIRE(s.spec.kubernetes);
  const KubernetesSpec& k = *s.spec.kubernetes;
  CHECK(k.kind == KubernetesSpec::Kind::kPyTorchJob);
  CHECK(k.replicas == std::map<std::string, int>{{"master", 1}, {"worker", 1}});
  CHECK(k.container.empty());  // primaryContainerName pytorch: the operator's own
  CHECK(k.image == "ghcr.io/kubeflow/katib/pytorch-mnist-cpu:v0.19.0");
  CHECK(k.namespace_ == "kubeflow");
  CHECK(s.spec.trial.command.back() == "--momentum={momentum}");
  CHECK(HasNote(s.notes,
                "spec.trialTemplate.trialSpec.spec.pytorchReplicaSpecs.Master.restartPolicy",
                "restartPolicy Never"));
  CHECK(HasNote(s.notes, "spec.trialTemplate", "read from the log of replica master-0",
                ConvertNote::Level::kInfo));
  // Worker's pod is the same as Master's: nothing to say about it.
  CHECK_FALSE(HasNote(
      s.notes, "spec.trialTemplate.trialSpec.spec.pytorchReplicaSpecs.Worker.template", "differs"));
  auto local = MustLoad("katib/pytorchjob-mnist.yaml", ConvertOptions{{}, "local"});
  CHECK(local.spec.backend == "local");
  CHECK(local.spec.trial.command.back() == "--momentum={momentum}");
  CHECK(HasNote(local.notes, "spec.trialTemplate.trialSpec.kind", "one local process"));
}

Result<LoadedStudy> FromKatib(const std::string& spec_text) {
  auto root =
      ReadYaml("apiVersion: kubeflow.org/v1beta1\nkind: Experiment\nmetadata: {name: e}\nspec:\n" +
                   spec_text,
               "k.yaml");
  REQUIRE(root);
  auto c = ConvertKatibExperiment(*root, "k.yaml", {});
  if (!c) return c.error();
  auto spec = ValidateConversion(*c, "k.yaml");
  if (!spec) return spec.error();
  return LoadedStudy{*spec, c->format, c->notes};
}

const std::string kJob =
    "  trialTemplate:\n"
    "    primaryContainerName: c\n"
    "    trialParameters: [{name: rate, reference: lr}]\n"
    "    trialSpec:\n"
    "      apiVersion: batch/v1\n"
    "      kind: Job\n"
    "      spec:\n"
    "        template:\n"
    "          spec:\n"
    "            containers:\n"
    "              - name: c\n"
    "                image: img\n"
    "                command: [python3, t.py, '--lr=${trialParameters.rate}']\n"
    "                env: [{name: A, value: '1'}, {name: B, value: '${trialParameters.rate}'},\n"
    "                      {name: S, valueFrom: {secretKeyRef: {name: s, key: k}}}]\n";

TEST_CASE("Katib discrete and categorical lists, env of a Job, medianstop, multivariate-tpe") {
  auto s = FromKatib(
      "  objective: {type: maximize, objectiveMetricName: acc}\n"
      "  algorithm: {algorithmName: multivariate-tpe, algorithmSettings: "
      "[{name: n_startup_trials, value: '5'}]}\n"
      "  earlyStopping: {algorithmName: medianstop, algorithmSettings: "
      "[{name: min_trials_required, value: '2'}]}\n"
      "  parameters:\n"
      "    - {name: lr, parameterType: double, feasibleSpace: {min: '0.1', max: '1'}}\n"
      "    - {name: n, parameterType: discrete, feasibleSpace: {list: ['1', '2.5']}}\n"
      "    - {name: opt, parameterType: categorical, feasibleSpace: {list: [sgd, adam]}}\n" +
      kJob);
  REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
  CHECK(s->spec.objectives[0].direction == Direction::kMaximize);
  CHECK(s->spec.sampler.tpe.multivariate);
  CHECK(s->spec.sampler.tpe.n_startup_trials == 5);
  CHECK(Dist(s->spec, "n") == Distribution{CategoricalDistribution{{int64_t{1}, 2.5}}});
  CHECK(Dist(s->spec, "opt") ==
        Distribution{CategoricalDistribution{{std::string("sgd"), std::string("adam")}}});
  CHECK(s->spec.pruner.type == PrunerType::kMedian);
  CHECK(s->spec.pruner.percentile.n_startup_trials == 2);
  CHECK(s->spec.pruner.percentile.n_warmup_steps == 3);
  CHECK(s->spec.trial.env == std::map<std::string, std::string>{{"B", "{lr}"}});
  REQUIRE(s->spec.kubernetes);
  REQUIRE(s->spec.kubernetes->env.size() == 2);
  CHECK(s->spec.kubernetes->env[0].name == "A");
  CHECK(s->spec.kubernetes->env[1].source == KubernetesEnvVar::Source::kSecret);
}

TEST_CASE("Katib cmaes, sobol and bayesianoptimization become cmaes, qmc and gp, with settings") {
  const std::string space =
      "  parameters:\n"
      "    - {name: lr, parameterType: double, feasibleSpace: {min: '0.1', max: '1'}}\n"
      "    - {name: n, parameterType: int, feasibleSpace: {min: '1', max: '9'}}\n";
  const std::string objective = "  objective: {type: minimize, objectiveMetricName: loss}\n";
  auto cmaes = FromKatib(objective +
                         "  algorithm: {algorithmName: cmaes, algorithmSettings: [{name: "
                         "random_state, value: '4'}, {name: sigma, value: '0.2'}, {name: "
                         "restart_strategy, value: ipop}]}\n" +
                         space + kJob);
  REQUIRE_MESSAGE(cmaes, (cmaes ? "" : cmaes.error().message));
  CHECK(cmaes->spec.sampler.type == "cmaes");
  CHECK(cmaes->spec.sampler.seed == uint64_t{4});
  CHECK(cmaes->spec.sampler.cmaes.sigma0 == 0.2);
  CHECK(cmaes->spec.sampler.cmaes.restart_strategy == "ipop");
  CHECK(HasNote(cmaes->notes, "spec.algorithm.algorithmSettings[1]", "sigma0",
                ConvertNote::Level::kInfo));

  auto sobol = FromKatib(objective + "  algorithm: {algorithmName: sobol}\n" + space + kJob);
  REQUIRE_MESSAGE(sobol, (sobol ? "" : sobol.error().message));
  CHECK(sobol->spec.sampler.type == "qmc");
  CHECK(sobol->spec.sampler.qmc.qmc_type == "sobol");
  for (const auto& n : sobol->notes) CHECK(n.key != "spec.algorithm.algorithmName");

  auto gp = FromKatib(objective +
                      "  algorithm: {algorithmName: bayesianoptimization, algorithmSettings: "
                      "[{name: n_initial_points, value: '7'}, {name: acq_func, value: EI}]}\n" +
                      space + kJob);
  REQUIRE_MESSAGE(gp, (gp ? "" : gp.error().message));
  CHECK(gp->spec.sampler.type == "gp");
  CHECK(gp->spec.sampler.gp.n_startup_trials == 7);
  CHECK(HasNote(gp->notes, "spec.algorithm.algorithmSettings[1]", "'acq_func' not carried over"));

  // gp needs a numeric parameter: over categorical ones only, TPE with a warning.
  auto categorical = FromKatib(
      objective + "  algorithm: {algorithmName: bayesianoptimization}\n" +
      "  parameters: [{name: lr, parameterType: categorical, feasibleSpace: {list: [a, b]}}]\n" +
      kJob);
  REQUIRE_MESSAGE(categorical, (categorical ? "" : categorical.error().message));
  CHECK(categorical->spec.sampler.type == "tpe");
  CHECK(HasNote(categorical->notes, "spec.algorithm.algorithmName", "needs a numeric one"));
}

TEST_CASE("Katib errors: an unknown trial parameter, a bad bound, an unknown algorithm") {
  const std::string head =
      "  objective: {type: minimize, objectiveMetricName: loss}\n"
      "  algorithm: {algorithmName: random}\n";
  std::string bad_ref = kJob;
  const std::string rate = "trialParameters.rate}'";
  bad_ref.replace(bad_ref.find(rate), rate.size(), "trialParameters.rat}'");
  auto ref = FromKatib(head +
                       "  parameters: [{name: lr, parameterType: double, feasibleSpace: {min: "
                       "'0.1', max: '1'}}]\n" +
                       bad_ref);
  REQUIRE_FALSE(ref);
  CHECK(ref.error().message.find("'rat' is not in spec.trialTemplate.trialParameters; did you "
                                 "mean 'rate'?") != std::string::npos);
  auto bound = FromKatib(head +
                         "  parameters: [{name: lr, parameterType: double, feasibleSpace: {min: "
                         "'abc', max: '1'}}]\n" +
                         kJob);
  REQUIRE_FALSE(bound);
  CHECK(bound.error().message.find(
            "k.yaml:7:71: spec.parameters[0].feasibleSpace.min: expected a number") == 0);
  auto algo = FromKatib(
      "  objective: {type: minimize, objectiveMetricName: loss}\n"
      "  algorithm: {algorithmName: enas}\n"
      "  parameters: [{name: lr, parameterType: double, feasibleSpace: {min: '0.1', max: "
      "'1'}}]\n" +
      kJob);
  REQUIRE_FALSE(algo);
  CHECK(algo.error().message.find("spec.algorithm.algorithmName: 'enas' has no gdsweep") !=
        std::string::npos);
}

const std::string kKatibHead =
    "  objective: {type: maximize, objectiveMetricName: accuracy}\n"
    "  algorithm: {algorithmName: random}\n"
    "  parameters: [{name: lr, parameterType: double, feasibleSpace: {min: '0.01', max: "
    "'0.05'}}]\n";

TEST_CASE("Katib TFJob: PS and Worker replicas, metrics from the labelled replica") {
  auto s = FromKatib(kKatibHead +
                     "  trialTemplate:\n"
                     "    primaryContainerName: tensorflow\n"
                     "    primaryPodLabels: {training.kubeflow.org/replica-type: worker,\n"
                     "                       training.kubeflow.org/replica-index: '1'}\n"
                     "    retain: true\n"
                     "    trialParameters: [{name: rate, reference: lr}]\n"
                     "    trialSpec:\n"
                     "      apiVersion: kubeflow.org/v1\n"
                     "      kind: TFJob\n"
                     "      spec:\n"
                     "        runPolicy: {backoffLimit: 2, cleanPodPolicy: Running}\n"
                     "        tfReplicaSpecs:\n"
                     "          PS:\n"
                     "            replicas: 1\n"
                     "            restartPolicy: Never\n"
                     "            template:\n"
                     "              spec:\n"
                     "                containers:\n"
                     "                  - name: tensorflow\n"
                     "                    image: tf\n"
                     "                    command: [python, ps.py]\n"
                     "          Worker:\n"
                     "            replicas: 2\n"
                     "            template:\n"
                     "              metadata: {labels: {team: a}}\n"
                     "              spec:\n"
                     "                nodeSelector: {gpu: 'yes'}\n"
                     "                containers:\n"
                     "                  - name: tensorflow\n"
                     "                    image: tf\n"
                     "                    command: [python, t.py, '--lr=${trialParameters.rate}']\n"
                     "                    resources: {limits: {nvidia.com/gpu: 1}}\n");
  REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
  REQUIRE(s->spec.kubernetes);
  const KubernetesSpec& k = *s->spec.kubernetes;
  CHECK(k.kind == KubernetesSpec::Kind::kTfJob);
  CHECK(k.replicas == std::map<std::string, int>{{"ps", 1}, {"worker", 2}});
  CHECK(k.metrics_from == "worker-1");
  CHECK(k.container.empty());
  CHECK(k.backoff_limit == 2);
  CHECK_FALSE(k.delete_finished);  // retain: true
  // The worker is the primary replica (it has the command the metrics come
  // from): its pod runs in every replica, and the PS's differs, said so.
  CHECK(s->spec.trial.command == std::vector<std::string>{"python", "t.py", "--lr={lr}"});
  CHECK(k.resources.limits == std::map<std::string, std::string>{{"nvidia.com/gpu", "1"}});
  CHECK(k.node_selector == std::map<std::string, std::string>{{"gpu", "yes"}});
  CHECK(k.labels == std::map<std::string, std::string>{{"team", "a"}});
  CHECK(HasNote(s->notes, "spec.trialTemplate.trialSpec.spec.tfReplicaSpecs.PS.template",
                "differs from Worker's"));
  CHECK(HasNote(s->notes, "spec.trialTemplate.trialSpec.spec.runPolicy.cleanPodPolicy",
                "gdsweep sets None"));
}

TEST_CASE("Katib TFJob errors: an unknown replica type, a metrics replica it does not have") {
  const std::string tmpl =
      "  trialTemplate:\n"
      "    primaryPodLabels: {training.kubeflow.org/replica-type: chief}\n"
      "    trialSpec:\n"
      "      apiVersion: kubeflow.org/v1\n"
      "      kind: TFJob\n"
      "      spec:\n"
      "        tfReplicaSpecs:\n"
      "          Worker: {template: {spec: {containers: [{name: tensorflow, image: tf, "
      "command: [t]}]}}}\n";
  auto chief = FromKatib(kKatibHead + tmpl);
  REQUIRE_FALSE(chief);
  INFO(chief.error().message);
  CHECK(chief.error().message.find("k.yaml:9:60: kubernetes.metrics_from: expected a replica of "
                                   "this trial as <type>-<index> (such as worker-0), got "
                                   "the string \"chief-0\"") == 0);
  CHECK(chief.error().message.find("(spec.trialTemplate.primaryPodLabels in this Katib "
                                   "Experiment)") != std::string::npos);
  std::string typo = tmpl;
  typo.replace(typo.find("          Worker:"), 17, "          Workers:");
  auto unknown = FromKatib(kKatibHead + typo);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message.find(
            "spec.trialTemplate.trialSpec.spec.tfReplicaSpecs.Workers: not a replica type of a "
            "TFJob (chief, master, worker, ps, evaluator)") != std::string::npos);
}

const std::string kJobSet =
    "  trialTemplate:\n"
    "    primaryContainerName: trainer\n"
    "    successCondition: status.conditions.#(type==\"Completed\")#|#(status==\"True\")#\n"
    "    failureCondition: status.[@this].#(terminalState==\"Failed\")#\n"
    "    primaryPodLabels: {jobset.sigs.k8s.io/job-index: '0'}\n"
    "    trialParameters: [{name: rate, reference: lr}]\n"
    "    trialSpec:\n"
    "      apiVersion: jobset.x-k8s.io/v1alpha2\n"
    "      kind: JobSet\n"
    "      spec:\n"
    "        replicatedJobs:\n"
    "          - name: workers\n"
    "            replicas: 2\n"
    "            template:\n"
    "              spec:\n"
    "                template:\n"
    "                  spec:\n"
    "                    containers:\n"
    "                      - name: trainer\n"
    "                        image: py\n"
    "                        command: [python, t.py, '--lr=${trialParameters.rate}']\n"
    "                        env: [{name: A, value: '1'}, {name: LR, value: "
    "'${trialParameters.rate}'}]\n";

TEST_CASE("Katib JobSet: kind custom, the trialSpec its manifest, Katib's conditions its rules") {
  auto s = FromKatib(kKatibHead + kJobSet);
  REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
  REQUIRE(s->spec.kubernetes);
  const KubernetesSpec& k = *s->spec.kubernetes;
  CHECK(k.kind == KubernetesSpec::Kind::kCustom);
  CHECK(k.container == "trainer");
  CHECK(k.custom.api_version == "jobset.x-k8s.io/v1alpha2");
  CHECK(k.custom.plural == "jobsets");
  CHECK(k.custom.success == KubernetesEndRule{"Completed", "", {}});
  CHECK(k.custom.failure == KubernetesEndRule{"", "status.terminalState", {"Failed"}});
  CHECK(k.custom.metrics_pod_labels ==
        std::map<std::string, std::string>{{"jobset.sigs.k8s.io/job-index", "0"}});
  CHECK(s->spec.trial.command == std::vector<std::string>{"python", "t.py", "--lr={lr}"});
  CHECK(s->spec.trial.env == std::map<std::string, std::string>{{"LR", "{lr}"}});
  // The manifest keeps the rest of the container, without the command and
  // the parameter's env (the trial's command and env replace them).
  auto m = nlohmann::json::parse(k.custom.manifest_json);
  auto c = m["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]["containers"][0];
  CHECK(c["image"] == "py");
  CHECK_FALSE(c.contains("command"));
  CHECK(c["env"].size() == 1);
  CHECK(m["spec"]["replicatedJobs"][0]["replicas"] == 2);
}

TEST_CASE(
    "Katib custom errors: a placeholder outside the primary container, an unread "
    "condition, no conditions") {
  std::string other = kJobSet;
  other.replace(other.find("replicas: 2"), 11,
                "replicas: 2\n            name2: '${trialParameters.rate}'");
  auto left = FromKatib(kKatibHead + other);
  REQUIRE_FALSE(left);
  CHECK(left.error().message.find("spec.trialTemplate.trialSpec.spec.replicatedJobs[0].name2: "
                                  "'${trialParameters.rate}': gdsweep renders a trial's "
                                  "parameters into the primary container's command and env "
                                  "only") != std::string::npos);
  std::string gjson = kJobSet;
  gjson.replace(gjson.find("status.[@this]"), 14, "status.[@that]");
  auto unread = FromKatib(kKatibHead + gjson);
  REQUIRE_FALSE(unread);
  CHECK(unread.error().message.find("k.yaml:11:23: spec.trialTemplate.failureCondition: "
                                    "'status.[@that]") == 0);
  std::string none = kJobSet;
  none.erase(none.find("    successCondition"),
             none.find("    primaryPodLabels") - none.find("    successCondition"));
  auto missing = FromKatib(kKatibHead + none);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("spec.trialTemplate.successCondition: missing: a trialSpec "
                                     "of kind JobSet needs successCondition and "
                                     "failureCondition") != std::string::npos);
}

}  // namespace
}  // namespace gdsweep
