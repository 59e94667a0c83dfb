#!/usr/bin/env python3
"""Fails when an #include in src/ breaks the layer order of docs/design.md §0.

Layers, bottom to top: common → geometry → models → training → flows → ntk → experiments, with io beside them
(io may include common and geometry; training and everything above may include io). A file may include its own
folder and the folders its layer lists below. Prints one line per offending include (file:line: folder → folder)
and exits 1; exits 0 with a summary when the order holds. Usage: check_layers.py [SRC_DIR]
"""
import pathlib
import re
import sys

ALLOWED = {
    "common": set(),
    "geometry": {"common"},
    "io": {"common", "geometry"},
    "models": {"common", "geometry"},
    "training": {"common", "geometry", "models", "io"},
    "flows": {"common", "geometry", "models", "training", "io"},
    "ntk": {"common", "geometry", "models", "training", "flows", "io"},
    "experiments": {"common", "geometry", "models", "training", "flows", "ntk", "io"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')


def main():
    src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent / "src")
    errors, files = [], 0
    for path in sorted(src.rglob("*")):
        if path.suffix not in {".h", ".cpp", ".inc", ".cuh"} or not path.is_file():
            continue
        folder = path.relative_to(src).parts[0]
        if folder not in ALLOWED:
            errors.append(f"{path}: folder '{folder}' is in no layer; known: {', '.join(ALLOWED)}")
            continue
        files += 1
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = INCLUDE.match(line)
            if match is None or match.group(1) == folder or match.group(1) not in ALLOWED:
                continue
            if match.group(1) not in ALLOWED[folder]:
                errors.append(f"{path}:{number}: {folder} → {match.group(1)} breaks the layer order "
                              f"({folder} may include: {', '.join(sorted(ALLOWED[folder])) or 'nothing else'})")
    for error in errors:
        print(error)
    if errors:
        print(f"check_layers: {len(errors)} include(s) against the layer order")
        return 1
    print(f"check_layers: {files} files, every include follows the layer order")
    return 0


if __name__ == "__main__":
    sys.exit(main())
