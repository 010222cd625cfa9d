#!/usr/bin/python3
"""The deployment files, checked without Docker, and the three-host layout brought up on this
machine by the very commands docs/DEPLOY.md prints.

Usage: test_deploy.py SOURCE_DIR BINARY_DIR [sanitized|plain]. Needs python3-yaml, python3-boto3, haproxy and
systemd-analyze (tools/dev TEST_PKGS). Prints "N passed, N failed".

  1. docker/Dockerfile: parsed instruction by instruction; two stages on debian:12; the build
     stage's packages are tools/dev BUILD_PKGS; every COPY source exists in the build context
     (the repository top), and that set of files configures with the RUN's cmake flags; the
     runtime packages provide every shared library the three binaries load; non-root user,
     volumes, health check on /health/ready.
  2. docker/compose.yaml (YAML): build context and Dockerfile exist, every bind mount exists,
     OSD services match docker/cluster.yaml (ids, hosts), gateways match haproxy.cfg, named
     volumes are declared; docker/cluster.yaml passes `ternctl config check`;
     `haproxy -c` accepts docker/haproxy.cfg.
  3. systemd/*.service: `systemd-analyze verify` (with ExecStart pointing at this build's
     binaries) prints nothing; a unit with a typo makes it complain (the check can fail).
  4. docs/DEPLOY.md's "Try it on one machine" block, run by bash word for word except for
     the ports and the directory (free ports, a temp dir): `ternctl cluster init` with three
     loopback "hosts", six OSDs, two gateways, haproxy in front. Then the smoke test: bucket,
     put and get through each gateway and through haproxy; host3's OSDs killed (SIGKILL by
     PID): everything still works; gateway 1 killed: haproxy still serves.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import yaml

from ternt import check, done, free_ports

SRC, BIN = sys.argv[1], sys.argv[2]
# "sanitized": BIN is an ASan/UBSan build, whose runtime also loads the unwinder (libgcc_s);
# the image is built in Release, without it.
SANITIZED = len(sys.argv) > 3 and sys.argv[3] == "sanitized"
TERNCTL = os.path.join(BIN, "tools/ternctl")
DOCKER = os.path.join(SRC, "docker")


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, **kw)


# ---------------------------------------------------------------- Dockerfile

def dockerfile_instructions(path):
    """[(INSTRUCTION, args, line)] with continuation lines joined and comments dropped."""
    out, cur, start = [], "", 0
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not cur and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if cur and line.lstrip().startswith("#"):
                continue
            if not cur:
                start = n
            if line.endswith("\\"):
                cur += line[:-1] + " "
                continue
            cur += line
            word, _, args = cur.strip().partition(" ")
            out.append((word.upper(), args.strip(), start))
            cur = ""
    check(cur == "", "Dockerfile: no dangling continuation at the end", cur)
    return out


KNOWN = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
         "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}


def apt_packages(run_args):
    """Package names of an `apt-get install` inside a RUN."""
    m = re.search(r"apt-get install ([^&]*)", run_args)
    return [w for w in m.group(1).split() if not w.startswith("-")] if m else []


def tools_dev_build_pkgs():
    text = open(os.path.join(SRC, "tools/dev")).read()
    m = re.search(r"BUILD_PKGS=\(([^)]*)\)", text)
    return set(m.group(1).split())


def test_dockerfile():
    ins = dockerfile_instructions(os.path.join(DOCKER, "Dockerfile"))
    check(all(i[0] in KNOWN for i in ins), "Dockerfile: only known instructions",
          [i for i in ins if i[0] not in KNOWN])
    froms = [i for i in ins if i[0] == "FROM"]
    check([f[1] for f in froms] == ["debian:12 AS build", "debian:12"],
          "Dockerfile: two stages on debian:12, the first named build", froms)
    split = ins.index(froms[1])
    build, final = ins[:split], ins[split:]
    build_pkgs = [p for i in build if i[0] == "RUN" for p in apt_packages(i[1])]
    dev = tools_dev_build_pkgs()
    check(build_pkgs and set(build_pkgs) <= dev, "build stage packages come from tools/dev BUILD_PKGS",
          set(build_pkgs) - dev)
    # COPY sources exist in the context (the repository top)
    copies = [i for i in build if i[0] == "COPY"]
    srcs = [a.split()[0] for a in (c[1] for c in copies)]
    for s in srcs:
        check(os.path.exists(os.path.join(SRC, s)), f"COPY source {s} exists")
    # those files alone configure with the RUN's flags (what `docker build` will run)
    runs = " ".join(i[1] for i in build if i[0] == "RUN" and "cmake -S" in i[1])
    flags = re.findall(r"-D\S+", runs)
    check("-DTERN_BUILD_TESTS=OFF" in flags and "-DCMAKE_BUILD_TYPE=Release" in flags,
          "build stage: Release, no tests", flags)
    with tempfile.TemporaryDirectory(prefix="tern-docker-ctx-") as ctx:
        for s in srcs:
            p = os.path.join(SRC, s)
            (shutil.copytree if os.path.isdir(p) else shutil.copy)(p, os.path.join(ctx, s))
        p = run(["cmake", "-S", ctx, "-B", os.path.join(ctx, "build"), *flags])
        check(p.returncode == 0, "the COPY'd files configure with the Dockerfile's flags",
              p.stderr[-2000:])
    targets = re.search(r"--target ([\w -]+?)\s*&&", runs)
    check(targets and set(targets.group(1).split()) == {"tern-osd", "tern-gateway", "ternctl"},
          "build stage builds the three binaries", runs)
    top = open(os.path.join(SRC, "CMakeLists.txt")).read()
    check(re.search(r"install\(TARGETS tern-osd tern-gateway ternctl RUNTIME DESTINATION bin\)",
                    top) is not None, "CMake installs the three binaries to bin")
    cp = [i for i in final if i[0] == "COPY"]
    check(len(cp) == 1 and cp[0][1].startswith("--from=build ") and all(
        f"/usr/local/bin/{b}" in cp[0][1] for b in ("tern-osd", "tern-gateway", "ternctl")),
        "runtime stage copies the installed binaries from the build stage", cp)
    # runtime packages provide every library the binaries load
    rt = [p for i in final if i[0] == "RUN" for p in apt_packages(i[1])]
    shown = run(["apt-cache", "show", "--no-all-versions", *rt]).stdout
    known = set(re.findall(r"^Package: (\S+)$", shown, re.M))
    for p in rt:
        check(p in known, f"runtime package {p} exists (apt-cache show)")
    provided = set(rt) | {"libc6"} | ({"libgcc-s1"} if SANITIZED else set())
    q = run(["dpkg-query", "-W", "-f=${Depends},", *rt])
    provided |= {d.split()[0].split(":")[0] for d in q.stdout.replace("|", ",").split(",")
                 if d.strip()}
    for b in ("osd/tern-osd", "gateway/tern-gateway", "tools/ternctl"):
        libs = re.findall(r"=> (/\S+)", run(["ldd", os.path.join(BIN, b)]).stdout)
        owners = {}  # path -> package, from one dpkg -S call (paths as ldd prints and resolved)
        paths = sorted(set(libs) | {os.path.realpath(x) for x in libs})
        for line in run(["dpkg", "-S", *paths]).stdout.splitlines():
            pkg, _, path = line.partition(": ")
            owners[path.strip()] = pkg.split(":")[0]
        for lib in libs:
            pkg = owners.get(lib) or owners.get(os.path.realpath(lib), "?")
            check(pkg in provided, f"{b}: {os.path.basename(lib)} ({pkg}) is in the runtime image",
                  rt)
    users = [i[1] for i in final if i[0] == "USER"]
    check(users == ["tern"], "runtime runs as user tern", users)
    vols = " ".join(i[1] for i in final if i[0] == "VOLUME")
    check('"/var/lib/tern"' in vols and '"/etc/tern"' in vols, "volumes /var/lib/tern and /etc/tern",
          vols)
    hc = [i[1] for i in final if i[0] == "HEALTHCHECK"]
    check(len(hc) == 1 and "curl" in hc[0] and "127.0.0.1:9000/health/ready" in hc[0]
          and "curl" in " ".join(rt), "health check: curl /health/ready (curl installed)", hc)


# ---------------------------------------------------------------- compose, cluster.yaml

def ternctl_osds(cfg):
    p = run([TERNCTL, "config", "osds", "--config", cfg])
    check(p.returncode == 0, f"ternctl config osds {cfg}", p.stderr)
    return {int(f[0]): (f[1], f[2], f[3]) for f in (l.split() for l in p.stdout.splitlines())}


def test_compose():
    cfg = os.path.join(DOCKER, "cluster.yaml")
    p = run([TERNCTL, "config", "check", "--config", cfg])
    check(p.returncode == 0 and "3 hosts, 6 osds" in p.stdout, "docker/cluster.yaml is valid",
          p.stdout + p.stderr)
    osds = ternctl_osds(cfg)
    with open(os.path.join(DOCKER, "compose.yaml")) as f:
        doc = yaml.safe_load(f)
    services = doc.get("services", {})
    check(set(services) == {"host1", "host2", "host3", "osd0", "osd1", "osd2", "osd3", "osd4",
                            "osd5", "gateway1", "gateway2", "haproxy"},
          "compose: three hosts, six OSDs, two gateways, haproxy", sorted(services))
    b = services["host1"].get("build", {})
    check(os.path.isfile(os.path.join(DOCKER, b.get("context", "?"), b.get("dockerfile", "?"))),
          "compose: build context + dockerfile exist", b)
    declared = set((doc.get("volumes") or {}).keys())
    for name, svc in services.items():
        for v in svc.get("volumes", []):
            src = v.split(":")[0]
            if src.startswith("."):
                check(os.path.exists(os.path.join(DOCKER, src)), f"{name}: mount source {src} exists")
            else:
                check(src in declared, f"{name}: named volume {src} is declared")
        if name.startswith("osd") or name.startswith("gateway"):
            check(svc.get("image") == "tern:latest", f"{name}: runs the tern image")
    for i, (host, addr, data) in osds.items():
        svc = services.get(f"osd{i}", {})
        check(svc.get("network_mode") == f"service:{host}", f"osd{i} runs on {host}",
              svc.get("network_mode"))
        check(svc.get("command") == ["tern-osd", "--config", "/etc/tern/cluster.yaml", "--id",
                                     str(i)], f"osd{i}: command", svc.get("command"))
        check(addr.startswith(host + ":"), f"osd.{i} address is on its host's name", addr)
        check(data.startswith("/var/lib/tern/"), f"osd.{i} data is in the /var/lib/tern volume")
    hap = open(os.path.join(DOCKER, "haproxy.cfg")).read()
    for g in ("gateway1", "gateway2"):
        host = services[g].get("network_mode", "").split(":")[-1]
        check(re.search(rf"^\s*server \w+ {host}:9000\b", hap, re.M) is not None,
              f"haproxy.cfg sends to {g} on {host}:9000")
    check(any("haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg" in v
              for v in services["haproxy"].get("volumes", [])) and
          services["haproxy"].get("image", "").startswith("haproxy:"),
          "haproxy: official image with docker/haproxy.cfg mounted")
    p = run(["haproxy", "-c", "-f", os.path.join(DOCKER, "haproxy.cfg")])
    check(p.returncode == 0, "haproxy -c accepts docker/haproxy.cfg", p.stdout + p.stderr)


# ---------------------------------------------------------------- systemd

def test_systemd(tmp):
    if not check(shutil.which("systemd-analyze") is not None, "systemd-analyze is installed"):
        return
    d = os.path.join(tmp, "units")
    bindir = os.path.join(tmp, "bin")
    os.makedirs(d)
    os.makedirs(bindir)
    for b in ("osd/tern-osd", "gateway/tern-gateway", "tools/ternctl"):
        os.symlink(os.path.join(BIN, b), os.path.join(bindir, os.path.basename(b)))
    units = sorted(f for f in os.listdir(os.path.join(SRC, "systemd")) if f.endswith(".service"))
    check(units == ["tern-gateway.service", "tern-osd@.service"], "systemd: the two units", units)
    for u in units:
        text = open(os.path.join(SRC, "systemd", u)).read()
        for opt in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=-/var/lib/tern",
                    "ProtectHome=yes", "PrivateTmp=yes", "Restart=on-failure", "LimitNOFILE=",
                    "User=tern"):
            check(opt in text, f"{u}: {opt}")
        with open(os.path.join(d, u), "w") as f:
            f.write(text.replace("/usr/local/bin/", bindir + "/"))
    p = run(["systemd-analyze", "verify", os.path.join(d, "tern-gateway.service"),
             os.path.join(d, "tern-osd@.service")], cwd=d)
    check(p.returncode == 0 and p.stdout.strip() == "" and p.stderr.strip() == "",
          "systemd-analyze verify: no complaint", p.stdout + p.stderr)
    p = run(["systemd-analyze", "verify", os.path.join(d, "tern-osd@.service").replace("@.", "@3.")],
            cwd=d)
    check(p.returncode == 0 and p.stderr.strip() == "", "an instance (tern-osd@3) verifies", p.stderr)
    with open(os.path.join(d, "tern-bad.service"), "w") as f:
        f.write(open(os.path.join(d, "tern-gateway.service")).read().replace("ProtectHome=",
                                                                             "ProtectHoem="))
    p = run(["systemd-analyze", "verify", os.path.join(d, "tern-bad.service")], cwd=d)
    check("ProtectHoem" in p.stderr, "verify does complain about a typo (the check can fail)",
          p.stderr)


# ---------------------------------------------------------------- one machine

def doc_block():
    """The shell block of docs/DEPLOY.md's "Try it on one machine" section."""
    text = open(os.path.join(SRC, "docs/DEPLOY.md")).read()
    m = re.search(r"^## Try it on one machine\n.*?^```sh\n(.*?)^```", text, re.M | re.S)
    check(m is not None, "DEPLOY.md has the one-machine block")
    return m.group(1) if m else ""


def ports_free(host, port):
    s = socket.socket()
    try:
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def osd_base_port():
    for _ in range(50):
        p = free_ports(1)[0]
        if p < 65000 and all(ports_free(f"127.0.1.{h}", q) for h in (1, 2, 3) for q in (p, p + 1)):
            return p
    raise RuntimeError("no two consecutive free ports")


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)


def wait_status(url, want, secs=20.0, text=""):
    end = time.time() + secs
    st = http_status(url)
    while (st[0] != want or text not in st[1]) and time.time() < end:
        time.sleep(0.25)
        st = http_status(url)
    return st


def s3_client(endpoint, ak, sk):
    import boto3
    from botocore.config import Config
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=ak,
                        aws_secret_access_key=sk, region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"},
                                      retries={"total_max_attempts": 1}, connect_timeout=5,
                                      read_timeout=30))


def test_one_machine(tmp):
    block = doc_block()
    prefix = os.path.join(tmp, "tern-local")
    osd_port = osd_base_port()
    hap, gw1, gw2 = free_ports(3)
    # the only changes: the first line's values (ports, directory, build dir), recording PIDs
    first, _, rest = block.partition("\n")
    check(first.startswith("B=build/release D=/tmp/tern-local OSD_PORT="),
          "the block starts with its settings line", first)
    script = (f"B={BIN} D={prefix} OSD_PORT={osd_port} LB={hap} GW1={gw1} GW2={gw2}\n" + rest)
    script = re.sub(r"&\s*$", f"& echo $! >> {tmp}/pids", script, flags=re.M)
    check(script.count(f"echo $! >> {tmp}/pids") >= 3, "the block starts daemons in the background")
    p = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=SRC, capture_output=True,
                       text=True, timeout=120)
    pids = []
    if os.path.exists(os.path.join(tmp, "pids")):
        pids = [int(x) for x in open(os.path.join(tmp, "pids")).read().split()]
    try:
        check(p.returncode == 0, "the DEPLOY.md block runs", p.stdout[-3000:] + p.stderr[-3000:])
        smoke(p.stdout, prefix, pids, hap, gw1, gw2)
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass  # not our child (bash started it): gone once killed


def smoke(out, prefix, pids, hap, gw1, gw2):
    m_ak = re.search(r"access key: (\S+)", out)
    m_sk = re.search(r"secret key: (\S+)", out)
    if not check(m_ak and m_sk, "ternctl cluster init printed the credentials", out):
        return
    ak, sk = m_ak.group(1), m_sk.group(1)
    cfg = prefix + ".yaml"
    m_key = re.search(r"cluster key \(.*?\):\n  ([0-9a-f]{64})\n", out, re.S)
    key_in_file = re.search(r"^  key: ([0-9a-f]{64})$", open(cfg).read(), re.M)
    check(m_key and key_in_file and m_key.group(1) == key_in_file.group(1) and
          out.count(m_key.group(1)) == 1, "the cluster key is printed once, as in the file", out)
    p = run([TERNCTL, "config", "check", "--config", cfg])
    check(p.returncode == 0, "the generated config passes ternctl config check", p.stderr)
    check(oct(os.stat(cfg).st_mode & 0o777) == "0o600", "the config is mode 600 (secrets)")
    osds = ternctl_osds(cfg)
    hosts = sorted({h for h, _, _ in osds.values()})
    check(hosts == ["host1", "host2", "host3"] and len(osds) == 6, "3 hosts x 2 OSDs", osds)
    # printed per-host commands name this host's OSDs
    check("systemctl enable --now tern-osd@4 tern-osd@5 tern-gateway" in out,
          "per-host systemd lines are printed", out)
    check(len(pids) == 9, "6 OSDs, 2 gateways and haproxy started", pids)
    if len(pids) != 9:
        return
    eps = {"gateway 1": f"http://127.0.0.1:{gw1}", "gateway 2": f"http://127.0.0.1:{gw2}",
           "haproxy": f"http://127.0.0.1:{hap}"}
    for name, ep in eps.items():
        st = wait_status(ep + "/health/ready", 200, text="6/6 OSDs answering on 3 hosts")
        check(st[0] == 200 and "6/6 OSDs answering on 3 hosts" in st[1], f"{name}: ready",
              st)
    c = {n: s3_client(ep, ak, sk) for n, ep in eps.items()}
    c["gateway 1"].create_bucket(Bucket="site1")
    big = os.urandom(5 << 20)  # chunked blobs (over inline_max and over one 4 MiB chunk)
    c["gateway 1"].put_object(Bucket="site1", Key="a.txt", Body=b"through gateway 1")
    c["gateway 2"].put_object(Bucket="site1", Key="big.bin", Body=big)
    c["haproxy"].put_object(Bucket="site1", Key="c.txt", Body=b"through haproxy")
    for name, cl in c.items():
        check(cl.get_object(Bucket="site1", Key="a.txt")["Body"].read() == b"through gateway 1",
              f"get a.txt through {name}")
        check(cl.get_object(Bucket="site1", Key="big.bin")["Body"].read() == big,
              f"get big.bin (5 MiB) through {name}")
        check(cl.get_object(Bucket="site1", Key="c.txt")["Body"].read() == b"through haproxy",
              f"get c.txt through {name}")
    # a server dies: host3's OSDs (ids 4, 5: the 5th and 6th PIDs)
    for i in (4, 5):
        os.kill(pids[i], signal.SIGKILL)
    for name, cl in c.items():
        key = f"after-{name.replace(' ', '')}"
        cl.put_object(Bucket="site1", Key=key, Body=name.encode())
        check(cl.get_object(Bucket="site1", Key=key)["Body"].read() == name.encode(),
              f"host3 down: put and get through {name}")
        check(cl.get_object(Bucket="site1", Key="big.bin")["Body"].read() == big,
              f"host3 down: old data through {name}")
    time.sleep(1.1)
    for name, ep in eps.items():
        st = http_status(ep + "/health/ready")
        check(st[0] == 200 and "4/6 OSDs answering on 2 hosts" in st[1],
              f"host3 down: {name} still ready", st)
    # a gateway dies: haproxy keeps serving through the other one
    os.kill(pids[6], signal.SIGKILL)
    ok_count, end = 0, time.time() + 20
    while ok_count < 10 and time.time() < end:
        try:
            body = c["haproxy"].get_object(Bucket="site1", Key="a.txt")["Body"].read()
            ok_count = ok_count + 1 if body == b"through gateway 1" else 0
        except Exception:  # noqa: BLE001 — until haproxy notices (retries, health checks)
            ok_count = 0
            time.sleep(0.2)
    check(ok_count == 10, "gateway 1 down: 10 gets in a row through haproxy", ok_count)


def main():
    tmp = tempfile.mkdtemp(prefix="tern-deploy-")
    try:
        for t in (test_dockerfile, test_compose, lambda: test_systemd(tmp),
                  lambda: test_one_machine(tmp)):
            t0 = time.time()
            try:
                t()
            except Exception as e:  # noqa: BLE001 — count it and go on with the next part
                import traceback
                traceback.print_exc()
                check(False, f"{getattr(t, '__name__', 'test')} raised", repr(e))
            print(f"part took {time.time() - t0:.1f}s")
    finally:
        if os.environ.get("TERN_KEEP_TMP"):
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
