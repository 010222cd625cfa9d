#!/usr/bin/env python3
"""tern-migrate against a real local cluster (tests/lib/ternt_cluster.py).

A generated tree (~2,000 small files, nested, odd names, one 200 MiB random file, symlinks,
a FIFO, an unreadable file, a name that is not UTF-8) is migrated; the first run is killed
(SIGKILL) and the second interrupted (SIGINT) midway; the third finishes, and must send
exactly the files that were not in the bucket yet (checked by HEAD before it runs) and
nothing else (a first run asks no HEAD: one listing instead). --verify passes; a tampered
object makes it fail. Listing shows exactly the expected keys and sizes; Content-Type and
x-amz-meta-mtime are set. The 200 MiB file alone is killed (SIGKILL) once some of its parts
are acknowledged; next to its upload a stale one is started by another client; the rerun
resumes the killed upload (sends only the missing parts: counted bytes < the file), aborts
the stale one, and --verify passes. Then a Ghost-shaped
content/ directory migrated with --ghost is readable at the keys ghost-storage-adapter-s3
uses. argv: tern-migrate tern-osd tern-gateway
"""
import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from ternt import check, done
from ternt_cluster import AK, SK, Cluster

MIGRATE, OSD, GW = sys.argv[1:4]
BIG = 200 << 20


def make_tree(root, rng):
    """Returns {relative path: size} of the files that must arrive."""
    want = {}
    odd = ["space name.txt", "per%cent.txt", "plus+sign.txt", "a&b=c;d.txt", "hash#.txt",
           "quote'\".txt", "ünïcödé.png", "日本語/ファイル.jpg", "emoji 😀.gif", "~tilde.css",
           "dir with space/x y.html", "deep/a/b/c/d/e/f.json", "(paren)[bracket]{brace}.md",
           "comma,semi;colon.txt", "tab\tname.txt", "star*.txt", "qm?.txt", "empty.bin"]
    for rel in odd:
        data = b"" if rel == "empty.bin" else rng.randbytes(rng.randrange(1, 3000))
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        want[rel] = len(data)
    n = 2000 - len(odd)
    for i in range(n):
        d = f"d{i % 7}/s{i % 13}" + (f"/t{i % 3}" if i % 2 else "")
        rel = f"{d}/file-{i:05d}.{['png', 'jpg', 'txt', 'bin', 'css'][i % 5]}"
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        data = rng.randbytes(rng.randrange(0, 8192))
        with open(p, "wb") as f:
            f.write(data)
        want[rel] = len(data)
    # one big file of random data (not sparse): multipart
    os.makedirs(os.path.join(root, "big"), exist_ok=True)
    with open(os.path.join(root, "big/video.mp4"), "wb") as f:
        for _ in range(BIG // (4 << 20)):
            f.write(os.urandom(4 << 20))
    want["big/video.mp4"] = BIG
    return want


def specials(root):
    os.symlink("/etc/passwd", os.path.join(root, "link-out"))
    os.symlink("..", os.path.join(root, "d0/link-up"))
    os.symlink("d1", os.path.join(root, "link-dir"))
    os.mkfifo(os.path.join(root, "fifo"))
    bad = os.path.join(root.encode(), b"not-utf8-\xff.txt")
    with open(bad, "wb") as f:
        f.write(b"x")
    with open(os.path.join(root, "unreadable.txt"), "wb") as f:
        f.write(b"secret")
    os.chmod(os.path.join(root, "unreadable.txt"), 0)


def drop_privileges():
    if os.geteuid() == 0:  # root reads mode-000 files: run as nobody so one stays unreadable
        os.setgid(65534)
        os.setuid(65534)


def report(out):
    r = {}
    for key, pat in [("transferred", r"^transferred: (\d+) files, (\d+) bytes"),
                     ("present", r"^already present: (\d+) files"),
                     ("failed", r"^failed: (\d+)$"), ("skipped", r"^skipped: (\d+) entries"),
                     ("puts", r"^requests: (\d+) PUT"), ("verified", r"^verified: (\d+)"),
                     ("heads", r"^requests: \d+ PUT \(objects and parts\), (\d+) HEAD"),
                     ("sent", r"^sent: (\d+) bytes"), ("resumed", r"^resumed: (\d+) multipart"),
                     ("notdone", r"^interrupted: (\d+) files not done")]:
        m = re.search(pat, out, re.M)
        if m:
            r[key] = int(m.group(1))
            if key == "transferred":
                r["bytes"] = int(m.group(2))
    m = re.search(r"^resumed: \d+ multipart uploads, (\d+) parts \((\d+) bytes\) already there; "
                  r"(\d+) stale uploads aborted", out, re.M)
    r["parts_resumed"], r["bytes_resumed"], r["aborted"] = (
        (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else (0, 0, 0))
    return r


def run(args, env, timeout=600):
    p = subprocess.run([MIGRATE] + args, env=env, capture_output=True, text=True,
                       timeout=timeout, preexec_fn=drop_privileges, errors="replace")
    return p.returncode, p.stdout, p.stderr


def run_until(args, env, files, sig):
    """Starts a run, sends sig once at least `files` files are done (progress lines)."""
    p = subprocess.Popen([MIGRATE] + args + ["--progress-interval", "0.1"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=drop_privileges, errors="replace")
    deadline = time.time() + 300
    seen = 0
    while time.time() < deadline:
        line = p.stderr.readline()
        if not line:
            break
        m = re.match(r"progress: (\d+)/(\d+) files", line)
        if m and int(m.group(1)) >= files:
            seen = int(m.group(1))
            p.send_signal(sig)
            break
    out, err = p.communicate(timeout=300)
    return p.returncode, out, err, seen


def run_kill_after_parts(args, env, s3, bucket, key, parts):
    """Starts a run, SIGKILLs it once the upload of key has at least `parts` parts
    acknowledged (ListParts). Returns the parts listed at that moment (0 if never)."""
    p = subprocess.Popen([MIGRATE] + args, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, preexec_fn=drop_privileges)
    seen = 0
    deadline = time.time() + 300
    while time.time() < deadline and p.poll() is None:
        for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            if u["Key"] == key:
                seen = len(s3.list_parts(Bucket=bucket, Key=key,
                                         UploadId=u["UploadId"]).get("Parts", []))
        if seen >= parts:
            break
        time.sleep(0.05)
    p.kill()
    p.wait()
    return seen


def uploads_of(s3, bucket, prefix):
    return s3.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", [])


def present(s3, bucket, keys):
    n = set()
    for k in keys:
        try:
            s3.head_object(Bucket=bucket, Key=k)
            n.add(k)
        except s3.exceptions.ClientError:
            pass
    return n


def listing(s3, bucket, prefix=""):
    got = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            got[o["Key"]] = o["Size"]
    return got


def main():
    rng = random.Random(8)
    tmp = tempfile.mkdtemp(prefix="tern-migrate-")
    os.chmod(tmp, 0o755)
    src = os.path.join(tmp, "src")
    os.makedirs(src)
    try:
        with Cluster(OSD, GW, name="tern-migrate") as c:
            s3 = c.s3(read_timeout=120)
            s3.create_bucket(Bucket="mig")
            want = make_tree(src, rng)
            specials(src)
            for d, _, _ in os.walk(src):
                os.chmod(d, 0o755)
            env = dict(os.environ, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK,
                       AWS_SHARED_CREDENTIALS_FILE=os.devnull)
            env.pop("AWS_PROFILE", None)
            dst = "s3://mig/vol1"
            args = [src, dst, "--endpoint", c.endpoint, "--jobs", "4"]
            keys = {f"vol1/{k}": v for k, v in want.items()}
            # dry run: sends nothing, lists everything as to be transferred
            rc, out, err = run(args + ["--dry-run"], env)
            n_would = len(re.findall(r"^would transfer: .* -> ", out, re.M))
            check(n_would == len(want), f"dry run lists every readable file ({n_would})")
            check(len(present(s3, "mig", list(keys)[:50])) == 0, "dry run sent nothing")
            # run 1, SIGKILL midway; run 2, SIGINT midway
            rc, out, err, seen = run_until(args, env, 400, signal.SIGKILL)
            check(rc == -signal.SIGKILL and seen >= 400, f"run 1 killed after {seen} files")
            rc, out, err, seen = run_until(args, env, 900, signal.SIGINT)
            r2 = report(out)
            check(rc == 130 and r2.get("notdone", 0) > 0,
                  f"run 2 interrupted by SIGINT: exit {rc}, {r2}")
            before = present(s3, "mig", keys)
            check(0 < len(before) < len(keys), f"{len(before)}/{len(keys)} objects after two "
                                               "interrupted runs")
            # run 3 completes without re-sending what arrived
            rc, out, err = run(args, env)
            r3 = report(out)
            check(rc == 1 and r3.get("failed") == 1, f"run 3 exit 1, one failure: {r3}")
            check("failed: unreadable.txt: open: Permission denied" in out,
                  "unreadable file reported as failed")
            for name, why in [("link-out", "symbolic link"), ("d0/link-up", "symbolic link"),
                              ("link-dir", "symbolic link"), ("fifo", "FIFO"),
                              ("not-utf8-", "not valid UTF-8")]:
                check(re.search(rf"^skipped: {re.escape(name)}.*{why}", out, re.M) is not None,
                      f"{name} skipped: {why}")
            check(r3.get("transferred") == len(keys) - len(before) and
                  r3.get("present") == len(before),
                  f"run 3 sent exactly the {len(keys) - len(before)} missing files, skipped "
                  f"the {len(before)} present: {r3}")
            big_parts = BIG // (16 << 20) + (BIG % (16 << 20) != 0)
            sent_big = "vol1/big/video.mp4" not in before
            check(r3.get("puts") == r3.get("transferred") - sent_big + sent_big * big_parts -
                  r3["parts_resumed"],
                  f"PUT requests = files sent (+ parts not already there): {r3}")
            check(r3.get("sent") == r3.get("bytes") - r3["bytes_resumed"],
                  f"bytes sent = the files' bytes less the resumed parts: {r3}")
            check(uploads_of(s3, "mig", "vol1/") == [], "no multipart upload left behind")
            # rerun: nothing to send
            rc, out, err = run(args, env)
            r4 = report(out)
            check(r4.get("transferred") == 0 and r4.get("puts") == 0 and r4.get("sent") == 0 and
                  r4.get("present") == len(keys), f"a fourth run sends nothing: {r4}")
            # verify
            rc, out, err = run(args + ["--verify"], env)
            r5 = report(out)
            check(r5.get("verified") == len(keys) and r5.get("failed") == 1,
                  f"--verify: every object matches (the unreadable file fails): {r5}")
            # listing: exactly the expected keys and sizes
            got = listing(s3, "mig")
            check(got == keys, f"listing: {len(got)} keys, expected {len(keys)}; "
                  f"extra {sorted(set(got) - set(keys))[:5]}, "
                  f"missing {sorted(set(keys) - set(got))[:5]}")
            h = s3.head_object(Bucket="mig", Key="vol1/日本語/ファイル.jpg", ChecksumMode="ENABLED")
            st = os.stat(os.path.join(src, "日本語/ファイル.jpg"))
            check(h["ContentType"] == "image/jpeg", f"Content-Type {h['ContentType']}")
            mt = h["Metadata"].get("mtime", "")
            check(mt == f"{st.st_mtime_ns // 10**9}.{st.st_mtime_ns % 10**9:09d}",
                  f"x-amz-meta-mtime {mt}")
            b = s3.get_object(Bucket="mig", Key="vol1/per%cent.txt")["Body"].read()
            with open(os.path.join(src, "per%cent.txt"), "rb") as f:
                check(b == f.read(), "odd name: content equal")
            hb = hashlib.md5()
            body = s3.get_object(Bucket="mig", Key="vol1/big/video.mp4")["Body"]
            for chunk in iter(lambda: body.read(1 << 20), b""):
                hb.update(chunk)
            hl = hashlib.md5()
            with open(os.path.join(src, "big/video.mp4"), "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    hl.update(chunk)
            check(hb.digest() == hl.digest(), "200 MiB file: content equal")
            # a tampered object fails --verify
            s3.put_object(Bucket="mig", Key="vol1/plus+sign.txt", Body=b"tampered")
            rc, out, err = run(args + ["--verify"], env)
            check(rc == 1 and re.search(r"^failed: plus\+sign.txt: verify: MISMATCH", out, re.M)
                  is not None, "--verify reports the tampered object")

            # a big upload killed midway resumes from its acknowledged parts
            one = os.path.join(tmp, "one")
            os.makedirs(os.path.join(one, "big"))
            os.link(os.path.join(src, "big/video.mp4"), os.path.join(one, "big/video.mp4"))
            for d, _, _ in os.walk(one):
                os.chmod(d, 0o755)
            rargs = [one, "s3://mig/resume", "--endpoint", c.endpoint]
            key = "resume/big/video.mp4"
            seen = run_kill_after_parts(rargs, env, s3, "mig", key, 3)
            ups = uploads_of(s3, "mig", "resume/")
            check(seen >= 3 and len(ups) == 1,
                  f"killed with {seen} parts acknowledged, {len(ups)} upload in progress")
            stale = s3.create_multipart_upload(Bucket="mig", Key=key)["UploadId"]
            rc, out, err = run(rargs, env)
            r6 = report(out)
            check(rc == 0 and r6.get("transferred") == 1 and r6.get("resumed") == 1,
                  f"the rerun resumes the upload: exit {rc}, {r6} {err[-300:]}")
            check(r6["parts_resumed"] >= seen and r6["bytes_resumed"] >= seen * (16 << 20),
                  f"the {seen}+ acknowledged parts are kept: {r6['parts_resumed']} parts, "
                  f"{r6['bytes_resumed']} bytes")
            check(r6.get("sent") == BIG - r6["bytes_resumed"] and r6.get("sent") < BIG,
                  f"bytes sent on the rerun {r6.get('sent')} < the file's {BIG}")
            check(r6.get("puts") == big_parts - r6["parts_resumed"],
                  f"only the missing parts are sent: {r6.get('puts')} PUT")
            check(r6["aborted"] == 1 and uploads_of(s3, "mig", "resume/") == [],
                  f"the stale upload ({stale[:12]}...) is aborted, none left: {r6}")
            rc, out, err = run(rargs + ["--verify"], env)
            check(rc == 0 and report(out).get("verified") == 1, "--verify of the resumed file")
            hb = hashlib.md5()
            body = s3.get_object(Bucket="mig", Key=key)["Body"]
            for chunk in iter(lambda: body.read(1 << 20), b""):
                hb.update(chunk)
            check(hb.digest() == hl.digest(), "resumed 200 MiB file: content equal")
            os.unlink(os.path.join(one, "big/video.mp4"))
            os.unlink(os.path.join(src, "big/video.mp4"))

            # Ghost content/ directory
            ghost = os.path.join(tmp, "content")
            files = {"images/2024/05/photo.png": 5000, "images/size/w600/2024/05/photo.png": 900,
                     "images/2024/05/photo_o.png": 7000, "media/2024/05/clip.mp4": 3000,
                     "files/2024/05/paper.pdf": 1200, "data/ghost.db": 100,
                     "logs/ghost.log": 50, "themes/casper/index.hbs": 70,
                     "settings/routes.yaml": 20}
            for rel, size in files.items():
                p = os.path.join(ghost, rel)
                os.makedirs(os.path.dirname(p), exist_ok=True)
                with open(p, "wb") as f:
                    f.write(rng.randbytes(size))
            for d, _, _ in os.walk(tmp):
                os.chmod(d, 0o755)
            s3.create_bucket(Bucket="ghost")
            rc, out, err = run([ghost, "s3://ghost/blog", "--endpoint", c.endpoint, "--ghost"],
                               env)
            check(rc == 0, f"--ghost run exit 0 ({err[-300:]})")
            check(report(out).get("heads") == 0, "a first run into an empty bucket: no HEAD")
            expect = {"blog/2024/05/photo.png": 5000, "blog/size/w600/2024/05/photo.png": 900,
                      "blog/2024/05/photo_o.png": 7000, "blog/media/2024/05/clip.mp4": 3000,
                      "blog/files/2024/05/paper.pdf": 1200}
            got = listing(s3, "ghost")
            check(got == expect, f"Ghost keys {sorted(got)}")
            # what the adapter's serve() fetches for /content/images/2024/05/photo.png:
            # Key = pathPrefix + req.path
            o = s3.get_object(Bucket="ghost", Key="blog" + "/2024/05/photo.png")
            with open(os.path.join(ghost, "images/2024/05/photo.png"), "rb") as f:
                check(o["Body"].read() == f.read() and o["ContentType"] == "image/png",
                      "image readable at the adapter's key, image/png")
            check("--include-themes" in out, "themes reported as skipped with the hint")
            rc, out, err = run([ghost, "s3://ghost/blog", "--endpoint", c.endpoint, "--ghost",
                                "--include-themes"], env)
            check(rc == 0 and report(out).get("transferred") == 1,
                  "--include-themes adds the theme only")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    done()


if __name__ == "__main__":
    main()
