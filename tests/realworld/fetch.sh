#!/usr/bin/env bash
# Vendors the real-world corpus: every set under tests/realworld/sets/ is a dummy package whose
# pinned dependencies (and committed Cargo.lock) name the crates to lint. `cargo vendor` fetches
# exactly those versions into OUT/<set>/<crate>-<version>/. Needs only cargo (and crates.io).
#
#   tests/realworld/fetch.sh [OUT [SET...]]   (default OUT: target/realworld under the repo root;
#                                              default: every set)
#
# A set already vendored from the same Cargo.lock is skipped; one whose Cargo.lock changed since
# is vendored again.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/target/realworld}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

shift || true
if [ "$#" -gt 0 ]; then
    set_dirs=()
    for name in "$@"; do set_dirs+=("$here/sets/$name/"); done
else
    set_dirs=("$here"/sets/*/)
fi

for set_dir in "${set_dirs[@]}"; do
    set_name="$(basename "$set_dir")"
    [ -f "$set_dir/Cargo.lock" ] || { echo "realworld: $set_dir has no Cargo.lock" >&2; exit 1; }
    dest="$out/$set_name"
    stamp="$(cksum < "$set_dir/Cargo.lock")"
    if [ -f "$dest/.complete" ] && [ "$(cat "$dest/.complete")" = "$stamp" ]; then
        echo "realworld: $set_name already vendored in $dest" >&2
        continue
    fi
    rm -rf "$dest" "$dest.partial"
    echo "realworld: vendoring $set_name into $dest" >&2
    # Bin-only crates (dufs, miniserve) make cargo warn "ignoring invalid dependency ... missing a
    # lib target"; they are still locked and vendored, which is all we need.
    cargo vendor --quiet --versioned-dirs --locked \
        --manifest-path "$set_dir/Cargo.toml" "$dest.partial" >/dev/null
    printf '%s' "$stamp" > "$dest.partial/.complete"
    mv "$dest.partial" "$dest"
done
