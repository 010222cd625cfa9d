#!/usr/bin/env python3
"""aws-cli against a real local cluster (6 tern-osd on 3 hosts + tern-gateway): the `s3`
commands (mb, cp both ways with a small and a 20 MiB file, ls, ls --recursive, rm,
rm --recursive, rb, sync of a nested tree of 300 files both ways (a second sync transfers
nothing), mv both ways, presign + curl, an expired presign) and `s3api` (put-object,
get-object, head-object, list-objects-v2 with --prefix, --delimiter and CLI pagination over
2,500+ keys; multipart create/upload-part/list-parts/complete, copy-object, put/get-object-acl,
put/get-object-tagging), odd key names included. Outputs are
compared byte for byte with what aws-cli prints for the data written (computed here).

Usage: test_awscli.py TERN_OSD TERN_GATEWAY AWS_COMMAND... [--and AWS_COMMAND...]...
  AWS_COMMAND is how to run the CLI: `/usr/bin/aws` (Debian's aws-cli 2) or
  `/path/python3 -m awscli` (pip aws-cli 1). Its version is printed first. Several CLIs
  (separated by --and) share one cluster and run every check each, one after the other,
  except that the 2,500+ keys of the listing checks are written once (with boto3) for all of
  them and removed with the last CLI's `s3 rm --recursive`.
Prints "N passed, N failed".
"""
import concurrent.futures
import datetime
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

from ternt import check, done
from ternt_cluster import Cluster
from ternt_listing import model

OSD, GW = sys.argv[1], sys.argv[2]
AWS_CLIS = [[]]  # the AWS_COMMANDs of the command line
for _a in sys.argv[3:]:
    if _a == "--and":
        AWS_CLIS.append([])
    else:
        AWS_CLIS[-1].append(_a)
B = "tern-cli"
BL = "tern-cli-list"
ODD = ["sp ace.txt", "plus+sign.txt", "pct%41.txt", "uni-\u00e9t\u00e9-\u00fc.txt",
       "dir/sub dir/\u65e5\u672c.txt", "amp&co", "q?x=1", "hash#1", "a-", "a0",
       "a/b"]


class Cli:
    def __init__(self, c, tmp, aws):
        self.aws = aws
        self.endpoint = c.endpoint
        cfg = os.path.join(tmp, "aws-cli-config")
        # aws-cli's defaults: multipart uploads and ranged downloads above 8 MiB (the 20 MiB
        # file goes up in 8 MiB parts).
        with open(cfg, "w") as f:
            f.write("[default]\nregion = us-east-1\noutput = json\ns3 =\n"
                    "  addressing_style = path\n")
        self.env = c.aws_env()
        self.env.update(AWS_CONFIG_FILE=cfg, TZ="UTC", PYTHONIOENCODING="utf-8",
                        LC_ALL="C.UTF-8", AWS_MAX_ATTEMPTS="1", AWS_RETRY_MODE="standard")
        self.cwd = tmp

    def run(self, *args, ok=True):
        """(returncode, stdout text, stderr text) of `aws --endpoint-url E args...`."""
        t0 = time.time()
        p = subprocess.run(self.aws + ["--endpoint-url", self.endpoint] + list(args),
                           env=self.env, cwd=self.cwd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=300)
        out, err = p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")
        if time.time() - t0 > 5:
            print(f"slow: aws {' '.join(args)[:80]}: {time.time() - t0:.1f} s", file=sys.stderr)
        if ok and p.returncode != 0:
            print(f"aws {' '.join(args)} -> {p.returncode}\n{err}", file=sys.stderr)
        return p.returncode, out, err

    def json(self, *args):
        rc, out, err = self.run(*args)
        try:
            return json.loads(out) if out.strip() else {}
        except ValueError:
            print(f"aws {' '.join(args)}: not JSON: {out[:300]!r} {err[:300]!r}", file=sys.stderr)
            return None


def ls_time(dt):
    """How `aws s3 ls` prints LastModified (local time; the CLI runs with TZ=UTC)."""
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def ls_line(o, name):
    return f"{ls_time(o['LastModified'])} {str(o['Size']).rjust(10)} {name}\n"


def run(c, cli, tmp):
    s3 = c.s3(max_pool_connections=32)
    rc, out, err = cli.run("--version")
    print("client:", (out + err).strip())
    print("== client:", (out + err).strip(), file=sys.stderr)  # names the CLI of what fails
    check(rc == 0, "aws --version")

    # ---- s3 mb / cp / ls / rm / rb ----
    rc, out, err = cli.run("s3", "mb", f"s3://{B}")
    check(rc == 0 and out == f"make_bucket: {B}\n", "s3 mb", repr(out + err))
    small = os.urandom(1000) + b"tern\n"
    big = os.urandom(20 * 1024 * 1024 + 7)
    with open(os.path.join(tmp, "small.bin"), "wb") as f:
        f.write(small)
    with open(os.path.join(tmp, "big.bin"), "wb") as f:
        f.write(big)
    rc, out, err = cli.run("s3", "cp", "--no-progress", "small.bin", f"s3://{B}/small.bin")
    check(rc == 0 and out == f"upload: ./small.bin to s3://{B}/small.bin\n", "s3 cp up (small)",
          repr(out + err))
    rc, out, err = cli.run("s3", "cp", "--no-progress", "big.bin", f"s3://{B}/dir/big.bin")
    check(rc == 0 and out == f"upload: ./big.bin to s3://{B}/dir/big.bin\n",
          "s3 cp up (20 MiB, multipart by aws-cli's default 8 MiB threshold)", repr(out + err))
    h = s3.head_object(Bucket=B, Key="dir/big.bin")
    parts = [big[i:i + 8 * 1024 * 1024] for i in range(0, len(big), 8 * 1024 * 1024)]
    mp_etag = '"%s-%d"' % (hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts))
                           .hexdigest(), len(parts))
    check(h["ContentLength"] == len(big) and h["ETag"] == mp_etag,
          "20 MiB object stored as a 3-part upload (ETag md5-of-md5s-3)", str(h.get("ETag")))
    # odd names: one recursive upload of a local tree holding them
    for name in ODD:
        path = os.path.join(tmp, "odd", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(small)
    rc, out, err = cli.run("s3", "cp", "--no-progress", "--recursive", "odd", f"s3://{B}/")
    want = "".join(sorted(f"upload: odd/{n} to s3://{B}/{n}\n" for n in ODD))
    check(rc == 0 and "".join(sorted(out.splitlines(True))) == want,
          "s3 cp --recursive up (odd names)", f"{out!r}\n    want {want!r}")
    rc, out, err = cli.run("s3", "cp", "--no-progress", "small.bin", f"s3://{B}/dir//double")
    check(rc == 0 and out == f"upload: ./small.bin to s3://{B}/dir//double\n",
          "s3 cp up to 'dir//double'", repr(out + err))
    rc, out, err = cli.run("s3", "cp", "--no-progress", f"s3://{B}/dir/big.bin", "big.out")
    check(rc == 0 and out == f"download: s3://{B}/dir/big.bin to ./big.out\n", "s3 cp down (big)",
          repr(out + err))
    with open(os.path.join(tmp, "big.out"), "rb") as f:
        check(f.read() == big, "20 MiB downloaded intact")
    rc, out, err = cli.run("s3", "cp", "--no-progress", f"s3://{B}/{ODD[4]}", "odd.out")
    with open(os.path.join(tmp, "odd.out"), "rb") as f:
        check(rc == 0 and f.read() == small, "s3 cp down (odd key)", repr(out + err))

    keys = ["small.bin", "dir/big.bin", "dir//double"] + ODD
    listing = {o["Key"]: o for p in s3.get_paginator("list_objects_v2").paginate(Bucket=B)
               for o in p.get("Contents", [])}
    check(sorted(listing) == sorted(keys), "bucket holds what was copied", str(sorted(listing)))
    # s3 ls (one page: common prefixes first, then objects, as aws-cli prints a page)
    want_k, want_p = model(keys, "", "/")
    want = "".join("PRE".rjust(30) + " " + p.split("/")[-2] + "/\n" for p in want_p)
    want += "".join(ls_line(listing[k], k.split("/")[-1]) for k in want_k)
    rc, out, err = cli.run("s3", "ls", f"s3://{B}")
    check(rc == 0 and out == want, "s3 ls", f"{out!r}\n    want {want!r}")
    want_k, want_p = model(keys, "dir/", "/")
    want = "".join("PRE".rjust(30) + " " + p.split("/")[-2] + "/\n" for p in want_p)
    want += "".join(ls_line(listing[k], k.split("/")[-1]) for k in want_k)
    rc, out, err = cli.run("s3", "ls", f"s3://{B}/dir/")
    check(rc == 0 and out == want, "s3 ls of a prefix", f"{out!r}\n    want {want!r}")
    want = "".join(ls_line(listing[k], k) for k in sorted(keys))
    rc, out, err = cli.run("s3", "ls", "--recursive", f"s3://{B}")
    check(rc == 0 and out == want, "s3 ls --recursive", f"{out!r}\n    want {want!r}")
    made = {b["Name"]: b["CreationDate"] for b in s3.list_buckets()["Buckets"]}
    rc, out, err = cli.run("s3", "ls")
    check(rc == 0 and out == f"{ls_time(made[B])} {B}\n", "s3 ls (buckets)", repr(out))

    rc, out, err = cli.run("s3", "rm", f"s3://{B}/small.bin")
    check(rc == 0 and out == f"delete: s3://{B}/small.bin\n", "s3 rm", repr(out + err))
    rc, out, err = cli.run("s3", "rm", "--recursive", f"s3://{B}/dir/")
    want = "".join(f"delete: s3://{B}/{k}\n" for k in sorted(k for k in keys if
                                                              k.startswith("dir/")))
    check(rc == 0 and "".join(sorted(out.splitlines(True))) == want, "s3 rm --recursive (prefix)",
          f"{out!r}\n    want {want!r}")
    rc, out, err = cli.run("s3", "rb", f"s3://{B}", ok=False)
    check(rc != 0 and "BucketNotEmpty" in err, "s3 rb of a non-empty bucket fails",
          repr(out + err))
    rc, out, err = cli.run("s3", "rm", "--recursive", f"s3://{B}")
    want = "".join(sorted(f"delete: s3://{B}/{k}\n" for k in keys
                          if k != "small.bin" and not k.startswith("dir/")))
    check(rc == 0 and "".join(sorted(out.splitlines(True))) == want, "s3 rm --recursive (bucket)",
          f"{out!r}\n    want {want!r}")
    rc, out, err = cli.run("s3", "ls", "--recursive", f"s3://{B}")
    check(rc == 0 and out == "", "bucket empty after rm --recursive", repr(out))
    rc, out, err = cli.run("s3", "rb", f"s3://{B}")
    check(rc == 0 and out == f"remove_bucket: {B}\n", "s3 rb", repr(out + err))
    rc, out, err = cli.run("s3", "ls", f"s3://{B}", ok=False)
    check(rc != 0 and "NoSuchBucket" in err, "ls of a removed bucket: NoSuchBucket", repr(err))


def run_list(c, cli, tmp, first, last):
    """s3api put/head/get-object, then list-objects-v2 and `s3 ls` over 2,500+ keys in bucket
    BL: the first CLI makes BL and the keys, the last one removes them with `s3 rm`."""
    s3 = c.s3(max_pool_connections=32)
    with open(os.path.join(tmp, "small.bin"), "rb") as f:
        small = f.read()  # what run() wrote for this CLI
    print("== client:", " ".join(cli.aws), file=sys.stderr)
    if first:
        rc, out, err = cli.run("s3", "mb", f"s3://{BL}")
        check(rc == 0, "s3 mb (list bucket)", err)
    etag_small = '"%s"' % hashlib.md5(small).hexdigest()
    for key in ("api/one.bin", "api/sp ace+\u00fc%.bin"):
        r = cli.json("s3api", "put-object", "--bucket", BL, "--key", key, "--body", "small.bin",
                     "--content-type", "application/x-tern")
        check(r is not None and r.get("ETag") == etag_small, f"s3api put-object {key!r}", str(r))
        r = cli.json("s3api", "head-object", "--bucket", BL, "--key", key)
        check(r is not None and r.get("ContentLength") == len(small) and
              r.get("ETag") == etag_small and r.get("ContentType") == "application/x-tern",
              f"s3api head-object {key!r}", str(r))
        if os.path.exists(os.path.join(tmp, "got.bin")):
            os.unlink(os.path.join(tmp, "got.bin"))
        r = cli.json("s3api", "get-object", "--bucket", BL, "--key", key, "got.bin")
        with open(os.path.join(tmp, "got.bin"), "rb") as f:
            check(r is not None and r.get("ETag") == etag_small and f.read() == small,
                  f"s3api get-object {key!r}", str(r))
    rc, out, err = cli.run("s3api", "head-object", "--bucket", BL, "--key", "api/missing",
                           ok=False)
    check(rc != 0 and "404" in err, "head-object of a missing key: 404", repr(err))

    # ---- s3api list-objects-v2 over 2,500+ keys (written quickly with boto3) ----
    many = [f"p{d}/{s}/k{i:04d}" for d in range(5) for s in ("x", "y") for i in range(250)]
    many += [f"flat-{i:03d}" for i in range(60)] + ["a/", "a0", "a/b", "a-", "a//c"]

    def put(k):
        s3.put_object(Bucket=BL, Key=k, Body=k.encode())

    if first:
        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            list(ex.map(put, many))
    allk = sorted(many + ["api/one.bin", "api/sp ace+\u00fc%.bin"])
    check(len(allk) >= 2500, "2,500+ keys for the CLI listings", str(len(allk)))

    r = cli.json("s3api", "list-objects-v2", "--bucket", BL, "--query", "Contents[].Key")
    check(r == allk, "list-objects-v2 (CLI paginates through every page)",
          f"{len(r or [])} vs {len(allk)}")
    rc, out, err = cli.run("s3api", "list-objects-v2", "--bucket", BL, "--prefix", "p3/",
                           "--query", "Contents[].[Key]", "--output", "text")
    want = "".join(k + "\n" for k in allk if k.startswith("p3/"))
    check(rc == 0 and out == want, "list-objects-v2 --prefix, text output byte-exact",
          f"{out[:200]!r}")
    for prefix, delim, size in (("", "/", 2), ("p1/", "/", 1), ("a", "/", 2), ("", "-", 300)):
        r = cli.json("s3api", "list-objects-v2", "--bucket", BL, "--prefix", prefix,
                     "--delimiter", delim, "--page-size", str(size), "--query",
                     "{k: Contents[].Key, p: CommonPrefixes[].Prefix}")
        wk, wp = model(allk, prefix, delim)
        check(r is not None and (r.get("k") or []) == wk and (r.get("p") or []) == wp,
              f"list-objects-v2 --prefix {prefix!r} --delimiter {delim!r} --page-size {size}",
              f"{r} want {wk[:5]} {wp}")
    # CLI pagination: --max-items with --page-size, resumed with --starting-token
    got, token, rounds = [], None, 0
    while rounds < 20:
        args = ["s3api", "list-objects-v2", "--bucket", BL, "--max-items", "700",
                "--page-size", "300"]
        if token:
            args += ["--starting-token", token]
        r = cli.json(*args)
        if r is None:
            break
        got += [o["Key"] for o in r.get("Contents", [])]
        rounds += 1
        token = r.get("NextToken")
        if not token:
            break
    check(got == allk and rounds == -(-len(allk) // 700),
          "--max-items 700 --page-size 300 with --starting-token", f"{len(got)} in {rounds}")
    r = cli.json("s3api", "list-objects-v2", "--bucket", BL, "--max-keys", "5", "--no-paginate")
    check(r is not None and [o["Key"] for o in r["Contents"]] == allk[:5] and r["IsTruncated"] and
          r["KeyCount"] == 5 and r.get("NextContinuationToken"), "--max-keys 5 --no-paginate")
    r2 = cli.json("s3api", "list-objects-v2", "--bucket", BL, "--max-keys", "5", "--no-paginate",
                  "--continuation-token", (r or {}).get("NextContinuationToken", "x"))
    check(r2 is not None and [o["Key"] for o in r2["Contents"]] == allk[5:10],
          "--continuation-token")
    rc, out, err = cli.run("s3api", "list-objects-v2", "--bucket", BL, "--continuation-token",
                           "bm90IGEgdG9rZW4=", ok=False)
    check(rc != 0 and "InvalidArgument" in err, "bad --continuation-token: InvalidArgument",
          repr(err))
    rc, out, err = cli.run("s3", "ls", "--recursive", f"s3://{BL}/p4/")
    check(rc == 0 and len(out.splitlines()) == 500 and
          out.splitlines()[0].endswith(" p4/x/k0000"), "s3 ls --recursive of a prefix", out[:100])
    if not last:
        return
    rc, out, err = cli.run("s3", "rm", "--recursive", "--quiet", f"s3://{BL}")
    check(rc == 0, "s3 rm --recursive --quiet (2,500+ keys)", err[-300:])
    rc, out, err = cli.run("s3", "rb", f"s3://{BL}")
    check(rc == 0 and out == f"remove_bucket: {BL}\n", "s3 rb after emptying it", repr(out + err))


# ---- sync, mv, presign and more s3api (a second bucket) ----
SYNC_NAMES = ["plain.txt", "sp ace.txt", "plus+sign", "pct%20x", "uni-\u00e9\u00fc\u65e5",
              "amp&co", "eq=1", "hash#1", "semi;colon", "paren(1)", "quote'1", "tilde~x",
              "comma,x", "dots..x", "-dash"]


def make_tree(root):
    """A nested tree of 300 files (odd names at several depths, a few empty, one 1 MiB):
    {relative path: bytes}."""
    files, i = {}, 0
    dirs = ["", "a", "a/b", "a/b/c d", "x\u00e9", "x\u00e9/y+z", "deep/1/2/3/4", "n%41"]
    while len(files) < 300:
        d = dirs[i % len(dirs)]
        name = f"{i:03d}-{SYNC_NAMES[i % len(SYNC_NAMES)]}"
        rel = f"{d}/{name}" if d else name
        n = 0 if i % 37 == 0 else (1 << 20 if i == 7 else 100 + (i * 7919) % 5000)
        files[rel] = hashlib.sha256(rel.encode()).digest() * (n // 32 + 1)
        files[rel] = files[rel][:n]
        i += 1
    for rel, data in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    return files


def read_tree(root):
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            path = os.path.join(d, n)
            with open(path, "rb") as f:
                out[os.path.relpath(path, root)] = f.read()
    return out


def transfer_lines(out, verb):
    return [l for l in out.splitlines() if l.startswith(verb + ":")]


def run_more(c, cli, tmp):
    import shutil
    s3 = c.s3()
    print("== client:", " ".join(cli.aws), file=sys.stderr)
    S = "tern-cli-sync"
    rc, out, err = cli.run("s3", "mb", f"s3://{S}")
    check(rc == 0, "s3 mb (sync bucket)", err)

    # ---- s3 sync of a nested tree, up and down, byte-exact; a second sync moves nothing ----
    up = os.path.join(tmp, "tree-up")
    files = make_tree(up)
    rc, out, err = cli.run("s3", "sync", "--no-progress", up, f"s3://{S}/tree")
    check(rc == 0 and len(transfer_lines(out, "upload")) == len(files),
          f"s3 sync up: {len(files)} uploads", f"{len(transfer_lines(out, 'upload'))} {err[-300:]}")
    stored = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=S, Prefix="tree/"):
        for o in page.get("Contents", []):
            stored[o["Key"][5:]] = s3.get_object(Bucket=S, Key=o["Key"])["Body"].read()
    check(stored == files, "s3 sync up: every key and byte as in the tree",
          f"{len(stored)} keys, differ: {sorted(set(stored) ^ set(files))[:5]}")
    rc, out, err = cli.run("s3", "sync", "--no-progress", up, f"s3://{S}/tree")
    check(rc == 0 and out.strip() == "", "second s3 sync up transfers nothing", out[:300])

    down = os.path.join(tmp, "tree-down")
    rc, out, err = cli.run("s3", "sync", "--no-progress", f"s3://{S}/tree", down)
    check(rc == 0 and len(transfer_lines(out, "download")) == len(files),
          f"s3 sync down: {len(files)} downloads",
          f"{len(transfer_lines(out, 'download'))} {err[-300:]}")
    got = read_tree(down)
    check(got == files, "s3 sync down: the tree byte for byte",
          f"{len(got)} files, differ: {sorted(set(got) ^ set(files))[:5]}")
    rc, out, err = cli.run("s3", "sync", "--no-progress", f"s3://{S}/tree", down)
    check(rc == 0 and out.strip() == "", "second s3 sync down transfers nothing", out[:300])
    # one change each way is exactly one transfer
    changed = sorted(files)[5]
    with open(os.path.join(up, changed), "wb") as f:
        f.write(b"changed, and of another size")
    rc, out, err = cli.run("s3", "sync", "--no-progress", up, f"s3://{S}/tree")
    check(rc == 0 and len(transfer_lines(out, "upload")) == 1 and changed in out,
          "s3 sync up after one change: one upload", out[:300])
    rc, out, err = cli.run("s3", "sync", "--no-progress", f"s3://{S}/tree", down)
    with open(os.path.join(down, changed), "rb") as f:
        check(rc == 0 and len(transfer_lines(out, "download")) == 1 and
              f.read() == b"changed, and of another size",
              "s3 sync down after one change: one download", out[:300])

    # ---- s3 mv both ways ----
    mv_src = os.path.join(tmp, "mv-src.bin")
    mv_data = os.urandom(70000)
    with open(mv_src, "wb") as f:
        f.write(mv_data)
    rc, out, err = cli.run("s3", "mv", "--no-progress", mv_src, f"s3://{S}/mv/x y.bin")
    check(rc == 0 and not os.path.exists(mv_src) and
          s3.get_object(Bucket=S, Key="mv/x y.bin")["Body"].read() == mv_data,
          "s3 mv local -> s3: uploaded, local file gone", out + err)
    mv_dst = os.path.join(tmp, "mv-back.bin")
    rc, out, err = cli.run("s3", "mv", "--no-progress", f"s3://{S}/mv/x y.bin", mv_dst)
    objs = s3.list_objects_v2(Bucket=S, Prefix="mv/")["KeyCount"]
    with open(mv_dst, "rb") as f:
        check(rc == 0 and objs == 0 and f.read() == mv_data,
              "s3 mv s3 -> local: downloaded, object gone", f"{objs} {out} {err}")

    # ---- s3 presign, then curl ----
    s3.put_object(Bucket=S, Key="pre/sign me.txt", Body=b"presigned bytes")
    rc, out, err = cli.run("s3", "presign", f"s3://{S}/pre/sign me.txt", "--expires-in", "300")
    if "AWSAccessKeyId=" in out:
        # aws-cli 1.x presigns with SigV2 unless told otherwise; tern speaks SigV4 only and
        # answers as AWS does where SigV2 is gone (400 InvalidRequest). Users of aws-cli 1
        # set `s3 = signature_version = s3v4` (as for AWS buckets made since 2020); so here.
        p = subprocess.run(["curl", "-sS", "-g", "-o", "-", "-w", "\n%{http_code}",
                            out.strip()], capture_output=True, timeout=60)
        check(p.stdout.endswith(b"\n400") and b"<Code>InvalidRequest</Code>" in p.stdout,
              "aws-cli 1 default (SigV2) presign: 400 InvalidRequest", repr(p.stdout[:300]))
        cfg = os.path.join(tmp, "aws-cli-config-s3v4")
        with open(cfg, "w") as f:
            f.write("[default]\nregion = us-east-1\noutput = json\ns3 =\n"
                    "  addressing_style = path\n  signature_version = s3v4\n")
        cli.env["AWS_CONFIG_FILE"] = cfg
        rc, out, err = cli.run("s3", "presign", f"s3://{S}/pre/sign me.txt", "--expires-in",
                               "300")
    url = out.strip()
    check(rc == 0 and "X-Amz-Signature=" in url, "s3 presign prints a SigV4 URL", out + err)
    p = subprocess.run(["curl", "-sS", "-g", "-o", "-", "-w", "\n%{http_code}", url],
                       capture_output=True, timeout=60)
    body, _, status = p.stdout.rpartition(b"\n")
    check(status == b"200" and body == b"presigned bytes", "curl GET of the presigned URL",
          repr(p.stdout[:300]))
    rc, out, err = cli.run("s3", "presign", f"s3://{S}/pre/sign me.txt", "--expires-in", "1")
    time.sleep(2.5)
    p = subprocess.run(["curl", "-sS", "-g", "-o", "-", "-w", "\n%{http_code}", out.strip()],
                       capture_output=True, timeout=60)
    body, _, status = p.stdout.rpartition(b"\n")
    check(status == b"403" and b"<Code>AccessDenied</Code>" in body,
          "curl GET of an expired presigned URL: 403 AccessDenied", repr(p.stdout[:300]))

    # ---- s3api multipart ----
    part1 = os.path.join(tmp, "part1.bin")
    part2 = os.path.join(tmp, "part2.bin")
    d1, d2 = os.urandom(5 << 20), os.urandom(12345)
    for path, d in ((part1, d1), (part2, d2)):
        with open(path, "wb") as f:
            f.write(d)
    r = cli.json("s3api", "create-multipart-upload", "--bucket", S, "--key", "api/mp.bin",
                 "--content-type", "application/x-mp")
    uid = (r or {}).get("UploadId")
    check(bool(uid), "s3api create-multipart-upload", str(r))
    etags = []
    for n, path in ((1, part1), (2, part2)):
        r = cli.json("s3api", "upload-part", "--bucket", S, "--key", "api/mp.bin",
                     "--upload-id", str(uid), "--part-number", str(n), "--body", path)
        etags.append((r or {}).get("ETag"))
    check(etags == ['"%s"' % hashlib.md5(d).hexdigest() for d in (d1, d2)],
          "s3api upload-part x2: ETags are the parts' MD5", str(etags))
    r = cli.json("s3api", "list-parts", "--bucket", S, "--key", "api/mp.bin", "--upload-id",
                 str(uid))
    check(r is not None and [(p["PartNumber"], p["Size"], p["ETag"]) for p in r["Parts"]] ==
          [(1, len(d1), etags[0]), (2, len(d2), etags[1])], "s3api list-parts", str(r)[:300])
    parts = os.path.join(tmp, "parts.json")
    with open(parts, "w") as f:
        json.dump({"Parts": [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]}, f)
    r = cli.json("s3api", "complete-multipart-upload", "--bucket", S, "--key", "api/mp.bin",
                 "--upload-id", str(uid), "--multipart-upload", f"file://{parts}")
    want_etag = '"%s-2"' % hashlib.md5(hashlib.md5(d1).digest() +
                                       hashlib.md5(d2).digest()).hexdigest()
    g = s3.get_object(Bucket=S, Key="api/mp.bin")
    check(r is not None and r.get("ETag") == want_etag and g["Body"].read() == d1 + d2 and
          g["ContentType"] == "application/x-mp", "s3api complete-multipart-upload", str(r))

    # ---- s3api copy-object, ACLs, tagging ----
    r = cli.json("s3api", "copy-object", "--bucket", S, "--key", "api/copy.bin",
                 "--copy-source", f"{S}/api/mp.bin")
    check(r is not None and s3.get_object(Bucket=S, Key="api/copy.bin")["Body"].read() ==
          d1 + d2, "s3api copy-object", str(r))
    r = cli.json("s3api", "copy-object", "--bucket", S, "--key", "api/copy.bin",
                 "--copy-source", f"{S}/api/copy.bin", "--metadata-directive", "REPLACE",
                 "--metadata", "k=v")
    check(r is not None and s3.head_object(Bucket=S, Key="api/copy.bin")["Metadata"] ==
          {"k": "v"}, "s3api copy-object onto itself with REPLACE", str(r))
    rc, out, err = cli.run("s3api", "put-object-acl", "--bucket", S, "--key", "api/copy.bin",
                           "--acl", "public-read")
    r = cli.json("s3api", "get-object-acl", "--bucket", S, "--key", "api/copy.bin")
    uris = sorted((g["Grantee"].get("URI", "owner"), g["Permission"])
                  for g in (r or {}).get("Grants", []))
    check(rc == 0 and uris == [("http://acs.amazonaws.com/groups/global/AllUsers", "READ"),
                               ("owner", "FULL_CONTROL")], "s3api put/get-object-acl",
          str(r) + err)
    p = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                        f"{c.endpoint}/{S}/api/copy.bin"], capture_output=True, timeout=60)
    check(p.stdout == b"200", "public-read object: anonymous curl GET 200", repr(p.stdout))
    rc, out, err = cli.run("s3api", "put-object-tagging", "--bucket", S, "--key", "api/copy.bin",
                           "--tagging", "TagSet=[{Key=env,Value=test},{Key=n,Value=1}]")
    r = cli.json("s3api", "get-object-tagging", "--bucket", S, "--key", "api/copy.bin")
    check(rc == 0 and r is not None and sorted((t["Key"], t["Value"]) for t in r["TagSet"]) ==
          [("env", "test"), ("n", "1")], "s3api put/get-object-tagging", str(r) + err)

    # ---- s3 rm --recursive of the tree, then rb ----
    rc, out, err = cli.run("s3", "rm", "--recursive", f"s3://{S}/tree")
    check(rc == 0 and len(transfer_lines(out, "delete")) == len(files) and
          s3.list_objects_v2(Bucket=S, Prefix="tree/")["KeyCount"] == 0,
          "s3 rm --recursive of the synced tree", f"{len(transfer_lines(out, 'delete'))}")
    rc, out, err = cli.run("s3", "rb", "--force", f"s3://{S}")
    check(rc == 0, "s3 rb --force", err)
    shutil.rmtree(up, ignore_errors=True)
    shutil.rmtree(down, ignore_errors=True)


def main():
    tmp = tempfile.mkdtemp(prefix="tern-awscli-")
    try:
        with Cluster(OSD, GW) as c:
            try:
                dirs = [os.path.join(tmp, f"cli{i}") for i in range(len(AWS_CLIS))]
                clis = []
                for aws, d in zip(AWS_CLIS, dirs):
                    os.mkdir(d)
                    clis.append(Cli(c, d, aws))
                for cli, d in zip(clis, dirs):
                    run(c, cli, d)
                for i, (cli, d) in enumerate(zip(clis, dirs)):
                    run_list(c, cli, d, i == 0, i == len(clis) - 1)
                for cli, d in zip(clis, dirs):
                    run_more(c, cli, d)
            except Exception as e:  # a crash is a failure with its reason
                import traceback
                traceback.print_exc()
                check(False, "test ran to the end", repr(e))
    finally:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
