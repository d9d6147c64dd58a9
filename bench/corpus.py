#!/usr/bin/env python3
"""Benchmark: a full `statelint check` against walk + read + syn::parse_file of the same files.

Prints ratios (statelint / parse-only) of CPU seconds (user + sys) and of peak memory, which is
what the performance contract in DESIGN.md is about. Machines are shared and noisy, so each mode
runs several times, alternating, and the minimum CPU time of each is compared.

usage: bench/corpus.py [CORPUS_DIR] [--runs N] [--threads N]
  CORPUS_DIR defaults to ../corpus/vendor, fetched with ../shared/corpus/fetch.sh when missing.
"""
import argparse
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def run(cmd):
    """Runs cmd, returns (cpu seconds, peak RSS in MB, wall seconds) of that child alone."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = proc.communicate()
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode(errors='replace')}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far; runs are ordered so that the
    # comparison is per mode (see below).
    return cpu, after.ru_maxrss / 1024, wall


def peak_rss(cmd):
    """Peak RSS of one run, measured in a fresh interpreter so earlier children do not count."""
    code = (
        "import resource,subprocess,sys;"
        "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", default=os.path.join(REPO, "..", "corpus", "vendor"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    corpus = os.path.abspath(args.corpus)
    if not os.path.isdir(corpus):
        fetch = os.path.join(REPO, "..", "shared", "corpus", "fetch.sh")
        print(f"fetching the corpus into {corpus} ...", flush=True)
        subprocess.run([fetch, corpus], check=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    exe = os.path.join(REPO, "target", "release", "statelint")
    base = [exe, "check", corpus, "--format", "json", "--fail-on", "never", "--threads", str(args.threads)]
    modes = {"parse-only": base + ["--parse-only"], "statelint": base}

    cpu = {m: [] for m in modes}
    wall = {m: [] for m in modes}
    for i in range(args.runs):
        for name, cmd in modes.items():
            c, _, w = run(cmd)
            cpu[name].append(c)
            wall[name].append(w)
            print(f"run {i + 1} {name:10} cpu {c:6.2f}s wall {w:6.2f}s", flush=True)
    rss = {name: peak_rss(cmd) for name, cmd in modes.items()}

    p, s = min(cpu["parse-only"]), min(cpu["statelint"])
    print()
    print(f"files: {sum(1 for _, _, fs in os.walk(corpus) for f in fs if f.endswith('.rs'))} .rs in {corpus}")
    print(f"parse-only  min cpu {p:6.2f}s  peak rss {rss['parse-only']:7.1f} MB")
    print(f"statelint   min cpu {s:6.2f}s  peak rss {rss['statelint']:7.1f} MB")
    print(f"ratio cpu   {s / p:.3f}   (contract: <= 1.25)")
    print(f"ratio rss   {rss['statelint'] / rss['parse-only']:.3f}   (contract: <= 1.20)")


if __name__ == "__main__":
    main()
