//===- RandomWeights.cpp - Seeded weights in PyTorch's init ranges --------===//
#include "kiln/Frontend/Weights.h"

#include "mlir/IR/Diagnostics.h"

#include <cstdlib>
#include <random>

using namespace mlir;
using namespace kiln::frontend;

WeightProvider::~WeightProvider() = default;

namespace {

class RandomWeights : public WeightProvider {
public:
  explicit RandomWeights(uint64_t seed) : engine(seed) {}

  std::optional<AsmResourceBlob> get(StringRef name, ArrayRef<int64_t> shape,
                                     const ParamInit &init,
                                     Location loc) override {
    int64_t count = 1;
    for (int64_t dim : shape)
      count *= dim; // The caller checked the size limits.
    // A parameter may legally be up to 2^40 bytes, more than this machine
    // may have. HeapAsmResourceBlob::allocate would abort on failure, so the
    // blob owns malloc'd memory and a failure is reported instead.
    size_t bytes = count * sizeof(float);
    float *data = static_cast<float *>(std::malloc(std::max<size_t>(bytes, 1)));
    if (!data) {
      emitError(loc) << "cannot allocate " << bytes
                     << " bytes for the random weights of '" << name << "'";
      return std::nullopt;
    }
    AsmResourceBlob blob(
        ArrayRef<char>(reinterpret_cast<char *>(data), bytes), alignof(float),
        [](void *data, size_t, size_t) { std::free(data); },
        /*dataIsMutable=*/true);
    MutableArrayRef<float> values(data, count);
    if (init.kind == ParamInit::Kind::Constant) {
      std::fill(values.begin(), values.end(), (float)init.value);
      return blob;
    }
    // Draw in [0, 1) from 24 random bits so the sequence does not depend on
    // the standard library's distribution implementation.
    float bound = (float)init.value;
    for (float &value : values) {
      float unit = (float)(engine() >> 40) * (1.0f / 16777216.0f);
      value = (2.0f * unit - 1.0f) * bound;
    }
    return blob;
  }

private:
  std::mt19937_64 engine;
};

} // namespace

std::unique_ptr<WeightProvider>
kiln::frontend::createRandomWeights(uint64_t seed) {
  return std::make_unique<RandomWeights>(seed);
}
