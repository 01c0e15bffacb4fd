// A module without the entry function.
module attributes {kiln.input_shape = array<i64: 4>, kiln.output_shape = array<i64: 4>} {
  llvm.func @main(%in: !llvm.ptr, %out: !llvm.ptr) {
    llvm.return
  }
}
