// Layering probe (tests/layering/check.sh): tensor/ must not see autograd/, so this must not compile.
#include "autograd/ops.h"
int tensor_probe_upward() { return 1; }
