#!/usr/bin/env bash
# Fails when any C++ file differs from what clang-format makes of it (.clang-format at the root).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(find common services tests \( -name '*.cpp' -o -name '*.h' \) | sort)
if ! clang-format --dry-run --Werror "${files[@]}"; then
  echo "format: the files above differ from clang-format's output; run 'make format'" >&2
  exit 1
fi
echo "format: ${#files[@]} files match clang-format"
