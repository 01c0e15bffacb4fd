//===- Safetensors.cpp - Read parameters from safetensors -----------------===//
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
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstring>

using namespace mlir;
using namespace kiln::frontend;
using kiln::nn::formatShape;

namespace {

/// Unsupported dtypes are only an error for a tensor the model uses, where
/// it can be reported at the layer (an unused one is reported as extra).
enum class DType { F32, F16, BF16, Unsupported };

struct TensorEntry {
  DType dtype;
  std::string dtypeName;
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
    if (entry.dtype == DType::Unsupported) {
      emitError(loc) << "tensor '" << name << "' in weights file '" << path
                     << "' has dtype " << entry.dtypeName
                     << "; Kiln reads F32, F16 and BF16";
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
    size_t count = entry.bytes.size() / elementSize(entry.dtypeName);
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
        uint32_t bits = (uint32_t)llvm::support::endian::read16le(in + 2 * i)
                        << 16;
        std::memcpy(&out[i], &bits, 4);
        break;
      }
      case DType::Unsupported:
        llvm_unreachable("rejected above");
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

  /// Bytes per element of a safetensors dtype; 0 for names it does not know.
  static size_t elementSize(StringRef dtypeName) {
    return llvm::StringSwitch<size_t>(dtypeName)
        .Cases({"F64", "I64", "U64"}, 8)
        .Cases({"F32", "I32", "U32"}, 4)
        .Cases({"F16", "BF16", "I16", "U16"}, 2)
        .Cases({"I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2"}, 1)
        .Default(0);
  }

private:
  std::string path;
  std::shared_ptr<llvm::MemoryBuffer> buffer;
  llvm::StringMap<TensorEntry> tensors;
};

/// How deeply a safetensors header may nest. A real header nests 3 levels
/// (the root, a tensor's entry, its shape); llvm::json::parse recurses once
/// per level, so a hostile header of a million '[' would overflow the stack.
constexpr unsigned kMaxHeaderNesting = 16;

/// Returns whether the JSON text `header` nests arrays and objects deeper
/// than kMaxHeaderNesting, skipping brackets inside strings.
bool nestsTooDeeply(StringRef header) {
  unsigned depth = 0;
  bool inString = false;
  // `i < e`, not `i != e`: a backslash that ends the header skips past it.
  for (size_t i = 0, e = header.size(); i < e; ++i) {
    char c = header[i];
    if (inString) {
      if (c == '\\')
        ++i; // Skip the escaped character.
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxHeaderNesting)
        return true;
    } else if ((c == ']' || c == '}') && depth) {
      --depth;
    }
  }
  return false;
}

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
    return fileError(path,
                     "cannot read weights file: " + file.getError().message());
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
  if (nestsTooDeeply(header))
    return fileError(path, "malformed safetensors header: JSON nested deeper "
                           "than " +
                               llvm::Twine(kMaxHeaderNesting) + " levels");
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
    entry.dtypeName = dtypeName->str();
    entry.dtype = llvm::StringSwitch<DType>(*dtypeName)
                      .Case("F32", DType::F32)
                      .Case("F16", DType::F16)
                      .Case("BF16", DType::BF16)
                      .Default(DType::Unsupported);
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
    size_t elementSize = SafetensorsFile::elementSize(entry.dtypeName);
    std::optional<int64_t> count = nn::checkedElementCount(entry.shape);
    std::optional<int64_t> bytes =
        count ? llvm::checkedMul<int64_t>(*count, elementSize) : std::nullopt;
    if (!bytes)
      return bad("shape " + formatShape(entry.shape) + " is too large");
    // The size of a dtype Kiln does not know cannot be checked.
    if (elementSize != 0 && *bytes != *end - *begin)
      return bad("shape " + formatShape(entry.shape) + " of " + *dtypeName +
                 " needs " + llvm::Twine(*bytes) +
                 " bytes but data_offsets "
                 "span " +
                 llvm::Twine(*end - *begin));
    entry.bytes = ArrayRef<char>(data.data() + *begin, *end - *begin);
    tensors[name] = std::move(entry);
  }
  return std::make_unique<SafetensorsFile>(path.str(), std::move(buffer),
                                           std::move(tensors));
}
