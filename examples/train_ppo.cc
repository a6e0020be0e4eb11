// train_ppo: trains a policy with PPO. Flags: examples/train_cli.h, or --help.
#include "examples/train_main.h"

int main(int argc, char** argv) { return rl::train_ppo_main(argc, argv); }
