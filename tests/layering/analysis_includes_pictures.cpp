// Layering probe (tests/layering/check.sh): the analysis returns data and must not see the drawing code.
#include "apps/pictures/plot.h"
int analysis_probe_upward() { return 1; }
