// train_impala: trains a policy with IMPALA (V-trace). Flags: examples/train_cli.h, or --help.
#include "examples/train_main.h"

int main(int argc, char** argv) { return rl::train_impala_main(argc, argv); }
