//===- DataObject.cpp - A model's weights as an object of their own -------===//

#include "kiln/Codegen/DataObject.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/Twine.h"
#include "llvm/BinaryFormat/ELF.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DataLayout.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Alignment.h"
#include "llvm/Support/EndianStream.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Triple.h"

#include <algorithm>

using namespace llvm;

namespace kiln {

/// Every detached symbol starts at least on a cache line.
static constexpr uint64_t kMinDataAlignment = 64;

bool canWriteDataObject(const Triple &triple) {
  return triple.isOSBinFormatELF() && (triple.getArch() == Triple::x86_64 ||
                                       triple.getArch() == Triple::aarch64);
}

std::vector<DetachedData> detachConstantData(Module &module,
                                             uint64_t minBytes) {
  const DataLayout &layout = module.getDataLayout();
  std::vector<DetachedData> detached;
  unsigned anonymous = 0;
  for (GlobalVariable &global : module.globals()) {
    if (!global.isConstant() || !global.hasInitializer() ||
        !global.hasLocalLinkage() || global.hasComdat() ||
        global.hasSection() || global.isThreadLocal())
      continue;
    auto *init = dyn_cast<ConstantDataSequential>(global.getInitializer());
    if (!init)
      continue;
    StringRef bytes = init->getRawDataValues();
    // Vectors of i1 and the like pack differently in memory.
    if (bytes.size() < minBytes ||
        layout.getTypeAllocSize(init->getType()) != bytes.size())
      continue;
    uint64_t alignment = std::max<uint64_t>(
        layout.getPreferredAlign(&global).value(), kMinDataAlignment);
    // The initializer stays alive in the context: LLVM never destroys a
    // ConstantData, used or not.
    global.setInitializer(nullptr);
    global.setLinkage(GlobalValue::ExternalLinkage);
    global.setVisibility(GlobalValue::HiddenVisibility);
    global.setDSOLocal(true);
    global.setAlignment(Align(alignment));
    StringRef name = global.getName();
    global.setName(name.empty() ? "kiln.data.anonymous." + Twine(anonymous++)
                                : "kiln.data." + name);
    detached.push_back({global.getName().str(), bytes, alignment});
  }
  return detached;
}

std::vector<DetachedData> detachConstantData(mlir::ModuleOp module,
                                             uint64_t minBytes) {
  namespace LLVMD = mlir::LLVM;
  std::vector<DetachedData> detached;
  mlir::SymbolTable symbols(module);
  for (auto global :
       llvm::make_early_inc_range(module.getOps<LLVMD::GlobalOp>())) {
    auto value = dyn_cast_or_null<mlir::DenseResourceElementsAttr>(
        global.getValueAttr());
    auto type = dyn_cast<LLVMD::LLVMArrayType>(global.getGlobalType());
    if (!global.getConstant() || !value || !type ||
        !type.getElementType().isInteger(8) ||
        (global.getLinkage() != LLVMD::Linkage::Private &&
         global.getLinkage() != LLVMD::Linkage::Internal) ||
        global.getSection() || global.getComdat() || global.getThreadLocal_())
      continue;
    mlir::AsmResourceBlob *blob = value.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != type.getNumElements() ||
        blob->getData().size() < minBytes)
      continue;
    uint64_t alignment = std::max<uint64_t>(global.getAlignment().value_or(1),
                                            kMinDataAlignment);
    std::string name = ("kiln.data." + global.getSymName()).str();
    for (unsigned suffix = 1; symbols.lookup(name); ++suffix)
      name = ("kiln.data." + global.getSymName() + "." + Twine(suffix)).str();
    if (failed(symbols.rename(global, name)))
      continue;
    global.removeValueAttr();
    global.setLinkage(LLVMD::Linkage::External);
    global.setVisibility_(LLVMD::Visibility::Hidden);
    global.setDsoLocal(true);
    global.setAlignment(alignment);
    ArrayRef<char> bytes = blob->getData();
    detached.push_back(
        {name, StringRef(bytes.data(), bytes.size()), alignment});
  }
  return detached;
}

namespace {

/// The sections of a data object, in their order in the header table.
enum Section : uint16_t {
  kNull,
  kData,
  kNoteStack,
  kSymbols,
  kSymbolNames,
  kSectionNames,
  kSectionCount
};

constexpr uint64_t kHeaderBytes = 64, kSectionHeaderBytes = 64,
                   kSymbolBytes = 24;

/// A string table under construction: "\0" then each name and its "\0".
struct StringTable {
  std::string bytes = std::string(1, '\0');
  uint32_t add(StringRef name) {
    auto offset = uint32_t(bytes.size());
    bytes += name;
    bytes += '\0';
    return offset;
  }
};

struct SectionHeader {
  uint32_t name = 0, type = ELF::SHT_NULL;
  uint64_t flags = 0, offset = 0, size = 0;
  uint32_t link = 0, info = 0;
  uint64_t alignment = 0, entrySize = 0;
};

} // namespace

Error writeDataObject(ArrayRef<DetachedData> data, const Triple &triple,
                      raw_ostream &os) {
  if (!canWriteDataObject(triple))
    return createStringError(inconvertibleErrorCode(),
                             "cannot write a data object for '" + triple.str() +
                                 "'");
  // The data section: each symbol at its alignment, one after another.
  SmallVector<uint64_t> offsets;
  uint64_t dataBytes = 0, dataAlignment = 1;
  for (const DetachedData &entry : data) {
    if (!isPowerOf2_64(entry.alignment))
      return createStringError(inconvertibleErrorCode(),
                               "the alignment of '" + entry.symbol +
                                   "' is not a power of two");
    dataBytes = alignTo(dataBytes, entry.alignment);
    offsets.push_back(dataBytes);
    dataBytes += entry.bytes.size();
    dataAlignment = std::max(dataAlignment, entry.alignment);
  }

  StringTable symbolNames, sectionNames;
  SmallVector<uint32_t> symbolNameOffsets;
  for (const DetachedData &entry : data)
    symbolNameOffsets.push_back(symbolNames.add(entry.symbol));

  // The file: header, data, symbols, names, then the section headers.
  SectionHeader sections[kSectionCount];
  sections[kData] = {sectionNames.add(".rodata"),
                     ELF::SHT_PROGBITS,
                     ELF::SHF_ALLOC,
                     alignTo(kHeaderBytes, dataAlignment),
                     dataBytes,
                     0,
                     0,
                     dataAlignment,
                     0};
  uint64_t end = sections[kData].offset + dataBytes;
  sections[kNoteStack] = {sectionNames.add(".note.GNU-stack"),
                          ELF::SHT_PROGBITS,
                          0,
                          end,
                          0,
                          0,
                          0,
                          1,
                          0};
  // The first global symbol follows the null one.
  sections[kSymbols] = {sectionNames.add(".symtab"),
                        ELF::SHT_SYMTAB,
                        0,
                        alignTo(end, 8),
                        kSymbolBytes * (data.size() + 1),
                        kSymbolNames,
                        1,
                        8,
                        kSymbolBytes};
  end = sections[kSymbols].offset + sections[kSymbols].size;
  sections[kSymbolNames] = {sectionNames.add(".strtab"),
                            ELF::SHT_STRTAB,
                            0,
                            end,
                            symbolNames.bytes.size(),
                            0,
                            0,
                            1,
                            0};
  end += symbolNames.bytes.size();
  uint32_t sectionNamesName = sectionNames.add(".shstrtab");
  sections[kSectionNames] = {sectionNamesName,
                             ELF::SHT_STRTAB,
                             0,
                             end,
                             sectionNames.bytes.size(),
                             0,
                             0,
                             1,
                             0};
  end += sectionNames.bytes.size();
  uint64_t sectionHeadersOffset = alignTo(end, 8);

  support::endian::Writer out(os, endianness::little);
  uint64_t written = 0;
  auto padTo = [&](uint64_t offset) {
    os.write_zeros(offset - written);
    written = offset;
  };

  // ELF header.
  const char ident[ELF::EI_NIDENT] = {0x7f,
                                      'E',
                                      'L',
                                      'F',
                                      ELF::ELFCLASS64,
                                      ELF::ELFDATA2LSB,
                                      ELF::EV_CURRENT,
                                      ELF::ELFOSABI_NONE};
  os.write(ident, sizeof(ident));
  out.write<uint16_t>(ELF::ET_REL);
  out.write<uint16_t>(triple.getArch() == Triple::x86_64 ? ELF::EM_X86_64
                                                         : ELF::EM_AARCH64);
  out.write<uint32_t>(ELF::EV_CURRENT);
  out.write<uint64_t>(0); // e_entry
  out.write<uint64_t>(0); // e_phoff
  out.write<uint64_t>(sectionHeadersOffset);
  out.write<uint32_t>(0); // e_flags
  out.write<uint16_t>(kHeaderBytes);
  out.write<uint16_t>(0); // e_phentsize
  out.write<uint16_t>(0); // e_phnum
  out.write<uint16_t>(kSectionHeaderBytes);
  out.write<uint16_t>(kSectionCount);
  out.write<uint16_t>(kSectionNames);
  written = kHeaderBytes;

  // The data, straight from where it lies.
  for (auto [entry, offset] : llvm::zip_equal(data, offsets)) {
    padTo(sections[kData].offset + offset);
    os << entry.bytes;
    written += entry.bytes.size();
  }

  padTo(sections[kSymbols].offset);
  os.write_zeros(kSymbolBytes); // The null symbol.
  for (auto [entry, offset, name] :
       llvm::zip_equal(data, offsets, symbolNameOffsets)) {
    out.write<uint32_t>(name);
    out.write<uint8_t>(ELF::STB_GLOBAL << 4 | ELF::STT_OBJECT);
    out.write<uint8_t>(ELF::STV_HIDDEN);
    out.write<uint16_t>(kData);
    out.write<uint64_t>(offset);
    out.write<uint64_t>(entry.bytes.size());
  }
  os << symbolNames.bytes << sectionNames.bytes;
  written = end;

  padTo(sectionHeadersOffset);
  for (const SectionHeader &section : sections) {
    out.write<uint32_t>(section.name);
    out.write<uint32_t>(section.type);
    out.write<uint64_t>(section.flags);
    out.write<uint64_t>(0); // sh_addr
    out.write<uint64_t>(section.offset);
    out.write<uint64_t>(section.size);
    out.write<uint32_t>(section.link);
    out.write<uint32_t>(section.info);
    out.write<uint64_t>(section.alignment);
    out.write<uint64_t>(section.entrySize);
  }
  return Error::success();
}

} // namespace kiln
