// The easel subcommands, one file each.
#pragma once

namespace easel {

int run_command(int argc, char** argv);  // apps/main.cpp: argv[1] picks the command
int cmd_demo(int argc, char** argv);     // apps/cmd_demo.cpp
int cmd_models(int argc, char** argv);   // apps/cmd_models.cpp
int cmd_summary(int argc, char** argv);  // apps/cmd_inspect.cpp
int cmd_graph(int argc, char** argv);    // apps/cmd_inspect.cpp
int cmd_forward(int argc, char** argv);  // apps/cmd_forward.cpp
int cmd_train(int argc, char** argv);    // apps/cmd_train.cpp
int cmd_eval(int argc, char** argv);     // apps/cmd_train.cpp
int cmd_predict(int argc, char** argv);  // apps/cmd_train.cpp
int cmd_export(int argc, char** argv);   // apps/cmd_train.cpp
int cmd_gradcam(int argc, char** argv);  // apps/cmd_cam.cpp
int cmd_features(int argc, char** argv); // apps/cmd_features.cpp
int cmd_outliers(int argc, char** argv); // apps/cmd_features.cpp
int cmd_calibrate(int argc, char** argv); // apps/cmd_features.cpp
int cmd_svm(int argc, char** argv);      // apps/cmd_svm.cpp
int cmd_featuremaps(int argc, char** argv);  // apps/cmd_analysis.cpp
int cmd_tsne(int argc, char** argv);         // apps/cmd_analysis.cpp
int cmd_branches(int argc, char** argv);     // apps/cmd_analysis.cpp
int cmd_report(int argc, char** argv);       // apps/cmd_analysis.cpp
int cmd_experiment(int argc, char** argv);   // apps/cmd_experiment.cpp
int cmd_bench(int argc, char** argv);        // apps/cmd_bench.cpp
int cmd_serve(int argc, char** argv);        // apps/cmd_serve.cpp

// This process becomes one rank of an mpirun job (train / bench --distributed): MPI up, the
// machine's cores shared between its ranks. apps/cmd_train.cpp
void join_mpi_job();

}  // namespace easel
