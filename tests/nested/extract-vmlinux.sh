#!/usr/bin/env bash
# extract-vmlinux.sh BZIMAGE OUT: write the uncompressed ELF vmlinux embedded
# in a Linux bzImage to OUT.  Same approach as the kernel's
# scripts/extract-vmlinux: find each compression magic (xz, zstd, gzip, lzma,
# bzip2, lz4) in the image, decompress from there with standard tools
# ignoring trailing data, and keep the first result that is an ELF file.
set -euo pipefail
die() { echo "extract-vmlinux: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: extract-vmlinux.sh BZIMAGE OUT"
img=$1 out=$2
[ -r "$img" ] || die "cannot read '$img'"
tmp=$(mktemp "${out}.XXXXXX")
trap 'rm -f "$tmp"' EXIT

is_elf() { [ "$(head -c4 "$1" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; }
# try MAGIC_REGEX TOOL...: decompress from every offset where the magic occurs.
try() {
	local magic=$1 off
	shift
	command -v "$1" >/dev/null || return 1
	for off in $(LC_ALL=C grep -aboP "$magic" "$img" | cut -d: -f1); do
		tail -c +$((off + 1)) "$img" | "$@" >"$tmp" 2>/dev/null || true
		if [ -s "$tmp" ] && is_elf "$tmp"; then
			mv "$tmp" "$out"
			echo "extract-vmlinux: $img -> $out ($1 payload at offset $off, $(stat -c %s "$out") bytes)"
			exit 0
		fi
	done
	return 1
}
try '\xFD7zXZ\x00' xz -dc --single-stream ||
	try '\x28\xB5\x2F\xFD' zstd -dc ||
	try '\x1F\x8B\x08' gzip -dc ||
	try '\x5D\x00\x00\x00' xz -dc --format=lzma ||
	try 'BZh' bzip2 -dc ||
	try '\x02\x21\x4C\x18' lz4 -dc ||
	die "no compressed ELF payload found in '$img' (not a bzImage, or an unsupported compression)"
