#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The files of data/: the desktop entry (desktop-file-validate), the
# AppStream metainfo (appstreamcli validate --no-net), the GSettings schema
# (glib-compile-schemas --strict) and the icon (an SVG that librsvg, through
# gdk-pixbuf, renders). A missing tool skips its check. TAP output.
set -u
top=${1:?usage: validate-data.sh SOURCE_ROOT}
data="$top/data"
n=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check () {
  local name=$1 tool=$2 package=$3
  shift 3
  n=$((n + 1))
  if ! command -v "$tool" >/dev/null; then
    echo "ok $n - $name # SKIP $tool is missing (Debian package $package)"
  elif out=$("$@" 2>&1); then
    echo "ok $n - $name"
  else
    fail=1
    echo "not ok $n - $name"
    printf '%s\n' "$out" | sed 's/^/# /'
  fi
}

check "desktop entry" desktop-file-validate desktop-file-utils \
  desktop-file-validate "$data/io.github.tsuzuki.Tsuzuki.desktop"
check "AppStream metainfo" appstreamcli appstream \
  appstreamcli validate --no-net --pedantic "$data/io.github.tsuzuki.Tsuzuki.metainfo.xml"
check "GSettings schema" glib-compile-schemas libglib2.0-bin \
  glib-compile-schemas --strict --targetdir="$tmp" "$data"
check "application icon" gdk-pixbuf-csource libgdk-pixbuf2.0-dev \
  gdk-pixbuf-csource --raw "$data/icons/io.github.tsuzuki.Tsuzuki.svg"

echo "1..$n"
exit $fail
