// A shared library without the plugin entry point, for plugin_test.
extern "C" int rl_not_an_entry_point() { return 1; }
