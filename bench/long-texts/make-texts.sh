#!/usr/bin/env bash
# The texts of docs/long-texts.md's sweep, rebuilt from Debian packages (bible-kjv, linux-source-6.1,
# fortunes, jargon-text): four texts of about 1.1 MB, each a different kind of running text.
#
#   bash bench/long-texts/make-texts.sh [DIR]      # default DIR: /work/texts
#
# kjv.txt is cut at exactly 1,100,000 bytes (as it was first built); the others at the last whole
# line before 1,100,000 bytes (they hold UTF-8 characters a byte cut could split). A text that
# already exists is left alone: nothing is overwritten; each is written to a temporary file and renamed.
set -euo pipefail
dir="${1:-/work/texts}"
size=1100000
mkdir -p "$dir"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# $1: the text's name; stdin: its full source text; cuts it and moves it into place (never over a file).
keep() {
  local name="$1" cut="${2:-line}"
  # Read the source to its end (cat), so that its writers end normally rather than by SIGPIPE (pipefail).
  { head -c "$size" >"$work/$name.full"; cat >/dev/null; }
  if [[ "$cut" == byte ]]; then mv "$work/$name.full" "$work/$name"; else sed '$d' "$work/$name.full" >"$work/$name"; fi
  if [[ -e "$dir/$name" ]]; then
    if cmp -s "$work/$name" "$dir/$name"; then echo "$dir/$name: already built, identical"; else echo "$dir/$name: exists and differs, left alone (new one not written)"; fi
    return
  fi
  mv "$work/$name" "$dir/$name"
  echo "$dir/$name: $(wc -c <"$dir/$name") bytes"
}

# English prose (archaic): the King James Bible, 72-column lines, verse references stripped.
bible -f -l72 gen1:1-rev22:21 | sed -E 's/^[1-3]?[A-Za-z]+[0-9]+:[0-9]+ //' | keep kjv.txt byte

# C code: the Linux kernel's kernel/ and mm/ .c files, sorted by path, concatenated.
tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$work" --wildcards 'linux-source-6.1/kernel/*.c' 'linux-source-6.1/mm/*.c'
(cd "$work/linux-source-6.1" && find kernel mm -name '*.c' | LC_ALL=C sort | xargs cat) | keep c.txt

# Short documents: every non-offensive fortune file, sorted by name, with their % separators.
find /usr/share/games/fortunes -maxdepth 1 -type f ! -name '*.dat' ! -name '*.u8' | LC_ALL=C sort | xargs cat | keep fortunes.txt

# English prose (a glossary): the Jargon File's lexicon entries (from the first entry to Appendix A).
zcat /usr/share/doc/jargon-text/jargon.txt.gz | sed -n '/^   :(TM):/,/^Appendix A\. Hacker Folklore/p' | sed '$d' | keep jargon.txt
