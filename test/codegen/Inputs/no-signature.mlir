// An LLVM-dialect module whose signature was never recorded.
module {
  llvm.func @forward(%in: !llvm.ptr, %out: !llvm.ptr) {
    llvm.return
  }
}
