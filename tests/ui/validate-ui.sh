#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# gtk4-builder-tool validate on every .ui file of ui/. The tool knows only
# GTK's own types, so files that need libadwaita are skipped here (they are
# instantiated by test-templates instead). TAP output; needs a display.
set -u
top=${1:?usage: validate-ui.sh SOURCE_ROOT}
tool=$(command -v gtk4-builder-tool)
n=0
fail=0
for file in "$top"/ui/*.ui; do
  n=$((n + 1))
  name=${file#"$top"/}
  if [ -z "$tool" ]; then
    echo "ok $n - $name # SKIP gtk4-builder-tool is missing (Debian package libgtk-4-bin)"
  elif grep -q 'lib="libadwaita"' "$file"; then
    echo "ok $n - $name # SKIP uses libadwaita types; built by test-templates"
  elif out=$("$tool" validate "$file" 2>&1) && [ -z "$out" ]; then
    echo "ok $n - $name"
  else
    fail=1
    echo "not ok $n - $name"
    printf '%s\n' "$out" | sed 's/^/# /'
  fi
done
echo "1..$n"
exit $fail
