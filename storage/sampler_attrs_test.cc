// The state samplers keep in the study (TrialRecord::sampler_attrs): stored
// with the new trial in Ask's transaction, read back by every connection, and
// read by Optuna as its own trial system attributes.
#include <doctest/doctest.h>

#include "storage/test_support.h"

namespace gdsweep {
namespace {

using testing::FixedSample;
using testing::OpenOrDie;
using testing::Request;
using testing::SmallStudy;
using testing::TempDir;

}  // namespace

TEST_CASE("a sampler's attributes are stored with its trial and read back by others") {
  TempDir dir;
  const auto path = dir.File("a.db");
  auto a = OpenOrDie(path);
  auto study = a->OpenStudy(SmallStudy());
  REQUIRE(study.ok());
  TrialHistory h;
  const std::map<std::string, std::string> attrs = {{"nsga2:generation", "3"},
                                                    {"gdsweep:cma:state", "{\"v\": [1.5, 2]}"}};
  AskRequest req = Request(study->study_id, "t");
  req.new_trial_attrs = &attrs;
  auto asked = a->Ask(req, h, FixedSample());
  REQUIRE(asked.ok());
  CHECK(asked->trial.sampler_attrs == attrs);
  REQUIRE(h.trials.size() == 1);
  CHECK(h.trials[0].sampler_attrs == attrs);
  // A trial without: none.
  auto plain = a->Ask(Request(study->study_id, "t"), h, FixedSample());
  REQUIRE(plain.ok());
  CHECK(plain->trial.sampler_attrs.empty());
  // A failed trial's fail_reason is a system attribute too, but no sampler's.
  TrialOutcome fail;
  fail.state = TrialState::kFail;
  fail.failure_reason = "boom";
  REQUIRE(a->FinishTrial(asked->trial.trial_id, fail).ok());

  auto b = OpenOrDie(path);
  TrialHistory hb;
  REQUIRE(b->RefreshHistory(study->study_id, hb).ok());
  REQUIRE(hb.trials.size() == 2);
  CHECK(hb.trials[0].sampler_attrs == attrs);
  CHECK(hb.trials[1].sampler_attrs.empty());

#ifdef GDSWEEP_PYTHON
  if (!testing::HavePythonOptuna()) return;
  auto r = testing::RunCommand(
      {GDSWEEP_PYTHON, "-c",
       "import optuna, sys\n"
       "s = optuna.load_study(study_name='s', storage='sqlite:///' + sys.argv[1])\n"
       "a = s.trials[0].system_attrs\n"
       "assert a['nsga2:generation'] == 3, a\n"
       "assert a['gdsweep:cma:state'] == {'v': [1.5, 2]}, a\n"
       "print('ok')\n",
       path});
  CHECK(r.status == 0);
  CHECK(r.out.find("ok") != std::string::npos);
#endif
}

}  // namespace gdsweep
