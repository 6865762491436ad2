#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The translations are complete: every translatable string of the sources
# listed in po/POTFILES.in has a non-fuzzy translation in every language of
# po/LINGUAS, the catalogues compile with format checks, and no source file
# (C, or GtkBuilder .ui) that marks strings for translation is missing from
# POTFILES.in. TAP output.
set -u
top=${1:?usage: check-translations.sh SOURCE_ROOT}
cd "$top"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
fail=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); fail=1; echo "not ok $n - $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/# /'; }

listed=$(grep -v '^#' po/POTFILES.in | sort)
# C sources with _(), N_() or ngettext(), and GtkBuilder files with
# translatable properties (xgettext reads .ui files as Glade by their
# extension).
marked=$({ grep -rlE '\b_\(|\bN_\(|\bngettext \(' src --include='*.c'
           if [ -d ui ]; then grep -rl 'translatable="yes"' ui --include='*.ui'; fi; } | sort)
unlisted=$(comm -13 <(echo "$listed") <(echo "$marked"))
if [ -z "$unlisted" ]; then ok "every file with translatable strings is in POTFILES.in"
else not_ok "files missing from po/POTFILES.in" "$unlisted"; fi

xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --add-comments=TRANSLATORS \
  --package-name=tsuzuki -o "$tmp/tsuzuki.pot" -f po/POTFILES.in --directory=. 2>"$tmp/xgettext.err"
ok "xgettext extracted $(grep -c '^msgid ' "$tmp/tsuzuki.pot") messages"

for lang in $(grep -v '^#' po/LINGUAS); do
  msgmerge --quiet --no-fuzzy-matching -o "$tmp/$lang.po" "po/$lang.po" "$tmp/tsuzuki.pot"
  stats=$(LC_ALL=C msgfmt --check --statistics -o "$tmp/$lang.mo" "$tmp/$lang.po" 2>&1)
  status=$?
  if [ $status -eq 0 ] && ! echo "$stats" | grep -qE 'untranslated|fuzzy'; then
    ok "$lang: $stats"
  else
    not_ok "$lang is incomplete or invalid" "$stats
$(msgattrib --untranslated --no-obsolete "$tmp/$lang.po" | grep '^msgid' | head -20)"
  fi
done

echo "1..$n"
exit $fail
