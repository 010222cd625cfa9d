"""ternt — what tern's Python tests share: counted checks with the closing line CI reads
("N passed, N failed") and free loopback ports. ctest puts this directory on PYTHONPATH."""
import random
import socket
import sys

passed = 0
failed = 0


def check(cond, what, detail=""):
    """Counts one check; prints what failed (and detail) to stderr. Returns cond."""
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"not ok - {what}\n    {detail}", file=sys.stderr)
    return cond


def done():
    """Prints the closing line and returns the exit status: 0 only if something was checked
    and nothing failed."""
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


_handed_out = set()


def free_ports(n=1):
    """n distinct loopback ports that were free a moment ago (all bound at once, then closed).

    Chosen at random BELOW the kernel's ephemeral range (32768-60999 by default): a port
    bind(0) hands out comes from the same pool as the local ports of outgoing connections, and
    with several test clusters connecting to each other on this machine one of them could take
    the port before the daemon binds it (seen: an OSD that "did not start"). A port is never
    handed out twice by one process."""
    rnd = random.SystemRandom()
    socks, ports = [], []
    try:
        for _ in range(2000):
            if len(ports) == n:
                return ports
            port = rnd.randrange(20000, 32000)
            if port in _handed_out:
                continue
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            socks.append(s)
            ports.append(port)
            _handed_out.add(port)
        raise RuntimeError(f"no {n} free loopback ports in 20000-31999")
    finally:
        for s in socks:
            s.close()
