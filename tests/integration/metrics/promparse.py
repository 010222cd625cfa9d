"""promparse — a strict parser of the Prometheus text exposition format 0.0.4, for tests.

parse(text) -> {family: {"type": t, "help": h, "samples": {(name, labels_tuple): value}}}
raises ValueError (with the line number) on anything the format does not allow: a name or
label that does not match the grammar, a bad escape, an unparsable value, a TYPE after the
family's samples or twice, samples of one family split in two groups, a duplicate series, a
histogram without a +Inf bucket or whose buckets are not cumulative or whose _count differs
from the +Inf bucket, a missing final newline.
"""
import math
import re

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def _value(s, ln):
    if s in ("+Inf", "Inf"):
        return math.inf
    if s == "-Inf":
        return -math.inf
    if s == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", s):
        raise ValueError(f"line {ln}: bad value {s!r}")
    return float(s)


def _labels(s, i, ln):
    """Parses {a="x",...} starting at s[i] == '{'; returns (tuple of pairs, index after '}')."""
    assert s[i] == "{"
    i += 1
    out = []
    while True:
        if s[i] == "}":
            return tuple(out), i + 1
        m = LABEL.match(s, i)
        if not m:
            raise ValueError(f"line {ln}: bad label name at {s[i:]!r}")
        name = m.group(0)
        i = m.end()
        if s[i:i + 2] != '="':
            raise ValueError(f"line {ln}: expected =\" after label {name}")
        i += 2
        v = []
        while True:
            if i >= len(s):
                raise ValueError(f"line {ln}: unterminated label value")
            c = s[i]
            if c == "\\":
                e = s[i + 1:i + 2]
                if e == "\\":
                    v.append("\\")
                elif e == '"':
                    v.append('"')
                elif e == "n":
                    v.append("\n")
                else:
                    raise ValueError(f"line {ln}: bad escape \\{e}")
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise ValueError(f"line {ln}: raw newline in label value")
            else:
                v.append(c)
                i += 1
        if any(k == name for k, _ in out):
            raise ValueError(f"line {ln}: label {name} twice")
        out.append((name, "".join(v)))
        if s[i] == ",":
            i += 1
        elif s[i] != "}":
            raise ValueError(f"line {ln}: expected , or }} after a label")


def _family_of(name, families):
    for suf in ("_bucket", "_sum", "_count"):
        if name.endswith(suf):
            base = name[:-len(suf)]
            if base in families and families[base]["type"] in ("histogram", "summary"):
                return base
    return name


def parse(text):
    if text and not text.endswith("\n"):
        raise ValueError("no final newline")
    families = {}
    done = set()  # families whose group of samples has ended
    current = None
    for ln, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME.fullmatch(name):
                    raise ValueError(f"line {ln}: bad metric name {name!r}")
                f = families.setdefault(name, {"type": None, "help": None, "samples": {}})
                if name in done or (current is not None and current != name and f["samples"]):
                    raise ValueError(f"line {ln}: {parts[1]} for {name} after its samples")
                if parts[1] == "TYPE":
                    t = parts[3] if len(parts) > 3 else ""
                    if t not in TYPES:
                        raise ValueError(f"line {ln}: bad type {t!r}")
                    if f["type"] is not None or f["samples"]:
                        raise ValueError(f"line {ln}: TYPE for {name} twice or after samples")
                    f["type"] = t
                else:
                    if f["help"] is not None:
                        raise ValueError(f"line {ln}: HELP for {name} twice")
                    h = parts[3] if len(parts) > 3 else ""
                    if re.search(r"\\[^\\n]", h.replace("\\\\", "")):
                        raise ValueError(f"line {ln}: bad escape in HELP")
                    f["help"] = h.replace("\\n", "\n").replace("\\\\", "\\")
                if current is not None and current != name:
                    done.add(current)
                current = name
            continue
        if line == "":
            continue
        m = NAME.match(line)
        if not m:
            raise ValueError(f"line {ln}: bad sample line {line!r}")
        name = m.group(0)
        i = m.end()
        labels = ()
        if i < len(line) and line[i] == "{":
            labels, i = _labels(line, i, ln)
        if i >= len(line) or line[i] != " ":
            raise ValueError(f"line {ln}: expected a space before the value")
        rest = line[i + 1:].split(" ")
        if len(rest) not in (1, 2):
            raise ValueError(f"line {ln}: junk after the value")
        value = _value(rest[0], ln)
        fam = _family_of(name, families)
        if fam in done:
            raise ValueError(f"line {ln}: samples of {fam} are not one group")
        if current is not None and current != fam:
            done.add(current)
        current = fam
        f = families.setdefault(fam, {"type": "untyped", "help": None, "samples": {}})
        if f["type"] is None:
            f["type"] = "untyped"
        key = (name, tuple(sorted(labels)))
        if key in f["samples"]:
            raise ValueError(f"line {ln}: duplicate series {key}")
        f["samples"][key] = value
    for name, f in families.items():
        if f["type"] == "histogram":
            _check_hist(name, f)
    return families


def _check_hist(name, f):
    series = {}
    for (n, labels), v in f["samples"].items():
        d = dict(labels)
        le = d.pop("le", None)
        k = tuple(sorted(d.items()))
        s = series.setdefault(k, {"buckets": [], "sum": None, "count": None})
        if n == name + "_bucket":
            if le is None:
                raise ValueError(f"{name}: bucket without le")
            s["buckets"].append((_value(le, 0), v))
        elif n == name + "_sum":
            s["sum"] = v
        elif n == name + "_count":
            s["count"] = v
        else:
            raise ValueError(f"{name}: unexpected sample {n}")
    for k, s in series.items():
        b = sorted(s["buckets"])
        if not b or b[-1][0] != math.inf:
            raise ValueError(f"{name}{k}: no le=\"+Inf\" bucket")
        if any(b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
            raise ValueError(f"{name}{k}: buckets not cumulative")
        if s["count"] is None or s["sum"] is None:
            raise ValueError(f"{name}{k}: _sum or _count missing")
        if s["count"] != b[-1][1]:
            raise ValueError(f"{name}{k}: _count {s['count']} != +Inf bucket {b[-1][1]}")


def value(fams, name, **labels):
    """The value of the series name{labels} (exact label set), or None."""
    fam = _family_of(name, fams)
    f = fams.get(fam)
    if f is None:
        return None
    return f["samples"].get((name, tuple(sorted(labels.items()))))


def hist(fams, name, **labels):
    """(count, sum, {le: cumulative}) of histogram name{labels}, or None."""
    f = fams.get(name)
    if f is None:
        return None
    key = tuple(sorted(labels.items()))
    out = {}
    for (n, ls), v in f["samples"].items():
        d = dict(ls)
        le = d.pop("le", None)
        if tuple(sorted(d.items())) != key:
            continue
        if n == name + "_bucket":
            out[le] = v
    cnt = f["samples"].get((name + "_count", key))
    sm = f["samples"].get((name + "_sum", key))
    if cnt is None:
        return None
    return cnt, sm, out
