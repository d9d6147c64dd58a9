#!/usr/bin/env bash
# Fuzz each target for a short while (default 30 s each): a smoke run for optional CI use.
# Needs `cargo install cargo-fuzz`; runs on the stable toolchain via RUSTC_BOOTSTRAP=1.
# Usage: fuzz/smoke.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-30}"
export RUSTC_BOOTSTRAP=1
for target in rule_loader check_source; do
    mkdir -p "corpus/$target"
    case "$target" in
        rule_loader)
            for f in ../rules/*.toml ../fixtures/*/rules/*.toml; do
                [ -f "$f" ] && cp "$f" "corpus/$target/seed-$(basename "$f")"
            done
            for f in ../fixtures/*/statelint.toml; do
                [ -f "$f" ] && { printf '\0'; cat "$f"; } > "corpus/$target/seed-config-$(basename "$(dirname "$f")")"
            done
            ;;
        check_source)
            find ../fixtures -name '*.rs' | while read -r f; do
                cp "$f" "corpus/$target/seed-$(echo "$f" | tr '/.' '__')"
            done
            ;;
    esac
    cargo fuzz run -s none -a "$target" -- \
        -max_total_time="$secs" -rss_limit_mb=4096 -timeout=10 \
        -dict="$target.dict" -print_final_stats=1
done
