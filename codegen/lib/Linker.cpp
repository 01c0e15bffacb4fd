//===- Linker.cpp - Link a model object into an executable ----------------===//

#include "kiln/Codegen/Linker.h"
#include "kiln/Codegen/ObjectEmitter.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <cstdlib>
#include <optional>

// A sanitizer build links host executables with the compiler and the
// -fsanitize flags that built its runtime (see codegen/CMakeLists.txt).
#ifndef KILN_HOST_LINKER
#define KILN_HOST_LINKER "cc"
#endif

// The folder of the LLVM tools Kiln was built with, where lld's `ld.lld`
// lives when it is installed (codegen/CMakeLists.txt).
#ifndef KILN_LLVM_TOOLS_DIR
#define KILN_LLVM_TOOLS_DIR ""
#endif

extern char **environ;

namespace kiln {

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string getLinkerDriverName(const TargetOptions &target) {
  if (target.triple.empty())
    return KILN_HOST_LINKER;
  llvm::Triple triple(llvm::Triple::normalize(target.triple));
  llvm::Triple host(llvm::sys::getProcessTriple());
  if (triple.getArch() == host.getArch() && triple.getOS() == host.getOS())
    return KILN_HOST_LINKER;
  // Debian's cross compilers: aarch64-linux-gnu-gcc, riscv64-linux-gnu-gcc.
  std::string name =
      triple.getArchName().str() + "-" + triple.getOSName().str();
  if (!triple.getEnvironmentName().empty())
    name += "-" + triple.getEnvironmentName().str();
  return name + "-gcc";
}

std::string getTargetRuntimeDir(llvm::StringRef runtimeDir,
                                const TargetOptions &target) {
  std::string driver = getLinkerDriverName(target);
  if (driver == KILN_HOST_LINKER)
    return runtimeDir.str();
  // The cross runtime lies in a folder named like the cross compiler.
  llvm::SmallString<256> dir(runtimeDir);
  llvm::sys::path::append(dir, llvm::StringRef(driver).drop_back(4));
  return std::string(dir);
}

/// lld from the LLVM Kiln was built with, or "" where it is not installed
/// or KILN_LINKER=default asks for the driver's own linker.
static std::string findLLD() {
  if (const char *choice = std::getenv("KILN_LINKER");
      choice && llvm::StringRef(choice) == "default")
    return "";
  llvm::SmallString<256> lld(KILN_LLVM_TOOLS_DIR);
  if (lld.empty())
    return "";
  llvm::sys::path::append(lld, "ld.lld");
  if (!llvm::sys::fs::can_execute(lld))
    return "";
  return std::string(lld);
}

/// Runs the C compiler driver for `target` with `inputs` (checked to exist)
/// and `flags`, writing `outputPath`. The driver links with lld when the
/// LLVM Kiln was built with has it: a model's weights make objects of
/// hundreds of megabytes, which GNU ld copies and then reads again to hash
/// its build ID (VGG-16, 696 MB: 3.5-4.2 s against lld's 1.0-1.7 s).
static llvm::Error runLinker(llvm::ArrayRef<llvm::StringRef> inputs,
                             llvm::ArrayRef<llvm::StringRef> flags,
                             llvm::StringRef outputPath,
                             const TargetOptions &target) {
  std::string driverName = getLinkerDriverName(target);
  llvm::ErrorOr<std::string> driver = llvm::sys::findProgramByName(driverName);
  if (!driver)
    return makeError("cannot find the C compiler driver '" + driverName +
                     "' to link with");
  for (llvm::StringRef input : inputs)
    if (!llvm::sys::fs::exists(input))
      return makeError("cannot link: '" + input + "' does not exist");

  llvm::SmallVector<llvm::StringRef> args = {*driver, "-o", outputPath};
  llvm::append_range(args, inputs);
  llvm::append_range(args, flags);
#ifdef KILN_HOST_LINK_FLAGS
  if (driverName == KILN_HOST_LINKER)
    args.push_back(KILN_HOST_LINK_FLAGS);
#endif

  // gcc finds `ld.lld` for -fuse-ld=lld through COMPILER_PATH (after its
  // own folders), clang likewise; the rest of the environment is passed on.
  std::optional<llvm::ArrayRef<llvm::StringRef>> environment;
  llvm::SmallVector<llvm::StringRef> environmentStorage;
  std::string compilerPath;
  std::string lld = findLLD();
  if (!lld.empty()) {
    args.push_back("-fuse-ld=lld");
    compilerPath = "COMPILER_PATH=" + llvm::sys::path::parent_path(lld).str();
    for (char **entry = environ; *entry; ++entry) {
      llvm::StringRef variable(*entry);
      if (variable.consume_front("COMPILER_PATH="))
        compilerPath += (":" + variable).str();
      else
        environmentStorage.push_back(*entry);
    }
    environmentStorage.push_back(compilerPath);
    environment = environmentStorage;
  }

  // Capture the linker's messages for the error.
  llvm::SmallString<128> errorsPath;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("kiln-link", "txt", errorsPath))
    return makeError("cannot create a temporary file: " + ec.message());
  llvm::FileRemover removeErrors(errorsPath);
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, std::nullopt,
                                                llvm::StringRef(errorsPath)};
  std::string message;
  int status = llvm::sys::ExecuteAndWait(*driver, args, environment, redirects,
                                         /*SecondsToWait=*/0,
                                         /*MemoryLimit=*/0, &message);
  if (status == 0)
    return llvm::Error::success();

  std::string command = llvm::join(args, " ");
  std::string output;
  if (auto buffer = llvm::MemoryBuffer::getFile(errorsPath))
    output = (*buffer)->getBuffer().rtrim().str();
  if (status < 0)
    return makeError("cannot run '" + command + "': " + message);
  return makeError("linking failed (exit status " + llvm::Twine(status) +
                   "): " + command + (output.empty() ? "" : "\n" + output));
}

llvm::Error linkExecutable(llvm::ArrayRef<std::string> objectPaths,
                           llvm::StringRef outputPath,
                           llvm::StringRef runtimeDir,
                           const TargetOptions &target) {
  llvm::SmallString<256> mainObject(runtimeDir), runtimeLibrary(runtimeDir);
  llvm::sys::path::append(mainObject, "kiln_main.o");
  llvm::sys::path::append(runtimeLibrary, "libkiln_runtime.a");
  llvm::SmallVector<llvm::StringRef> inputs(objectPaths.begin(),
                                            objectPaths.end());
  inputs.append({mainObject, runtimeLibrary});
  return runLinker(inputs, {"-lm", "-pthread"}, outputPath, target);
}

llvm::Error linkSharedLibrary(llvm::ArrayRef<std::string> objectPaths,
                              llvm::StringRef outputPath,
                              llvm::StringRef soname,
                              llvm::StringRef exportPrefix,
                              llvm::StringRef runtimeDir,
                              const TargetOptions &target) {
  llvm::SmallString<256> runtimeLibrary(runtimeDir);
  llvm::sys::path::append(runtimeLibrary, "libkiln_embed.a");

  // Export only the prefixed API: the runtime's symbols stay private to each
  // library, so two model libraries (or an OpenMP runtime) never collide.
  llvm::SmallString<128> scriptPath;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("kiln-exports", "map", scriptPath))
    return makeError("cannot create a temporary file: " + ec.message());
  llvm::FileRemover removeScript(scriptPath);
  {
    std::error_code ec;
    llvm::raw_fd_ostream script(scriptPath, ec);
    if (ec)
      return makeError("cannot write '" + scriptPath + "': " + ec.message());
    script << "{\n  global: " << exportPrefix << "_*;\n  local: *;\n};\n";
  }
  std::string versionScript = ("-Wl,--version-script=" + scriptPath).str();
  std::string sonameFlag = ("-Wl,-soname," + soname).str();
  llvm::SmallVector<llvm::StringRef> inputs(objectPaths.begin(),
                                            objectPaths.end());
  inputs.push_back(runtimeLibrary);
  return runLinker(
      inputs,
      {"-shared", sonameFlag, versionScript, "-Wl,-z,defs", "-lm", "-pthread"},
      outputPath, target);
}

} // namespace kiln
