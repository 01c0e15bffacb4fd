//===- Safetensors.cpp - Read parameters from a safetensors file -----------===//
//
// Format: an 8-byte little-endian header length N, N bytes of JSON mapping
// each tensor name to {dtype, shape, data_offsets: [begin, end]} (offsets
// relative to the end of the header), then the data. The file is mapped, and
// aligned F32 tensors are handed to MLIR in place.
//
//===----------------------------------------------------------------------===//
#include "kiln/Dialect/NN/Shapes.h"
#include "kiln/Frontend/Weights.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstring>

using namespace mlir;
using namespace kiln::frontend;
using kiln::nn::formatShape;

namespace {

enum class DType { F32, F16, BF16 };

struct TensorEntry {
  DType dtype;
  SmallVector<int64_t, 4> shape;
  ArrayRef<char> bytes;
  bool used = false;
};

float halfToFloat(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31;
  uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13); // Inf or NaN.
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign; // Zero.
  } else {
    // Subnormal half: normalise it.
    int shift = 0;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      ++shift;
    }
    bits = sign | ((113 - shift) << 23) | ((mantissa & 0x3ff) << 13);
  }
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

class SafetensorsFile : public WeightProvider {
public:
  SafetensorsFile(std::string path, std::shared_ptr<llvm::MemoryBuffer> buffer,
                  llvm::StringMap<TensorEntry> tensors)
      : path(std::move(path)), buffer(std::move(buffer)),
        tensors(std::move(tensors)) {}

  std::optional<AsmResourceBlob> get(StringRef name, ArrayRef<int64_t> shape,
                                     const ParamInit &, Location loc) override {
    auto it = tensors.find(name);
    if (it == tensors.end()) {
      emitError(loc) << "weights file '" << path << "' has no tensor '" << name
                     << "' (expected shape " << formatShape(shape) << ")";
      return std::nullopt;
    }
    TensorEntry &entry = it->second;
    entry.used = true;
    if (ArrayRef<int64_t>(entry.shape) != shape) {
      emitError(loc) << "tensor '" << name << "' in weights file '" << path
                     << "' has shape " << formatShape(entry.shape)
                     << ", expected " << formatShape(shape);
      return std::nullopt;
    }
    if (entry.dtype == DType::F32 &&
        reinterpret_cast<uintptr_t>(entry.bytes.data()) % alignof(float) == 0) {
      // Reference the mapped file; the blob keeps the mapping alive.
      std::shared_ptr<llvm::MemoryBuffer> keepAlive = buffer;
      return UnmanagedAsmResourceBlob::allocateWithAlign(
          entry.bytes, alignof(float),
          [keepAlive](void *, size_t, size_t) mutable { keepAlive.reset(); });
    }
    size_t count = entry.bytes.size() / elementSize(entry.dtype);
    AsmResourceBlob blob =
        HeapAsmResourceBlob::allocate(count * sizeof(float), alignof(float));
    float *out = reinterpret_cast<float *>(blob.getMutableData().data());
    const char *in = entry.bytes.data();
    for (size_t i = 0; i < count; ++i) {
      switch (entry.dtype) {
      case DType::F32:
        std::memcpy(&out[i], in + 4 * i, 4);
        break;
      case DType::F16:
        out[i] = halfToFloat(llvm::support::endian::read16le(in + 2 * i));
        break;
      case DType::BF16: {
        uint32_t bits =
            (uint32_t)llvm::support::endian::read16le(in + 2 * i) << 16;
        std::memcpy(&out[i], &bits, 4);
        break;
      }
      }
    }
    return blob;
  }

  LogicalResult finish(Location loc) override {
    SmallVector<std::string> unused;
    for (auto &entry : tensors)
      if (!entry.second.used)
        unused.push_back(entry.first().str() + " (" +
                         formatShape(entry.second.shape) + ")");
    if (unused.empty())
      return success();
    llvm::sort(unused);
    InFlightDiagnostic diag = emitError(loc);
    diag << "weights file '" << path << "' has "
         << (unused.size() == 1 ? "a tensor" : "tensors")
         << " that the model does not use: ";
    llvm::interleaveComma(unused, diag);
    return failure();
  }

  static size_t elementSize(DType dtype) { return dtype == DType::F32 ? 4 : 2; }

private:
  std::string path;
  std::shared_ptr<llvm::MemoryBuffer> buffer;
  llvm::StringMap<TensorEntry> tensors;
};

llvm::Error fileError(StringRef path, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 path + ": " + message);
}

} // namespace

llvm::Expected<std::unique_ptr<WeightProvider>>
kiln::frontend::openSafetensors(StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!file)
    return fileError(path, "cannot read weights file: " +
                               file.getError().message());
  std::shared_ptr<llvm::MemoryBuffer> buffer = std::move(*file);
  StringRef contents = buffer->getBuffer();
  if (contents.size() < 8)
    return fileError(path, "not a safetensors file: shorter than its 8-byte "
                           "header length");
  uint64_t headerSize = llvm::support::endian::read64le(contents.data());
  if (headerSize > contents.size() - 8)
    return fileError(path, "not a safetensors file: header length " +
                               llvm::Twine(headerSize) + " exceeds the file (" +
                               llvm::Twine(contents.size()) + " bytes)");
  StringRef header = contents.substr(8, headerSize);
  StringRef data = contents.substr(8 + headerSize);
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(header);
  if (!json)
    return fileError(path, "malformed safetensors header: " +
                               llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return fileError(path, "malformed safetensors header: not a JSON object");

  llvm::StringMap<TensorEntry> tensors;
  for (const auto &[key, value] : *root) {
    StringRef name = key;
    if (name == "__metadata__")
      continue;
    auto bad = [&](const llvm::Twine &why) {
      return fileError(path, "tensor '" + name + "': " + why);
    };
    const llvm::json::Object *info = value.getAsObject();
    if (!info)
      return bad("header entry is not an object");
    std::optional<StringRef> dtypeName = info->getString("dtype");
    const llvm::json::Array *shape = info->getArray("shape");
    const llvm::json::Array *offsets = info->getArray("data_offsets");
    if (!dtypeName || !shape || !offsets || offsets->size() != 2)
      return bad("header entry needs dtype, shape and data_offsets [begin, "
                 "end]");
    TensorEntry entry;
    if (*dtypeName == "F32")
      entry.dtype = DType::F32;
    else if (*dtypeName == "F16")
      entry.dtype = DType::F16;
    else if (*dtypeName == "BF16")
      entry.dtype = DType::BF16;
    else
      return bad("dtype " + *dtypeName +
                 " is not supported; Kiln reads F32, F16 and BF16");
    for (const llvm::json::Value &dim : *shape) {
      std::optional<int64_t> size = dim.getAsInteger();
      if (!size || *size < 0)
        return bad("shape has an invalid dimension");
      entry.shape.push_back(*size);
    }
    std::optional<int64_t> begin = (*offsets)[0].getAsInteger();
    std::optional<int64_t> end = (*offsets)[1].getAsInteger();
    if (!begin || !end || *begin < 0 || *end < *begin ||
        (uint64_t)*end > data.size())
      return bad("data_offsets are outside the file's " +
                 llvm::Twine(data.size()) + " data bytes");
    std::optional<int64_t> count = nn::checkedElementCount(entry.shape);
    std::optional<int64_t> bytes =
        count ? llvm::checkedMul<int64_t>(
                    *count, SafetensorsFile::elementSize(entry.dtype))
              : std::nullopt;
    if (!bytes)
      return bad("shape " + formatShape(entry.shape) + " is too large");
    if (*bytes != *end - *begin)
      return bad("shape " + formatShape(entry.shape) + " of " + *dtypeName +
                 " needs " + llvm::Twine(*bytes) + " bytes but data_offsets "
                 "span " + llvm::Twine(*end - *begin));
    entry.bytes = ArrayRef<char>(data.data() + *begin, *end - *begin);
    tensors[name] = std::move(entry);
  }
  return std::make_unique<SafetensorsFile>(path.str(), std::move(buffer),
                                           std::move(tensors));
}
