// Anchor of the libtorch precompiled header target (cmake/RlHelpers.cmake).
void rl_torch_pch_anchor() {}
