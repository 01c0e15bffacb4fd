"""Writes safetensors files, good and bad, for the weights tests.

    safetensors.py OUT NAME=DTYPE:SHAPE ... [--metadata] [--header-length N]
                   [--truncate N]
    safetensors.py OUT --raw TEXT
    safetensors.py OUT --header JSON [--data-bytes N]
    safetensors.py OUT --nested N

Each NAME=DTYPE:SHAPE adds a tensor (SHAPE like 6x1x5x5, or "scalar") whose
i-th element is (i % 8) * 0.25 - 1, exact in F32, F16 and BF16, so that one
set of CHECK lines fits all three; NAME=DTYPE:SHAPE:HEX gives its bytes. Any other DTYPE (I64, F64, ...) is written
as zero bytes of its size. --header-length replaces the 8-byte header length,
--truncate cuts the file to N bytes, --raw writes TEXT (with \\xNN escapes)
as the whole file, --metadata adds a "__metadata__" entry as PyTorch's
save_file does, --header writes the header JSON as given (with its true
length) followed by N zero bytes of data, --nested writes a header of N
nested JSON arrays. Uses only the standard library.
"""

import argparse
import json
import struct

SIZES = {"F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4,
         "F16": 2, "BF16": 2, "I16": 2, "U16": 2, "I8": 1, "U8": 1, "BOOL": 1}


def value(i):
    return (i % 8) * 0.25 - 1


def encode(dtype, count):
    if dtype == "F32":
        return b"".join(struct.pack("<f", value(i)) for i in range(count))
    if dtype == "F16":
        return b"".join(struct.pack("<e", value(i)) for i in range(count))
    if dtype == "BF16":
        # The top half of the float32: exact for these values.
        return b"".join(struct.pack("<f", value(i))[2:] for i in range(count))
    return bytes(SIZES.get(dtype, 1) * count)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("tensors", nargs="*")
    parser.add_argument("--header-length", type=int)
    parser.add_argument("--truncate", type=int)
    parser.add_argument("--raw")
    parser.add_argument("--metadata", action="store_true")
    parser.add_argument("--header")
    parser.add_argument("--data-bytes", type=int, default=0)
    parser.add_argument("--nested", type=int)
    args = parser.parse_args()

    if args.nested is not None:
        args.header = '{"a":' + "[" * args.nested + "]" * args.nested + "}"

    if args.header is not None:
        text = args.header.encode()
        with open(args.out, "wb") as f:
            f.write(struct.pack("<Q", len(text)) + text +
                    bytes(args.data_bytes))
        return

    if args.raw is not None:
        with open(args.out, "wb") as f:
            f.write(args.raw.encode("latin-1").decode("unicode_escape")
                    .encode("latin-1"))
        return

    header, blobs, offset = {}, [], 0
    if args.metadata:
        header["__metadata__"] = {"format": "pt"}
    for spec in args.tensors:
        name, rest = spec.split("=", 1)
        dtype, shape_text, *raw = rest.split(":")
        shape = [] if shape_text == "scalar" else \
            [int(d) for d in shape_text.split("x")]
        count = 1
        for d in shape:
            count *= d
        data = bytes.fromhex(raw[0]) if raw else encode(dtype, count)
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    length = len(text) if args.header_length is None else args.header_length
    contents = struct.pack("<Q", length) + text + b"".join(blobs)
    if args.truncate is not None:
        contents = contents[:args.truncate]
    with open(args.out, "wb") as f:
        f.write(contents)


if __name__ == "__main__":
    main()
