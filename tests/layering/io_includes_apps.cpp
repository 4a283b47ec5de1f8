// Layering probe (tests/layering/check.sh): io/ must not see apps/, so this must not compile.
#include "apps/analysis/metrics.h"
int io_probe_upward() { return 1; }
