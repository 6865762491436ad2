#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile and broken weight files for test-backbone-hostile.

Usage: make-hostile.py OUTDIR [full]

The small files are committed in tests/fixtures/backbone/ (and serve as
fuzz seeds); this script regenerates them byte for byte. With "full" it
also writes wrong-shape-b0.pt: a complete, valid b0 state dict (10-class
head) in which only features.0.0.weight has the wrong shape.

Pickles that name forbidden globals are written opcode by opcode: pickle
itself would refuse to serialise a call to os.system.
"""
import io
import json
import struct
import sys
import zipfile


def zip_checkpoint(path, pickle_bytes, storages=(), archive="archive"):
    # torch.save's layout: stored (uncompressed) members under one folder.
    # A fixed timestamp keeps the committed files reproducible.
    def member(name):
        return zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))

    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(member(f"{archive}/data.pkl"), pickle_bytes)
        for key, data in storages:
            z.writestr(member(f"{archive}/data/{key}"), data)
        z.writestr(member(f"{archive}/version"), "3\n")


def binunicode(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def short_binunicode(s):
    b = s.encode()
    return b"\x8c" + struct.pack("<B", len(b)) + b


MARKER = "tsuzuki-pickle-marker"


def os_system_pickle():
    # os.system("touch tsuzuki-pickle-marker")
    return (b"\x80\x02" + b"cos\nsystem\n" + binunicode("touch " + MARKER)
            + b"\x85" + b"R" + b".")


def stack_global_eval_pickle():
    # builtins.eval("open('tsuzuki-pickle-marker','w')"), protocol 4 style
    return (b"\x80\x04" + short_binunicode("builtins") + short_binunicode("eval")
            + b"\x93" + short_binunicode(f"open('{MARKER}','w')")
            + b"\x85" + b"R" + b".")


def nested_forbidden_pickle():
    # A plausible state dict whose value is built by subprocess.call, after
    # an allowed OrderedDict: the refusal must not depend on position.
    return (b"\x80\x02" + b"ccollections\nOrderedDict\n" + b")R"
            + binunicode("features.0.0.weight")
            + b"csubprocess\ncall\n" + binunicode("touch " + MARKER) + b"\x85R"
            + b"s.")


def tensor_pickle(entries):
    """entries: (name, storage key, dtype, numel, offset, shape, stride)."""
    out = io.BytesIO()
    out.write(b"\x80\x02" + b"ccollections\nOrderedDict\n" + b")R")
    out.write(b"(")
    for name, key, storage, numel, offset, shape, stride in entries:
        out.write(binunicode(name))
        out.write(b"ctorch._utils\n_rebuild_tensor_v2\n")
        out.write(b"(")
        # persistent id ('storage', torch.FloatStorage, key, 'cpu', numel)
        out.write(b"(" + binunicode("storage") + f"ctorch\n{storage}\n".encode()
                  + binunicode(key) + binunicode("cpu") + b"J" + struct.pack("<i", numel)
                  + b"tQ")
        out.write(b"J" + struct.pack("<i", offset))
        out.write(b"(" + b"".join(b"J" + struct.pack("<i", s) for s in shape) + b"t")
        out.write(b"(" + b"".join(b"J" + struct.pack("<i", s) for s in stride) + b"t")
        out.write(b"\x89" + b"ccollections\nOrderedDict\n" + b")R" + b"t" + b"R")
    out.write(b"u.")
    return out.getvalue()


def small_valid(path):
    pk = tensor_pickle([("features.0.0.weight", "0", "FloatStorage", 864, 0,
                         (32, 3, 3, 3), (27, 9, 3, 1))])
    zip_checkpoint(path, pk, [("0", bytes(864 * 4))])


def write_all(out):
    zip_checkpoint(f"{out}/os-system.pt", os_system_pickle())
    zip_checkpoint(f"{out}/stack-global-eval.pt", stack_global_eval_pickle())
    zip_checkpoint(f"{out}/nested-forbidden.pt", nested_forbidden_pickle())

    # A state dict whose only tensor has the wrong shape.
    pk = tensor_pickle([("features.0.0.weight", "0", "FloatStorage", 864, 0,
                         (32, 3, 3, 3 - 1), (18, 6, 2, 1))])
    zip_checkpoint(f"{out}/wrong-shape-small.pt", pk, [("0", bytes(864 * 4))])

    # A tensor whose stride reaches past its storage.
    pk = tensor_pickle([("features.0.0.weight", "0", "FloatStorage", 864, 0,
                         (32, 3, 3, 3), (28, 9, 3, 1))])
    zip_checkpoint(f"{out}/outside-storage.pt", pk, [("0", bytes(864 * 4))])

    # A storage member shorter than the pickle announces.
    pk = tensor_pickle([("features.0.0.weight", "0", "FloatStorage", 864, 0,
                         (32, 3, 3, 3), (27, 9, 3, 1))])
    zip_checkpoint(f"{out}/short-storage.pt", pk, [("0", bytes(100))])

    # A storage member that is missing.
    zip_checkpoint(f"{out}/missing-storage.pt", pk, [])

    # A valid small checkpoint cut in half.
    small_valid(f"{out}/small-valid.pt")
    with open(f"{out}/small-valid.pt", "rb") as f:
        data = f.read()
    with open(f"{out}/truncated.pt", "wb") as f:
        f.write(data[: len(data) // 2])

    # A pickle cut inside an opcode's argument.
    zip_checkpoint(f"{out}/truncated-pickle.pt", os_system_pickle()[:5])

    # safetensors whose header claims data far past the end of the file.
    header = json.dumps({"features.0.0.weight": {
        "dtype": "F32", "shape": [32, 3, 3, 3], "data_offsets": [0, 3456]}}).encode()
    with open(f"{out}/lying-offsets.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + bytes(64))

    # safetensors whose header length exceeds the file.
    with open(f"{out}/lying-header-length.safetensors", "wb") as f:
        f.write(struct.pack("<Q", 1 << 40) + b"{}")


def write_full(out):
    import torch
    import torchvision

    torch.manual_seed(0)
    state = torchvision.models.efficientnet_b0(num_classes=10).state_dict()
    state["features.0.0.weight"] = torch.zeros(32, 3, 3, 2)
    torch.save(state, f"{out}/wrong-shape-b0.pt")


if __name__ == "__main__":
    write_all(sys.argv[1])
    if len(sys.argv) > 2 and sys.argv[2] == "full":
        write_full(sys.argv[1])
