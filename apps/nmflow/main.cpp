// nmflow: the command-line front end. Subcommands are thin: they parse, call the library, and report.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "common/error.h"
#include "common/version.h"

int main(int argc, char** argv) {
  CLI::App app{"nmflow — neural-network metric flows"};
  app.require_subcommand(1);
  auto* info = app.add_subcommand("info", "Print versions, threads and CUDA devices");
  info->callback([] {
    fmt::print("nmflow {} ({})\nLibTorch {}\nCUDA kernels compiled: {}\n", nmflow::version(), nmflow::git_hash(),
               nmflow::torch_version(), nmflow::built_with_cuda() ? "yes" : "no");
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const nmflow::Error& e) {
    fmt::print(stderr, "nmflow: error: {}\n", e.what());
    return 2;
  }
  return 0;
}
