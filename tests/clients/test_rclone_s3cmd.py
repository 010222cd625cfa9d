#!/usr/bin/env python3
"""rclone and s3cmd (Debian packages, unmodified, with configs pointing at the cluster) against a
local tern cluster: rclone copy, sync, check, lsf, delete; s3cmd mb, put, get, ls, sync, del.
Both walk a generated tree (nested dirs, odd names, a multi-chunk and a multipart-sized file)
and the results are compared byte for byte with the source.

Usage: test_rclone_s3cmd.py TERN_OSD TERN_GATEWAY. Prints "N passed, N failed".
"""
import filecmp
import os
import subprocess
import sys

import ternt_cluster as tc
from ternt import check, done


def run(argv, env=None, timeout=300):
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def make_tree(root):
    """A small site-like tree: nested dirs, odd names, sizes from 0 B to 21 MiB."""
    files = {
        "index.html": b"<html>tern</html>",
        "empty.txt": b"",
        "images/2026/11/photo one.jpg": os.urandom(70_000),
        "images/2026/11/caf\u00e9+menu%20.png": os.urandom(5000),
        "images/2026/12/big.bin": os.urandom(21 * 1024 * 1024 + 5),
        "media/clip.mp4": os.urandom(6 * 1024 * 1024 + 1),
        "themes/casper/assets/style.css": b"body{}" * 1000,
        "deep/a/b/c/d/e/f.txt": b"deep",
    }
    for rel, data in files.items():
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
    return files


def same_tree(a, b):
    """(equal, detail): every file under a exists under b with the same bytes, and no extras."""
    la, lb = [], []
    for top, out in ((a, la), (b, lb)):
        for d, _, fs in os.walk(top):
            for f in fs:
                out.append(os.path.relpath(os.path.join(d, f), top))
    if sorted(la) != sorted(lb):
        return False, f"{sorted(set(la) ^ set(lb))}"
    for rel in la:
        if not filecmp.cmp(os.path.join(a, rel), os.path.join(b, rel), shallow=False):
            return False, f"{rel} differs"
    return True, ""


def rclone_part(c, src, files):
    rc, out, _ = run(["rclone", "version"])
    print(out.splitlines()[0] if out else "rclone: version unknown")
    env = dict(os.environ, RCLONE_CONFIG=os.path.join(c.tmp, "rclone.conf"),
               RCLONE_CONFIG_TERN_TYPE="s3", RCLONE_CONFIG_TERN_PROVIDER="Other",
               RCLONE_CONFIG_TERN_ENDPOINT=c.endpoint, RCLONE_CONFIG_TERN_ACCESS_KEY_ID=tc.AK,
               RCLONE_CONFIG_TERN_SECRET_ACCESS_KEY=tc.SK, RCLONE_CONFIG_TERN_REGION="us-east-1",
               RCLONE_CONFIG_TERN_FORCE_PATH_STYLE="true")
    # rclone 1.60's AWS SDK refuses AWS_CA_BUNDLE with its own HTTP transport
    # ("LoadCustomCABundleError: unsupported transport"); the cluster is plain HTTP anyway.
    env.pop("AWS_CA_BUNDLE", None)
    open(env["RCLONE_CONFIG"], "w").close()
    rc, out, err = run(["rclone", "mkdir", "tern:rclone-site"], env)
    check(rc == 0, "rclone mkdir", err)
    rc, out, err = run(["rclone", "copy", src, "tern:rclone-site"], env)
    check(rc == 0, "rclone copy up", err[-2000:])
    rc, out, err = run(["rclone", "check", src, "tern:rclone-site"], env)
    check(rc == 0, "rclone check: identical", err[-2000:])
    rc, out, err = run(["rclone", "lsf", "-R", "--files-only", "tern:rclone-site"], env)
    check(rc == 0 and sorted(out.split("\n")[:-1]) == sorted(files), "rclone lsf -R lists every file",
          out)
    down = os.path.join(c.tmp, "rclone-down")
    rc, out, err = run(["rclone", "sync", "tern:rclone-site", down], env)
    ok, why = same_tree(src, down)
    check(rc == 0 and ok, "rclone sync down: byte-identical tree", err[-2000:] + why)
    # change one file, delete one, sync up; a second sync transfers nothing
    with open(os.path.join(src, "index.html"), "wb") as f:
        f.write(b"<html>changed</html>")
    os.remove(os.path.join(src, "empty.txt"))
    rc, out, err = run(["rclone", "sync", src, "tern:rclone-site", "-v"], env)
    check(rc == 0, "rclone sync up after changes", err[-2000:])
    rc, out, err = run(["rclone", "sync", src, "tern:rclone-site", "-v", "--stats-one-line"], env)
    check(rc == 0 and "Copied" not in err and "Deleted" not in err,
          "second rclone sync transfers nothing", err[-2000:])
    rc, out, err = run(["rclone", "lsf", "-R", "--files-only", "tern:rclone-site"], env)
    check("empty.txt" not in out.split("\n"), "sync deleted the removed file", out)
    rc, out, err = run(["rclone", "cat", "tern:rclone-site/index.html"], env)
    check(out == "<html>changed</html>", "rclone cat sees the new content", out)
    rc, out, err = run(["rclone", "delete", "tern:rclone-site/images"], env)
    check(rc == 0, "rclone delete a directory", err)
    rc, out, err = run(["rclone", "lsf", "-R", "--files-only", "tern:rclone-site"], env)
    check(rc == 0 and not any(x.startswith("images/") for x in out.split("\n")),
          "rclone delete removed everything under it", out)
    rc, out, err = run(["rclone", "purge", "tern:rclone-site"], env)
    check(rc == 0, "rclone purge (delete all + remove bucket)", err)
    s3 = c.s3()
    check("rclone-site" not in [b["Name"] for b in s3.list_buckets()["Buckets"]],
          "bucket gone after purge")


def s3cmd_part(c, src, files):
    cfg = os.path.join(c.tmp, "s3cmd.cfg")
    host = c.endpoint.split("//", 1)[1]
    with open(cfg, "w") as f:
        f.write(f"[default]\naccess_key = {tc.AK}\nsecret_key = {tc.SK}\nhost_base = {host}\n"
                f"host_bucket = {host}\nuse_https = False\nsignature_v2 = False\n"
                "bucket_location = us-east-1\nmultipart_chunk_size_mb = 5\n")
    s3c = ["s3cmd", "-c", cfg]
    rc, out, err = run(s3c + ["--version"])
    print(out.strip() or err.strip())
    rc, out, err = run(s3c + ["mb", "s3://s3cmd-site"])
    check(rc == 0, "s3cmd mb", err)
    rc, out, err = run(s3c + ["put", os.path.join(src, "images/2026/12/big.bin"),
                              "s3://s3cmd-site/big.bin"])
    check(rc == 0, "s3cmd put (multipart, 5 MiB chunks)", err[-2000:])
    got = os.path.join(c.tmp, "s3cmd-big.bin")
    rc, out, err = run(s3c + ["get", "s3://s3cmd-site/big.bin", got])
    check(rc == 0 and filecmp.cmp(got, os.path.join(src, "images/2026/12/big.bin"), shallow=False),
          "s3cmd get: byte-identical", err[-2000:])
    rc, out, err = run(s3c + ["sync", src + "/", "s3://s3cmd-site/tree/"])
    check(rc == 0, "s3cmd sync up", err[-2000:])
    rc, out, err = run(s3c + ["ls", "-r", "s3://s3cmd-site/tree/"])
    listed = sorted(line.split("s3://s3cmd-site/tree/", 1)[1] for line in out.splitlines()
                    if "s3://" in line)
    want = sorted(os.path.relpath(os.path.join(d, f), src)
                  for d, _, fs in os.walk(src) for f in fs)
    check(rc == 0 and listed == want, "s3cmd ls -r lists the tree", f"{listed} vs {want}")
    rc, out, err = run(s3c + ["ls", "s3://s3cmd-site/tree/images/"])
    check(rc == 0 and "DIR" in out and "s3://s3cmd-site/tree/images/2026/" in out,
          "s3cmd ls shows directories (delimiter)", out)
    down = os.path.join(c.tmp, "s3cmd-down")
    os.makedirs(down)
    rc, out, err = run(s3c + ["sync", "s3://s3cmd-site/tree/", down + "/"])
    ok, why = same_tree(src, down)
    check(rc == 0 and ok, "s3cmd sync down: byte-identical tree", err[-2000:] + why)
    rc, out, err = run(s3c + ["sync", src + "/", "s3://s3cmd-site/tree/"])
    check(rc == 0 and "upload:" not in out, "second s3cmd sync uploads nothing", out)
    rc, out, err = run(s3c + ["del", "--recursive", "--force", "s3://s3cmd-site/"])
    check(rc == 0, "s3cmd del --recursive", err)
    rc, out, err = run(s3c + ["ls", "-r", "s3://s3cmd-site/"])
    check(rc == 0 and "s3://" not in out, "bucket empty after del", out)
    rc, out, err = run(s3c + ["rb", "s3://s3cmd-site"])
    check(rc == 0, "s3cmd rb", err)


def main():
    with tc.Cluster(sys.argv[1], sys.argv[2], name="tern-rclone") as c:
        src = os.path.join(c.tmp, "src")
        files = make_tree(src)
        rclone_part(c, src, files)
        src2 = os.path.join(c.tmp, "src2")
        make_tree(src2)
        s3cmd_part(c, src2, files)
    return done()


if __name__ == "__main__":
    sys.exit(main())
