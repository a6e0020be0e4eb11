// train_appo: trains a policy with APPO (PPO's clipped surrogate on V-trace
// targets, asynchronous). Flags: examples/train_cli.h, or --help.
#include "examples/train_main.h"

int main(int argc, char** argv) { return rl::train_appo_main(argc, argv); }
