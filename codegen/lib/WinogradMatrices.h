//===- WinogradMatrices.h - Transforms of Winograd's F(m, r) ---*- C++ -*-===//
//
// The matrices of Winograd's minimal filtering algorithms that Kiln uses:
// the CPU's Winograd pass (Winograd.cpp) picks among F(2x2, 3x3),
// F(3x3, 3x3), F(4x4, 3x3) and F(2x2, 5x5); the GPU's Winograd kernel
// (GPU/WinogradConvKernel.cpp) uses F(2x2, 3x3).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_WINOGRADMATRICES_H
#define KILN_CODEGEN_WINOGRADMATRICES_H

#include <cstdint>
#include <vector>

namespace kiln::kernels {

/// The matrices of F(m x m, r x r) (Lavin and Gray, "Fast Algorithms for
/// Convolutional Neural Networks", 2016), row-major:
/// Y = A^T [(G g G^T) .* (B^T d B)] A for an r x r filter g and an a x a
/// input tile d, a = m + r - 1.
struct WinogradMatrices {
  int64_t m, r, a;
  std::vector<double> bt; // a x a
  std::vector<double> g;  // a x r
  std::vector<double> at; // m x a
};

/// F(2x2, 3x3), F(3x3, 3x3), F(4x4, 3x3) and F(2x2, 5x5). F(3x3)
/// interpolates at 0, 1, -1, 2 and infinity; the last two at the same points
/// (0, 1, -1, 1/2, -2, infinity, chosen for accuracy), so they share B.
const WinogradMatrices &getWinogradMatrices(int64_t m, int64_t r);

} // namespace kiln::kernels

#endif // KILN_CODEGEN_WINOGRADMATRICES_H
