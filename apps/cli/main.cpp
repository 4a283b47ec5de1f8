// easel: the command-line tool.   easel demo | easel info | easel help
#include <cstdio>
#include <new>
#include <system_error>
#include <cstring>
#include <string>
#include <vector>

#include "apps/cli/args.h"
#include "apps/cli/commands.h"
#include "apps/pictures/font.h"
#include "tensor/cuda/blas.h"
#include "tensor/cuda/nccl.h"
#include "tensor/comm.h"
#include "tensor/cuda/runtime.h"
#include "tensor/gemm.h"
#include "tensor/parallel.h"

using namespace easel;

namespace {

// Each command's usage: `easel help` prints them all, `easel CMD --help` its own, followed by every
// flag the command accepts (from its Args, so the list cannot fall behind the code).
struct CommandUsage {
  const char* name;
  const char* text;
};
const std::vector<CommandUsage>& usages() {
  static const std::vector<CommandUsage> u = {
      {"demo", "  demo [--out DIR] [--data DIR|CSV] [--weights W] [--model NAME] [--quick]   the whole pipeline on generated\n"
               "                                paintings (or your data): train, calibrate, evaluate, SVM head, Grad-CAM, outliers, report\n"},
      {"models", "  models [--size 224]           the model registry: parameter counts and multiply-adds\n"},
      {"summary", "  summary --model NAME [--size 224] [--classes 1000] [--depth 3]\n"
                  "                                the layer table: output shape, parameters, multiply-adds per module call\n"},
      {"graph", "  graph --model NAME [--size 32] [--classes 1000] [--depth K] --out G.dot|G.svg|G.png\n"
                "                                the autograd graph of one training step (forward + cross-entropy): ops,\n"
                "                                shapes, what backward keeps; --depth K folds modules nested deeper than K\n"},
      {"forward", "  forward --model NAME --input IN.npz --output OUT.npz [--weights W] [--classes N]\n"
                  "          [--labels 1,3 --grads G.npz] [--train-mode] [--dtype f64] [--device cuda]\n"
                  "                                one pass of a net (PyTorch parity tool)\n"},
      {"train", "  train --data DIR|CSV --model NAME --out RUN_DIR [options]   train a classifier (easel train --help)\n"},
      {"eval", "  eval --run RUN_DIR [--split test|val|train | --data DIR|CSV] [--eval-aug SPEC|none] [--tta flip] [--group-by COLUMN\n"
               "       [--group-chart PNG]] [--json]\n"
               "                                metrics, confusion matrix; per manifest group: the extended confusion matrix\n"
               "  eval --model NAME --weights W.npz --data DIR|CSV --imagenet-map MAP.json [--size 224]\n"
               "                                zero-shot: the ImageNet head's probabilities pooled onto the data set's classes\n"},
      {"predict", "  predict --run RUN_DIR | --model MODEL.npz [--positive CLASS] IMAGE...   class, probability, top-5\n"},
      {"serve", "  serve --model MODEL.npz [--host 127.0.0.1] [--port 8080] [--max-batch 16] [--batch-wait-ms 5]\n"
                "        [--threads N] [--max-body-mb 20] [--max-megapixels 25] [--api-key-file F]   the classifier over HTTP\n"},
      {"export", "  export --run RUN_DIR [--checkpoint best.npz] --out MODEL.npz   one model file: state_dict weights + metadata\n"
                 "  export --model NAME [--weights W] --classes a,b,..|N [--size 224] --out MODEL.npz   the same for a registry net\n"},
      {"gradcam", "  gradcam --run RUN_DIR [--method gradcam|gradcam++|eigencam] [--layer NAME] [--class C] IMAGE... --out DIR\n"
                  "                                class activation maps as PNG overlays and .npz\n"},
      {"features", "  features --run RUN_DIR|--model NAME --weights W [--layer NAME] [--data DIR|CSV] [--split S] --out F.npz\n"
                   "                                embeddings, labels, probabilities (paths and splits in F.npz.csv)\n"},
      {"svm", "  svm train --features F.npz --out DIR [--kernel rbf|sigmoid|linear|poly] [--C 1] [--gamma G] [--grid] [--cv 3]\n"
              "  svm eval --model DIR --features F.npz [--split test] [--out M.json]   one-vs-rest SVM head (libsvm)\n"},
      {"outliers", "  outliers --run RUN_DIR [--data DIR|CSV] --out DIR            confidence / centroid / Mahalanobis ranking\n"},
      {"featuremaps", "  featuremaps --run RUN_DIR [--layer NAME] [--top 15] IMAGE --out PNG   a layer's strongest channels\n"},
      {"tsne", "  tsne --features F.npz [--perplexity 30] [--max 2000] --out PNG         t-SNE map coloured by class\n"},
      {"branches", "  branches --run RUN_DIR [--data DIR|CSV] [--out JSON]   two-branch nets: ablation, feature / weight norms\n"},
      {"report", "  report --run RUN_DIR [--svm DIR] [--out FILE]   one self-contained HTML page: metrics, curves, CAMs, t-SNE...\n"},
      {"experiment", "  experiment STUDY.json [--out DIR] [--tiny] [--trials N] [--weights-dir DIR] [--quiet]\n"
                     "                                a study: variants x seeded trials, table (mean ± std), charts; resumes\n"},
      {"bench", "  bench --model NAME [--mode infer|train] [--batch 1] [--size 224] [--threads T] [--dtype f32|f64]\n"
                "        [--steps 5] [--warmup 2] [--json] [--profile]   images/s, GFLOP/s, peak RSS; time per op with --profile\n"},
      {"calibrate", "  calibrate --run RUN_DIR                                      temperature scaling on the validation split\n"},
      {"info", "  info                          build configuration: threads, CUDA backend and devices\n"},
      {"help", "  help                          this text; easel CMD --help: one command's usage and flags\n"},
  };
  return u;
}

std::string full_usage() {
  std::string s = "usage: easel <command> [options]\n";
  for (const CommandUsage& c : usages()) s += c.text;
  s += "train, eval, predict, features, outliers and forward take --device cpu|cuda|cuda:N (default cpu).\n"
       "--weights takes a converted .npz, a checkpoint (best.npz) or a run directory.\n";
  return s;
}

// `easel CMD --help`: the command's usage, then the flags it accepts.
int print_command_help(const std::string& cmd, const std::vector<std::string>& flags) {
  for (const CommandUsage& c : usages())
    if (cmd == c.name) std::printf("usage: easel %s", c.text + 2);  // the text without its indent
  if (!flags.empty()) {
    std::printf("\nflags:");
    for (const std::string& f : flags) std::printf("\n  %s", f.c_str());
    std::printf("\n");
  }
  std::printf("\nREADME.md describes each flag; easel help lists every command.\n");
  return 0;
}

}  // namespace

namespace {

int info() {
  std::printf("easel 0.1.0\nCPU threads: %d\n", num_threads());
  std::printf("CPU f32 matrix kernel: %s (chosen at run time; this CPU runs up to %s; EASEL_GEMM=eigen|avx512|avx2|portable forces one)\n",
              gemm_path_name(gemm_path()), gemm_path_name(detect_gemm_path()));
  std::printf("CUDA backend: %s\n", cuda::backend_description());
  std::printf("  %s\n", cuda::versions().c_str());
  const int n = cuda::device_count();
  std::printf("CUDA devices visible: %d\n", n);
  for (int i = 0; i < n; ++i) std::printf("  cuda:%d: %s\n", i, cuda::device_name(i).c_str());
  std::printf("PNG chart text: %s\n", font_description().c_str());
  std::printf("MPI (train --distributed under mpirun): %s\n", mpi_built() ? mpi_library_version().c_str() : "no: this build has none");
  if (cuda::backend() != cuda::Backend::none) {
    std::printf("NCCL (GPU-to-GPU sums of train --distributed): %s\n", cuda::nccl_status().c_str());
    std::printf("TF32 for f32 matrix products and convolutions: %s\n",
                cuda::tf32_enabled() ? "on" : "off (EASEL_TF32=1 turns it on)");
    std::printf("On a CUDA device (forward and backward, in the library): every op of autograd/ops.h,\n"
                "  convolution as im2col + cuBLAS, pooling, batch norm, losses; SGD / Adam / AdamW steps.\n"
                "  train, eval, predict, features, outliers and forward take --device cuda; the rest\n"
                "  (gradcam, calibrate, svm, ...) run on the CPU.\n"
                "  Verified on the simulated device in CI; on a real GPU only where the device suite ran\n"
                "  on one (README).\n");
  }
  return 0;
}

}  // namespace

namespace {

int dispatch(const std::string& cmd, int argc, char** argv) {
  if (cmd == "demo") return cmd_demo(argc, argv);
  if (cmd == "models") return cmd_models(argc, argv);
  if (cmd == "summary") return cmd_summary(argc, argv);
  if (cmd == "graph") return cmd_graph(argc, argv);
  if (cmd == "forward") return cmd_forward(argc, argv);
  if (cmd == "train") return cmd_train(argc, argv);
  if (cmd == "eval") return cmd_eval(argc, argv);
  if (cmd == "predict") return cmd_predict(argc, argv);
  if (cmd == "export") return cmd_export(argc, argv);
  if (cmd == "serve") return cmd_serve(argc, argv);
  if (cmd == "gradcam") return cmd_gradcam(argc, argv);
  if (cmd == "features") return cmd_features(argc, argv);
  if (cmd == "outliers") return cmd_outliers(argc, argv);
  if (cmd == "calibrate") return cmd_calibrate(argc, argv);
  if (cmd == "svm") return cmd_svm(argc, argv);
  if (cmd == "featuremaps") return cmd_featuremaps(argc, argv);
  if (cmd == "tsne") return cmd_tsne(argc, argv);
  if (cmd == "branches") return cmd_branches(argc, argv);
  if (cmd == "report") return cmd_report(argc, argv);
  if (cmd == "experiment") return cmd_experiment(argc, argv);
  if (cmd == "bench") return cmd_bench(argc, argv);
  if (cmd == "info") return info();
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    std::fputs(full_usage().c_str(), stdout);
    return 0;
  }
  std::fprintf(stderr, "easel: unknown command '%s'\n%s", cmd.c_str(), full_usage().c_str());
  return 2;
}

}  // namespace

int easel::run_command(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "help";
  const bool asks_help = argc > 2 && (std::string(argv[2]) == "--help" || std::string(argv[2]) == "-h");
  if (asks_help && (cmd == "info" || cmd == "help")) return print_command_help(cmd, {});
  if (asks_help && cmd == "svm") {
    print_command_help(cmd, {});
    std::printf("`easel svm train --help` and `easel svm eval --help` list each one's flags.\n");
    return 0;
  }
  try {
    return dispatch(cmd, argc, argv);
  } catch (const HelpRequested& h) {  // an Args saw --help: nothing was done yet
    return print_command_help(cmd, h.flags);
  }
}

namespace {
// The message, and in a distributed run the end of every rank (no rank is left waiting for this one).
int fail(const std::string& message) {
  const int ranks = world().size();
  if (ranks == 1) {
    std::fprintf(stderr, "easel: error: %s\n", message.c_str());
    return 1;
  }
  std::fprintf(stderr, "easel: error on rank %d of %d: %s\nending every rank of the run\n", world().rank(), ranks,
               message.c_str());
  world().abort(1);
  return 1;  // not reached
}
}  // namespace

int main(int argc, char** argv) {
  try {
    return run_command(argc, argv);
  } catch (const easel::Error& e) {
    return fail(e.what());
  } catch (const std::bad_alloc&) {
    return fail("out of memory (try a smaller --batch or --size, or fewer --workers)");
  } catch (const std::system_error& e) {  // threads, files: the system's own words, with what failed
    return fail(std::string("the system refused: ") + e.what() + " (error " + std::to_string(e.code().value()) + ")");
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
