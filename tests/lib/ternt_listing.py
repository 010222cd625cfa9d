"""ternt_listing — what an S3 listing of a set of keys must be, computed here without the
server, for the tests to compare with what tern (and a client over it) answers."""


def model(keys, prefix="", delim=""):
    """(contents keys, common prefixes) of a complete listing of keys with prefix and
    delimiter, both in S3's order (UTF-8 bytes, which is Python's code-point order for str)."""
    contents, prefixes = [], []
    for k in sorted(keys):
        if not k.startswith(prefix):
            continue
        rest = k[len(prefix):]
        if delim and delim in rest:
            cp = prefix + rest[:rest.index(delim) + len(delim)]
            if not prefixes or prefixes[-1] != cp:
                prefixes.append(cp)
        else:
            contents.append(k)
    return contents, prefixes
