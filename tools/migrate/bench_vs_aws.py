#!/usr/bin/env python3
"""bench_vs_aws.py — tern-migrate against `aws s3 sync` on the same generated tree
(docs/BENCHMARKS.md, "tern-migrate against aws-cli").

Usage: PYTHONPATH=tests/lib /usr/bin/python3 tools/migrate/bench_vs_aws.py \
           TERN_MIGRATE TERN_OSD TERN_GATEWAY [--runs 3] [--big-mib 200] [--small 2000]
           [--before OLD_TERN_MIGRATE] [--jobs N] [--aws PATH]...

Starts one local cluster (tests/lib/ternt_cluster.py), generates a tree of `--small` files of
0-8 KiB random data in nested directories plus, if --big-mib > 0, two random files of that
size / 2 and that size (multipart for every tool), then runs, back to back and interleaved
so that the machine's load hits every tool alike, `--runs` rounds of: tern-migrate into a fresh
prefix, its rerun (nothing to send), then each aws-cli on PATH (`aws` first on PATH and
/usr/bin/aws, when they differ) with `s3 sync` into a fresh prefix and its rerun. Prints each
time and the medians and ratios. Objects are deleted between rounds (not timed) so the disk
does not fill. --before adds an older tern-migrate binary to each round (before/after
figures from one session); --jobs passes --jobs to tern-migrate; --aws restricts the aws-cli
binaries to the ones given.
"""
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from ternt_cluster import AK, SK, Cluster


def make_tree(root, n_small, big_mib, seed=8):
    rng = random.Random(seed)
    total = 0
    for i in range(n_small):
        d = f"d{i % 7}/s{i % 13}" + (f"/t{i % 3}" if i % 2 else "")
        p = os.path.join(root, d, f"file-{i:05d}.{['png', 'jpg', 'txt', 'bin', 'css'][i % 5]}")
        os.makedirs(os.path.dirname(p), exist_ok=True)
        data = rng.randbytes(rng.randrange(0, 8192))
        with open(p, "wb") as f:
            f.write(data)
        total += len(data)
    if big_mib > 0:
        os.makedirs(os.path.join(root, "big"), exist_ok=True)
        for name, mib in (("half.mp4", big_mib // 2), ("video.mp4", big_mib)):
            with open(os.path.join(root, "big", name), "wb") as f:
                for _ in range(mib):
                    f.write(os.urandom(1 << 20))
            total += mib << 20
    return total


def timed(argv, env):
    t = time.monotonic()
    p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    dt = time.monotonic() - t
    if p.returncode != 0:
        sys.exit(f"{argv[0]} failed ({p.returncode}): {p.stderr[-2000:]}{p.stdout[-2000:]}")
    return dt


def wipe(s3, bucket):
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})


def main():
    args = sys.argv[1:]
    opts = {"--runs": 3, "--big-mib": 200, "--small": 2000, "--jobs": 0}
    pos = []
    before = None
    only_aws = []
    i = 0
    while i < len(args):
        if args[i] in opts:
            opts[args[i]] = int(args[i + 1])
            i += 2
        elif args[i] == "--before":
            before = args[i + 1]
            i += 2
        elif args[i] == "--aws":
            only_aws.append(args[i + 1])
            i += 2
        else:
            pos.append(args[i])
            i += 1
    migrate, osd, gw = pos[:3]
    awss = [shutil.which("aws")]
    if os.path.exists("/usr/bin/aws") and os.path.realpath("/usr/bin/aws") != os.path.realpath(
            awss[0] or ""):
        awss.append("/usr/bin/aws")
    awss = only_aws or [a for a in awss if a]
    tmp = tempfile.mkdtemp(prefix="tern-mbench-")
    src = os.path.join(tmp, "src")
    total = make_tree(src, opts["--small"], opts["--big-mib"])
    times = {}
    try:
        with Cluster(osd, gw, name="tern-mbench") as c:
            s3 = c.s3(read_timeout=300)
            s3.create_bucket(Bucket="bench")
            env = c.aws_env()
            menv = dict(env, AWS_ENDPOINT_URL=c.endpoint)
            print(f"tree: {opts['--small']} small files + big {opts['--big-mib']} MiB "
                  f"(+ half), {total} bytes; tools: tern-migrate, {', '.join(awss)}", flush=True)
            for r in range(opts["--runs"]):
                jobs = ["--jobs", str(opts["--jobs"])] if opts["--jobs"] else []
                cmds = [("tern-migrate", [migrate, src, f"s3://bench/m{r}",
                                          "--endpoint", c.endpoint] + jobs)]
                if before:
                    cmds.append(("tern-migrate (before)", [before, src, f"s3://bench/b{r}",
                                                           "--endpoint", c.endpoint] + jobs))
                for a in awss:
                    ver = subprocess.run([a, "--version"], capture_output=True,
                                         text=True).stdout.split()[0]
                    cmds.append((ver, [a, "s3", "sync", "--only-show-errors", src,
                                       f"s3://bench/{ver.replace('/', '-')}-{r}",
                                       "--endpoint-url", c.endpoint]))
                for name, argv in cmds:
                    first = timed(argv, menv)
                    again = timed(argv, menv)
                    times.setdefault(name, ([], []))
                    times[name][0].append(first)
                    times[name][1].append(again)
                    print(f"round {r + 1}: {name}: first {first:.2f} s, rerun {again:.2f} s",
                          flush=True)
                    wipe(s3, "bench")
            print("\nmedians (first run / rerun), ratio = aws time / tern-migrate time:")
            mf = statistics.median(times["tern-migrate"][0])
            mr = statistics.median(times["tern-migrate"][1])
            for name, (f, a) in times.items():
                f_m, a_m = statistics.median(f), statistics.median(a)
                ratio = "" if name == "tern-migrate" else f"  ratio {f_m / mf:.2f}x / {a_m / mr:.2f}x"
                print(f"  {name:28s} {f_m:7.2f} s / {a_m:6.2f} s{ratio}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
