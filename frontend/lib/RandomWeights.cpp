//===- RandomWeights.cpp - Seeded weights with PyTorch's init ranges -------===//
#include "kiln/Frontend/Weights.h"

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
    AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
        count * sizeof(float), alignof(float), /*dataIsMutable=*/true);
    MutableArrayRef<float> values(
        reinterpret_cast<float *>(blob.getMutableData().data()), count);
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
