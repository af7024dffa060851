#!/usr/bin/env bash
# Fails when a tracked C/C++ source is not formatted as .clang-format says; lists the files and
# the command that fixes them. `scripts/check_format.sh --fix` (make format) applies the format.
# Generated code lives in build directories and is not tracked; nothing third-party is vendored.
set -euo pipefail
cd "$(dirname "$0")/.."

clang_format="${CLANG_FORMAT:-clang-format}"
command -v "$clang_format" >/dev/null || {
  echo "check_format: $clang_format not found (scripts/setup.sh installs it)" >&2
  exit 2
}

# Tracked files and new ones not yet added (not ignored: build directories are).
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.h' '*.cc' '*.c' \
                     ':!:third_party/**' ':!:**/gen/**' | sort -u)
[ ${#files[@]} -eq 0 ] && exit 0

if [ "${1:-}" = "--fix" ]; then
  printf '%s\0' "${files[@]}" | xargs -0 -n 16 -P 2 "$clang_format" -i
  exit 0
fi

bad=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue  # deleted in the work tree, not yet in the index
  "$clang_format" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -ne 0 ]; then
  echo "check_format: ${#bad[@]} file(s) not formatted as .clang-format says:" >&2
  printf '  %s\n' "${bad[@]}" >&2
  echo "fix: make format   (or: $clang_format -i ${bad[*]})" >&2
  exit 1
fi
echo "check_format: ${#files[@]} files formatted"
