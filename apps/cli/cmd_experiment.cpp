// easel experiment STUDY.json [--out DIR] [--tiny] [--trials N] [--weights-dir DIR] [--quiet]
//   runs (or resumes) a study and writes its table; see apps/experiment.h for the file format.
#include "apps/cli/args.h"
#include "apps/cli/commands.h"
#include "apps/study/experiment.h"
#include "tensor/error.h"

namespace easel {

int cmd_experiment(int argc, char** argv) {
  const Args a(argc, argv, 2, {"out", "trials", "weights-dir"}, {"tiny", "quiet"});
  EASEL_CHECK(a.positional().size() == 1, "experiment: give one study file (experiments/*.json), got ", a.positional().size());
  ExperimentOptions o;
  o.file = a.positional()[0];
  o.out = a.get("out", "");
  o.weights_dir = a.get("weights-dir", "");
  o.tiny = a.has("tiny");
  o.trials = a.get_int("trials", 0);
  o.quiet = a.has("quiet");
  run_experiment(o);
  return 0;
}

}  // namespace easel
