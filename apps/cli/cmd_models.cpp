// easel models [--size 224]: the registry, with parameter counts and multiply-adds per image.
#include <cstdio>

#include "apps/cli/args.h"
#include "apps/cli/commands.h"
#include "autograd/flops.h"
#include "autograd/node.h"
#include "nets/net.h"

namespace easel {

int cmd_models(int argc, char** argv) {
  const Args args(argc, argv, 2, {"size"}, {});
  const int64_t size = args.get_int("size", 224);
  std::printf("%-28s %14s %10s  %s\n", "model", "parameters", "GMACs", "description");
  for (const NetInfo& info : net_registry()) {
    const auto net = info.create(1000);
    net->eval();
    MacCounter counter;
    {
      NoGradGuard ng;
      (*net)(Tensor::zeros({1, 3, size, size}));
    }
    std::printf("%-28s %14lld %10.3f  %s\n", info.name.c_str(), (long long)net->num_parameters(),
                double(counter.macs) / 1e9, info.summary.c_str());
    std::fflush(stdout);
  }
  std::printf("(1000 classes; GMACs = multiply-adds of one %lldx%lld forward pass)\n", (long long)size, (long long)size);
  return 0;
}

}  // namespace easel
