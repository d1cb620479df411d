#!/bin/bash
# extract-vmlinux.sh BZIMAGE OUT: write the uncompressed vmlinux (ELF) inside
# a Linux x86 bzImage to OUT. The payload is located through the setup
# header (payload_offset/payload_length, boot protocol >= 2.08), its format
# found by its magic (xz, zstd, gzip, bzip2, lz4, lzma) and decompressed with
# the standard tool. Exits non-zero with a message if anything is off.
set -euo pipefail

die() { echo "extract-vmlinux: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: extract-vmlinux.sh BZIMAGE OUT"
img=$1 out=$2
[ -r "$img" ] || die "$img: cannot read"

# le_uint OFFSET SIZE: little-endian unsigned integer from the image.
le_uint() { od -An -tu"$2" -j "$1" -N "$2" --endian=little "$img" | tr -d ' '; }

[ "$(od -An -c -j 514 -N 4 "$img" | tr -d ' ')" = "HdrS" ] ||
	die "$img: not a bzImage (no HdrS magic at 0x202)"
version=$(le_uint 518 2)
[ "$version" -ge $((0x208)) ] || die "$img: boot protocol $(printf %x "$version") has no payload fields (need >= 2.08)"
setup_sects=$(le_uint 497 1)
[ "$setup_sects" -ne 0 ] || setup_sects=4
payload_offset=$(le_uint 584 4)
payload_length=$(le_uint 588 4)
start=$(((setup_sects + 1) * 512 + payload_offset))
size=$(stat -c %s "$img")
[ $((start + payload_length)) -le "$size" ] || die "$img: payload [$start, +$payload_length) beyond the file ($size bytes)"

tmp=$(mktemp "${TMPDIR:-/tmp}/extract-vmlinux.XXXXXX")
trap 'rm -f "$tmp"' EXIT
dd if="$img" of="$tmp" bs=64K iflag=skip_bytes,count_bytes skip="$start" count="$payload_length" status=none

magic=$(od -An -tx1 -N 6 "$tmp" | tr -d ' ')
case $magic in
fd377a585a00*) tool=(xz -dc --single-stream) ;;
28b52ffd*) tool=(zstd -dcq) ;;
1f8b*) tool=(gzip -dc) ;;
425a68*) tool=(bzip2 -dc) ;;
02214c18*) tool=(lz4 -dc) ;;
5d0000*) tool=(xz -dc --format=lzma) ;;
*) die "$img: unknown payload format (magic $magic)" ;;
esac
command -v "${tool[0]}" >/dev/null || die "${tool[0]} is not installed (needed for this kernel's payload)"
# The build appends the uncompressed size (4 bytes) after the stream; some
# tools call that trailing garbage and exit non-zero although the output is
# complete, so the result is judged by its ELF header instead.
"${tool[@]}" <"$tmp" >"$out" 2>/dev/null || true
[ "$(od -An -c -N 4 "$out" | tr -d ' ')" = "177ELF" ] ||
	die "$img: decompressing the payload with ${tool[0]} did not produce an ELF file"
