"""ternt_cluster — a real local tern cluster for integration and fault tests: N simulated
hosts x M OSDs (tern-osd processes) and one or more tern-gateway processes on free loopback
ports, in a temporary directory, from a generated config file.

    with Cluster(osd_bin, gw_bin) as c:      # starts everything, waits for the ports
        s3 = c.s3()                          # boto3 client (path style, no retries)
        c.kill_osd(0); c.start_osd(0)        # SIGKILL / restart one OSD
        c.kill_host(1)                       # both OSDs of host b
        c.freeze_osd(3); c.thaw_osd(3)       # SIGSTOP / SIGCONT
        env = c.aws_env()                    # environment for aws-cli
    # leaving the block kills every process it started, by PID (SIGCONT first for frozen
    # ones), and removes the directory unless TERN_KEEP_TMP is set (then it is printed).

Binaries come from the command line of the test (ctest passes $<TARGET_FILE:...>). Every
wait is bounded. Nothing here listens anywhere but 127.0.0.1 — except with netns=True:

    with Cluster(osd_bin, gw_bin, netns=True) as c:   # needs root (ip netns, veth, bridge)
        c.link_down(1); c.link_up(1)                   # cut host b off the network / return it

each simulated host h then gets a network namespace "tern<pid>h<h>" whose eth0 (10.77.S.h+1/24,
S = a subnet from this PID) is one end of a veth pair; the other end, "ternv<pid>h<h>", is on a
bridge "ternbr<pid>" (10.77.S.254) in the root namespace, where gateways, clients and ternctl
run. A host's OSDs run inside its namespace (ip netns exec execs, so the PID is the OSD's) and
listen on its address. close() deletes the namespaces (and with them the veth pairs) and the
bridge; namespaces and bridges left by a test process that died are removed at the next setup.
Setup failing (not root, no bridge support) raises: a test that asked for namespaces fails.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from ternt import free_ports

AK = "TERNTESTACCESSKEY001"
SK = "tern-test-secret-key-0000000000000001"
AK2 = "TERNTESTACCESSKEY002"
SK2 = "tern-test-secret-key-0000000000000002"
HOSTS = "abcdefgh"
# cluster.key: seals the secrets of access keys in the metadata (ternctl key create)
CLUSTER_KEY = "00112233445566778899aabbccddeeff" * 2


def wait_port(port, proc=None, secs=15.0, host="127.0.0.1"):
    """True once host:port accepts a connection; False if proc exits or secs pass."""
    end = time.time() + secs
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            socket.create_connection((host, port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def rss_kib(pid):
    """Resident set size of pid in KiB (VmRSS), or -1 if it cannot be read."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def hwm_kib(pid):
    """Peak resident set size of pid in KiB (VmHWM), or -1."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


class Cluster:
    """A local cluster; see the module comment. gateway_yaml / top_yaml are extra YAML lines
    appended under `gateway:` (indented by the caller with two spaces) and at the top level."""

    def __init__(self, osd_bin, gw_bin, hosts=3, osds_per_host=2, gateways=1, gateway_yaml="",
                 top_yaml="", name="tern-test", start=True, netns=False):
        self.osd_bin, self.gw_bin = osd_bin, gw_bin
        self.netns = _Netns(hosts) if netns else None
        self.n_hosts, self.per_host = hosts, osds_per_host
        self.n_osds = hosts * osds_per_host
        self.tmp = tempfile.mkdtemp(prefix=name + "-")
        ports = free_ports(2 * (self.n_osds + gateways))
        self.osd_ports = ports[:self.n_osds]
        self.gw_ports = ports[self.n_osds:self.n_osds + gateways]
        # admin HTTP ports (/metrics, /health/*): osd i, then gateway g
        admin = ports[self.n_osds + gateways:]
        self.osd_admin_ports = admin[:self.n_osds]
        self.gw_admin_ports = admin[self.n_osds:]
        self.procs = {}
        self.frozen = set()
        self._logs = []
        self._yaml = (name, hosts, osds_per_host, gateway_yaml, top_yaml)
        self.osd_hosts = [i // osds_per_host for i in range(self.n_osds)]  # host index per OSD
        self.config = self._write_config(0)
        for g in range(1, gateways):
            self._write_config(g)
        self.endpoint = f"http://127.0.0.1:{self.gw_ports[0]}"
        if start:
            try:
                self.start()
            except BaseException:
                self.close()
                raise

    def config_path(self, g=0):
        """The config file of gateway g (they differ only in gateway.listen, as on real
        servers); OSDs use gateway 0's."""
        return os.path.join(self.tmp, "cluster.yaml" if g == 0 else f"cluster-gw{g}.yaml")

    def _write_config(self, g):
        name, hosts, per_host, gateway_yaml, top_yaml = self._yaml
        path = self.config_path(g)
        with open(path, "w") as f:
            f.write("cluster: {name: %s, id: 00112233445566778899aabbccddeeff, key: %s}\n"
                    % (name, CLUSTER_KEY))
            f.write("hosts: [%s]\nosds:\n" % ", ".join(
                "{name: %s}" % HOSTS[h] for h in range(hosts)))
            for i in range(self.n_osds):
                f.write(f"  - {{id: {i}, host: {HOSTS[self.osd_hosts[i]]}, "
                        f"addr: {self.osd_host(i)}:{self.osd_ports[i]}, data: {self.tmp}/osd.{i}, "
                        f"admin_listen: {self.osd_host(i)}:{self.osd_admin_ports[i]}}}\n")
            f.write(f"gateway:\n  listen: [\"127.0.0.1:{self.gw_ports[g]}\"]\n"
                    f"  admin_listen: 127.0.0.1:{self.gw_admin_ports[g]}\n"
                    f"  tmp_dir: {self.tmp}/gwtmp\n"
                    f"  credentials:\n    - {{access_key: {AK}, secret_key: {SK}}}\n"
                    f"    - {{access_key: {AK2}, secret_key: {SK2}}}\n")
            if gateway_yaml:
                f.write(gateway_yaml.rstrip("\n") + "\n")
            if top_yaml:
                f.write(top_yaml.rstrip("\n") + "\n")
        return path

    def osd_host(self, i):
        """The address osd.i listens on: 127.0.0.1, or its host's namespace address."""
        return "127.0.0.1" if self.netns is None else self.netns.addr(self.osd_hosts[i])

    def add_osd(self, host):
        """Adds osd.N (N = the next id) on host index `host` to every config file (as an
        operator adds a disk's entry) without starting it; returns N. The running daemons keep
        their map: `ternctl osd add` puts the OSD into it."""
        i = self.n_osds
        port, admin = free_ports(2)
        self.osd_ports.append(port)
        self.osd_admin_ports.append(admin)
        self.osd_hosts.append(host)
        self.n_osds += 1
        for g in range(len(self.gw_ports)):
            self._write_config(g)
        return i

    # ---- lifecycle ----
    def _spawn(self, name, argv):
        log = open(os.path.join(self.tmp, name + ".log"), "ab")
        self._logs.append(log)
        p = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        self.procs[name] = p
        return p

    def start(self):
        """Starts every OSD not running (all at once, then waits for each port), then the
        gateways; raises if one does not come up."""
        if self.netns is not None and not self.netns.made:
            self.netns.setup()
        spawned = [(i, self._spawn_osd(i)) for i in range(self.n_osds)]
        for i, p in spawned:
            self._wait_osd(i, p)
        for g in range(len(self.gw_ports)):
            self.start_gateway(g)

    def _spawn_osd(self, i):
        p = self.procs.get(f"osd.{i}")
        if p is not None and p.poll() is None:
            return p
        argv = [self.osd_bin, "--config", self.config, "--id", str(i)]
        if self.netns is not None:
            argv = ["ip", "netns", "exec", self.netns.ns(self.osd_hosts[i])] + argv
        return self._spawn(f"osd.{i}", argv)

    def _wait_osd(self, i, p):
        if not wait_port(self.osd_ports[i], p, host=self.osd_host(i)):
            raise RuntimeError(f"osd.{i} did not start; see {self.tmp}/osd.{i}.log")
        return p

    def start_osd(self, i):
        """Starts osd.i (if not running) and waits for its port; raises if it does not come up."""
        return self._wait_osd(i, self._spawn_osd(i))

    def start_gateway(self, g=0):
        """Starts gateway g with its own config file (its own listen port)."""
        name = "gw" if g == 0 else f"gw{g}"
        p = self.procs.get(name)
        if p is not None and p.poll() is None:
            return p
        p = self._spawn(name, [self.gw_bin, "--config", self.config_path(g)])
        if not wait_port(self.gw_ports[g], p):
            raise RuntimeError(f"{name} did not start; see {self.tmp}/{name}.log")
        return p

    def pid(self, name):
        return self.procs[name].pid

    def running(self, name):
        p = self.procs.get(name)
        return p is not None and p.poll() is None

    def send_signal(self, name, sig):
        p = self.procs.get(name)
        if p is not None and p.poll() is None:
            p.send_signal(sig)

    def kill(self, name, sig=signal.SIGKILL, wait=True):
        p = self.procs.get(name)
        if p is None or p.poll() is not None:
            return
        if name in self.frozen:
            p.send_signal(signal.SIGCONT)
            self.frozen.discard(name)
        p.send_signal(sig)
        if wait:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def kill_osd(self, i, sig=signal.SIGKILL):
        self.kill(f"osd.{i}", sig)

    def host_osds(self, h):
        return [i for i in range(self.n_osds) if self.osd_hosts[i] == h]

    def kill_host(self, h):
        for i in self.host_osds(h):
            self.kill_osd(i)

    def start_host(self, h):
        for i in self.host_osds(h):
            self.start_osd(i)

    def freeze_osd(self, i):
        self.send_signal(f"osd.{i}", signal.SIGSTOP)
        self.frozen.add(f"osd.{i}")

    def thaw_osd(self, i):
        self.send_signal(f"osd.{i}", signal.SIGCONT)
        self.frozen.discard(f"osd.{i}")

    def link_down(self, h):
        """Takes host h's link down (its veth end on the bridge): nothing reaches it."""
        self.netns.link(h, "down")

    def link_up(self, h):
        self.netns.link(h, "up")

    def close(self):
        for name, p in self.procs.items():
            if p.poll() is None:
                if name in self.frozen:
                    p.send_signal(signal.SIGCONT)
                p.kill()
                p.wait()
        self.frozen.clear()
        if self.netns is not None:
            self.netns.teardown()
        for log in self._logs:
            log.close()
        self._logs = []
        if os.environ.get("TERN_KEEP_TMP"):
            print("kept", self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # ---- clients ----
    def s3(self, ak=AK, sk=SK, gateway=0, retries=1, read_timeout=30, **config):
        """A boto3 S3 client on gateway g, path style, `retries` total attempts."""
        import boto3
        from botocore.config import Config
        return boto3.client(
            "s3", endpoint_url=f"http://127.0.0.1:{self.gw_ports[gateway]}",
            aws_access_key_id=ak, aws_secret_access_key=sk, region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"},
                          retries={"total_max_attempts": retries}, connect_timeout=5,
                          read_timeout=read_timeout, **config))

    def aws_env(self, ak=AK, sk=SK):
        """Environment for running aws-cli against the cluster (pass --endpoint-url too)."""
        env = dict(os.environ)
        cfg = os.path.join(self.tmp, "aws-config")
        with open(cfg, "w") as f:
            f.write("[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n")
        env.update(AWS_ACCESS_KEY_ID=ak, AWS_SECRET_ACCESS_KEY=sk, AWS_DEFAULT_REGION="us-east-1",
                   AWS_CONFIG_FILE=cfg, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                   AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")
        return env

    def admin_get(self, path, osd=None, gateway=0, timeout=5):
        """GET path on the admin port of osd (an id) or of gateway g: (status, body text)."""
        import urllib.error
        import urllib.request
        if osd is not None:
            host, port = self.osd_host(osd), self.osd_admin_ports[osd]
        else:
            host, port = "127.0.0.1", self.gw_admin_ports[gateway]
        try:
            with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def log_text(self, name):
        with open(os.path.join(self.tmp, name + ".log"), errors="replace") as f:
            return f.read()


def _ip(*args, check=True):
    r = subprocess.run(["ip"] + list(args), capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {r.stderr.strip()} (network namespaces "
                           "need root and iproute2)")
    return r.stdout


class _Netns:
    """The namespaces, veth pairs and bridge of a Cluster(netns=True); see the module comment."""

    def __init__(self, hosts):
        self.hosts, self.tag = hosts, str(os.getpid())
        self.subnet = f"10.77.{os.getpid() % 250}"
        self.bridge = "ternbr" + self.tag
        self.made = False

    def ns(self, h):
        return f"tern{self.tag}h{h}"

    def veth(self, h):
        return f"ternv{self.tag}h{h}"

    def addr(self, h):
        return f"{self.subnet}.{h + 1}"

    @staticmethod
    def _reap_stale():
        """Deletes namespaces and bridges named after test processes that no longer exist."""
        for m in re.finditer(r"^tern(\d+)h\d+", _ip("netns", "list"), re.M):
            if not os.path.exists(f"/proc/{m.group(1)}"):
                _ip("netns", "del", m.group(0), check=False)
        for m in re.finditer(r"\d+: (ternbr(\d+))[:@]", _ip("-o", "link", "show")):
            if not os.path.exists(f"/proc/{m.group(2)}"):
                _ip("link", "del", m.group(1), check=False)

    def setup(self):
        self._reap_stale()
        self.made = True
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.subnet}.254/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for h in range(self.hosts):
            ns = self.ns(h)
            _ip("netns", "add", ns)
            _ip("link", "add", self.veth(h), "type", "veth", "peer", "name", "eth0", "netns", ns)
            _ip("link", "set", self.veth(h), "master", self.bridge, "up")
            _ip("-n", ns, "addr", "add", f"{self.addr(h)}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "link", "set", "eth0", "up")

    def link(self, h, state):
        _ip("link", "set", self.veth(h), state)

    def teardown(self):
        if not self.made:
            return
        for h in range(self.hosts):
            _ip("netns", "del", self.ns(h), check=False)
        _ip("link", "del", self.bridge, check=False)
        self.made = False
