// Layering probe (tests/layering/check.sh): the C API stands on the model alone; were it to see the
// analysis, libsvm and the rest of the apps would follow it into libeasel.so and easel-infer.
#include "apps/analysis/metrics.h"
int capi_probe_upward() { return 1; }
