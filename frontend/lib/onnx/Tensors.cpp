//===- Tensors.cpp - TensorProto to HostTensor ----------------------------===//
//
// ONNX stores a tensor's values in one of several places: a typed repeated
// field (float_data, int64_data, ...), little-endian raw_data, or an
// external file named in external_data. Everything is validated against the
// declared dims before use, so that a truncated or inconsistent file is an
// error that names the tensor rather than a read past the end.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"

#include "kiln/Dialect/NN/Shapes.h"

#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnximport;

llvm::StringRef onnximport::elementTypeName(int32_t dataType) {
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
    return "float32";
  case onnx::TensorProto::UINT8:
    return "uint8";
  case onnx::TensorProto::INT8:
    return "int8";
  case onnx::TensorProto::UINT16:
    return "uint16";
  case onnx::TensorProto::INT16:
    return "int16";
  case onnx::TensorProto::INT32:
    return "int32";
  case onnx::TensorProto::INT64:
    return "int64";
  case onnx::TensorProto::STRING:
    return "string";
  case onnx::TensorProto::BOOL:
    return "bool";
  case onnx::TensorProto::FLOAT16:
    return "float16";
  case onnx::TensorProto::DOUBLE:
    return "float64";
  case onnx::TensorProto::UINT32:
    return "uint32";
  case onnx::TensorProto::UINT64:
    return "uint64";
  case onnx::TensorProto::COMPLEX64:
    return "complex64";
  case onnx::TensorProto::COMPLEX128:
    return "complex128";
  case onnx::TensorProto::BFLOAT16:
    return "bfloat16";
  default:
    return "an undefined element type";
  }
}

std::string onnximport::formatShape(llvm::ArrayRef<int64_t> shape) {
  return nn::formatShape(shape);
}

namespace {

/// Where a tensor's bytes live once located.
struct RawBytes {
  llvm::ArrayRef<char> bytes;
  std::shared_ptr<const void> owner;
};

/// Decodes one tensor, reporting problems at `loc`.
class TensorDecoder {
public:
  TensorDecoder(const onnx::TensorProto &proto, llvm::StringRef what,
                llvm::StringRef modelDir,
                const std::shared_ptr<const void> &owner, Location loc)
      : proto(proto), what(what), modelDir(modelDir), owner(owner), loc(loc) {}

  std::shared_ptr<HostTensor> decode();

private:
  InFlightDiagnostic error() { return emitError(loc) << what << " "; }
  std::optional<RawBytes> readExternal();
  template <typename T, typename Field>
  std::shared_ptr<HostTensor> fromField(const Field &field);
  template <typename Stored, typename T>
  std::shared_ptr<HostTensor> fromRaw(const RawBytes &raw,
                                      HostTensor::Kind kind);

  const onnx::TensorProto &proto;
  llvm::StringRef what;
  llvm::StringRef modelDir;
  const std::shared_ptr<const void> &owner;
  Location loc;
  llvm::SmallVector<int64_t, 4> shape;
  int64_t count = 0;
};

} // namespace

/// Reads external data: the file named by `location` under the model's
/// folder, from `offset` for `length` bytes. Paths that leave the folder are
/// refused, as ONNX's own checker does, so a model cannot read arbitrary
/// files.
std::optional<RawBytes> TensorDecoder::readExternal() {
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  for (const onnx::StringStringEntryProto &entry : proto.external_data()) {
    llvm::StringRef key = entry.key(), value = entry.value();
    if (key == "location") {
      location = value.str();
    } else if (key == "offset" || key == "length") {
      uint64_t number;
      if (value.getAsInteger(10, number)) {
        error() << "has external data " << key << " '" << value
                << "', which is not a non-negative integer";
        return std::nullopt;
      }
      if (key == "offset")
        offset = number;
      else
        length = number;
    }
  }
  if (location.empty()) {
    error() << "has external data without a 'location'";
    return std::nullopt;
  }
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(location).split(parts, '/');
  if (llvm::sys::path::is_absolute(location) ||
      llvm::is_contained(parts, "..")) {
    error() << "has its external data at '" << location
            << "'; it must be a relative path inside the model's folder";
    return std::nullopt;
  }
  llvm::SmallString<256> path(modelDir);
  llvm::sys::path::append(path, location);
  // A symbolic link in the folder must not lead out of it either.
  llvm::SmallString<256> realDir, realFile;
  if (!llvm::sys::fs::real_path(modelDir.empty() ? "." : modelDir, realDir) &&
      !llvm::sys::fs::real_path(path, realFile)) {
    llvm::sys::path::append(realDir, "");
    if (!llvm::StringRef(realFile).starts_with(realDir)) {
      error() << "has its external data at '" << location
              << "', which leads to '" << realFile
              << "', outside the model's folder";
      return std::nullopt;
    }
  }
  uint64_t fileSize;
  if (std::error_code ec = llvm::sys::fs::file_size(path, fileSize)) {
    error() << "has its data in '" << path
            << "', which cannot be read: " << ec.message();
    return std::nullopt;
  }
  if (!length) {
    if (offset > fileSize) {
      error() << "has external data at offset " << offset
              << ", past the end of '" << path << "' (" << fileSize
              << " bytes)";
      return std::nullopt;
    }
    length = fileSize - offset;
  }
  if (offset > fileSize || *length > fileSize - offset) {
    error() << "has external data [" << offset << ", " << offset << " + "
            << *length << ") past the end of '" << path << "' (" << fileSize
            << " bytes)";
    return std::nullopt;
  }
  if (*length == 0)
    return RawBytes{{}, nullptr};
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFileSlice(path, *length, offset);
  if (!buffer) {
    error() << "has its data in '" << path
            << "', which cannot be read: " << buffer.getError().message();
    return std::nullopt;
  }
  std::shared_ptr<const llvm::MemoryBuffer> mapped = std::move(*buffer);
  llvm::ArrayRef<char> bytes(mapped->getBufferStart(), mapped->getBufferSize());
  return RawBytes{bytes, std::move(mapped)};
}

template <typename T, typename Field>
std::shared_ptr<HostTensor> TensorDecoder::fromField(const Field &field) {
  if (field.size() != count) {
    error() << "declares shape " << formatShape(shape) << " (" << count
            << " values) but holds " << field.size();
    return nullptr;
  }
  std::vector<T> values(field.begin(), field.end());
  if constexpr (std::is_same_v<T, float>)
    return HostTensor::fromFloats(proto.name(), shape, std::move(values));
  else
    return HostTensor::fromInts(proto.name(), shape, std::move(values));
}

template <typename Stored, typename T>
std::shared_ptr<HostTensor> TensorDecoder::fromRaw(const RawBytes &raw,
                                                   HostTensor::Kind kind) {
  uint64_t expected = (uint64_t)count * sizeof(Stored);
  if (raw.bytes.size() != expected) {
    error() << "declares shape " << formatShape(shape) << " (" << expected
            << " bytes of " << elementTypeName(proto.data_type())
            << ") but holds " << raw.bytes.size() << " bytes";
    return nullptr;
  }
  // Float32 and int64 data already in the host's layout is viewed in place;
  // anything else (narrower integers, a misaligned buffer, a big-endian
  // host) is converted into a new buffer.
  bool aligned =
      reinterpret_cast<uintptr_t>(raw.bytes.data()) % alignof(Stored) == 0;
  if (std::is_same_v<Stored, T> && aligned && llvm::sys::IsLittleEndianHost)
    return std::make_shared<HostTensor>(proto.name(), kind, shape,
                                        raw.bytes.data(), raw.owner);
  std::vector<T> values(count);
  for (int64_t i = 0; i < count; ++i) {
    Stored value =
        llvm::support::endian::read<Stored, llvm::endianness::little>(
            raw.bytes.data() + i * sizeof(Stored));
    values[i] = static_cast<T>(value);
  }
  if constexpr (std::is_same_v<T, float>)
    return HostTensor::fromFloats(proto.name(), shape, std::move(values));
  else
    return HostTensor::fromInts(proto.name(), shape, std::move(values));
}

std::shared_ptr<HostTensor> TensorDecoder::decode() {
  for (int64_t dim : proto.dims()) {
    if (dim < 0) {
      error() << "has a negative dimension " << dim;
      return nullptr;
    }
    shape.push_back(dim);
  }
  std::optional<int64_t> elements = nn::checkedElementCount(shape);
  if (!elements) {
    error() << "has shape " << formatShape(shape)
            << ", too large: tensors are limited to 2^40 bytes";
    return nullptr;
  }
  count = *elements;

  std::optional<RawBytes> raw;
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    raw = readExternal();
    if (!raw)
      return nullptr;
  } else if (proto.has_raw_data()) {
    const std::string &data = proto.raw_data();
    raw = RawBytes{{data.data(), data.size()}, owner};
  }

  using Kind = HostTensor::Kind;
  switch (proto.data_type()) {
  case onnx::TensorProto::FLOAT:
    return raw ? fromRaw<float, float>(*raw, Kind::Float)
               : fromField<float>(proto.float_data());
  case onnx::TensorProto::INT64:
    return raw ? fromRaw<int64_t, int64_t>(*raw, Kind::Int)
               : fromField<int64_t>(proto.int64_data());
  // Shapes and flags stored narrower than int64 are widened.
  case onnx::TensorProto::INT32:
    return raw ? fromRaw<int32_t, int64_t>(*raw, Kind::Int)
               : fromField<int64_t>(proto.int32_data());
  case onnx::TensorProto::BOOL:
    return raw ? fromRaw<uint8_t, int64_t>(*raw, Kind::Int)
               : fromField<int64_t>(proto.int32_data());
  default:
    error() << "has element type " << elementTypeName(proto.data_type())
            << "; Kiln reads float32 tensors (and int64, int32 or bool "
               "for shapes and flags)";
    return nullptr;
  }
}

std::shared_ptr<HostTensor>
onnximport::decodeTensor(const onnx::TensorProto &proto, llvm::StringRef what,
                         llvm::StringRef modelDir,
                         const std::shared_ptr<const void> &owner,
                         Location loc) {
  return TensorDecoder(proto, what, modelDir, owner, loc).decode();
}
