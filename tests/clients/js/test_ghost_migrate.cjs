// test_ghost_migrate.cjs — a Ghost site's content/ directory moved with
// `tern-migrate --ghost` is served through ghost-storage-adapter-s3 configured as
// docs/MIGRATION.md says (same bucket, pathPrefix "content/images", assetHost
// ENDPOINT/BUCKET; media and files through their own adapter instances with pathPrefix
// "content/images/media" and "content/images/files"):
//  - the tree: images with size variants and _o originals (odd names too), media (a video
//    large enough for a multipart upload), files; plus data/, logs/, themes/, settings/ that
//    must stay behind;
//  - exactly the expected keys arrive, nothing from data/ logs/ themes/ settings/;
//  - exists() / read() through the adapter, byte-exact, for every migrated file;
//  - serve() answers the paths Ghost's routes hand it (/2024/01/x.jpg under /content/images);
//  - the URLs Ghost keeps in its database (__GHOST_URL__/content/images/2024/01/x.jpg),
//    rewritten to the assetHost, and the URL the adapter itself returns, fetched anonymously
//    (objects migrated with --acl public-read, as the adapter's own uploads are): byte-exact,
//    with the Content-Type of the extension;
//  - a rerun sends nothing (every key found by the one listing, proven by its checksum).
// Run by tests/clients/run_node.py (TERN_ENDPOINT, TERN_AK, TERN_SK, TERN_TMP, TERN_MIGRATE).
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const { PassThrough } = require("stream");
const { execFileSync } = require("child_process");
const GhostS3 = require("ghost-storage-adapter-s3");
const { S3Client, CreateBucketCommand, ListObjectsV2Command } = require("@aws-sdk/client-s3");

let passed = 0, failed = 0;
function check(cond, what, detail) {
  if (cond) passed++;
  else { failed++; console.error(`not ok - ${what}\n    ${detail === undefined ? "" : detail}`); }
}

const BUCKET = "blog-assets";
// content/ paths -> bytes; the migrated ones, then those Ghost keeps locally
const MIGRATED = {
  "images/2024/01/x.jpg": 40000,
  "images/2024/01/x_o.jpg": 90000,
  "images/size/w600/2024/01/x.jpg": 9000,
  "images/size/w1000/2024/01/x.jpg": 15000,
  "images/size/w600/format/webp/2024/01/x.webp": 7000,
  "images/2024/01/photo one+two.png": 20000,
  "images/2023/12/ünïcödé.gif": 3000,
  "media/2024/01/clip.mp4": 12 * 1024 * 1024 + 5,
  "media/2024/01/clip_thumb.jpg": 4000,
  "files/2024/01/paper.pdf": 30000,
};
const LOCAL_ONLY = {
  "data/ghost.db": 8192, "logs/http___localhost_2368_production.log": 500,
  "themes/casper/package.json": 300, "themes/casper/index.hbs": 200,
  "settings/routes.yaml": 100,
};
const CTYPE = { jpg: "image/jpeg", png: "image/png", gif: "image/gif", webp: "image/webp",
  mp4: "video/mp4", pdf: "application/pdf" };

// content path -> its key (docs/MIGRATION.md, "Ghost (--ghost)", PREFIX = content/images)
function keyOf(rel) {
  if (rel.startsWith("images/")) return "content/images/" + rel.slice(7);
  return "content/images/" + rel; // media/..., files/...
}

async function anonFetch(url) {
  const r = await fetch(url);
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}

function serveVia(store, reqPath) {
  return new Promise((resolve) => {
    const res = new PassThrough();
    const parts = [];
    res.statusCode = 200;
    res.set = () => res;
    res.status = (s) => { res.statusCode = s; return res; };
    res.on("data", (d) => parts.push(d));
    res.on("end", () => resolve({ body: Buffer.concat(parts), err: null }));
    store.serve()({ path: reqPath }, res, (err) => resolve({ body: Buffer.concat(parts), err }));
  });
}

async function main() {
  const endpoint = process.env.TERN_ENDPOINT;
  const content = path.join(process.env.TERN_TMP, "ghost", "content");
  const bytes = {};
  for (const [rel, size] of Object.entries({ ...MIGRATED, ...LOCAL_ONLY })) {
    const p = path.join(content, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    bytes[rel] = crypto.randomBytes(size);
    fs.writeFileSync(p, bytes[rel]);
  }
  const admin = new S3Client({
    endpoint, region: "us-east-1", forcePathStyle: true,
    credentials: { accessKeyId: process.env.TERN_AK, secretAccessKey: process.env.TERN_SK },
  });
  await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));

  // the migration, as docs/MIGRATION.md's step by step runs it
  const env = { ...process.env, AWS_ACCESS_KEY_ID: process.env.TERN_AK,
    AWS_SECRET_ACCESS_KEY: process.env.TERN_SK, AWS_SHARED_CREDENTIALS_FILE: "/dev/null" };
  delete env.AWS_PROFILE;
  const args = [content, `s3://${BUCKET}/content/images`, "--ghost", "--acl", "public-read",
    "--endpoint", endpoint, "--multipart-threshold", "8M", "--part-size", "5M"];
  let out = execFileSync(process.env.TERN_MIGRATE, args, { env, encoding: "utf8" });
  const n = Object.keys(MIGRATED).length;
  check(new RegExp(`^transferred: ${n} files`, "m").test(out), `tern-migrate sent ${n} files`, out);
  check(/^requests: \d+ PUT \(objects and parts\), 0 HEAD/m.test(out),
    "a first run into an empty bucket asks no HEAD (one listing instead)", out);
  for (const d of ["data", "logs", "settings"])
    check(new RegExp(`^skipped: ${d}\\b`, "m").test(out), `${d}/ reported as skipped`);
  check(/^skipped: themes\b.*--include-themes/m.test(out), "themes/ skipped with the hint");

  // exactly the expected keys
  const keys = new Map();
  let token;
  do {
    const page = await admin.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: token }));
    for (const o of page.Contents || []) keys.set(o.Key, o.Size);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const want = new Map(Object.entries(MIGRATED).map(([rel, size]) => [keyOf(rel), size]));
  const same = keys.size === want.size && [...want].every(([k, s]) => keys.get(k) === s);
  check(same, "the bucket holds exactly the migrated keys and sizes",
    JSON.stringify([...keys.keys()]));

  // the adapters, configured as a Ghost site (config.production.json) would be
  const base = { accessKeyId: process.env.TERN_AK, secretAccessKey: process.env.TERN_SK,
    region: "us-east-1", bucket: BUCKET, endpoint, forcePathStyle: true,
    assetHost: `${endpoint}/${BUCKET}` };
  const stores = {
    images: new GhostS3({ ...base, pathPrefix: "content/images" }),
    media: new GhostS3({ ...base, pathPrefix: "content/images/media" }),
    files: new GhostS3({ ...base, pathPrefix: "content/images/files" }),
  };
  for (const rel of Object.keys(MIGRATED)) {
    const kind = rel.split("/")[0];
    const store = stores[kind];
    const sub = kind === "images" ? rel.slice(7) : rel.slice(kind.length + 1); // 2024/01/x.jpg
    const key = `${store.pathPrefix}/${sub}`;
    check(key === keyOf(rel), `${rel}: the adapter's key is the migrated key`, key);
    const dir = path.posix.dirname(key), name = path.posix.basename(key);
    check(await store.exists(name, dir), `${rel}: exists()`);
    const url = `${store.host}/${key}`; // what save() returns and Ghost stores for new uploads
    const data = await store.read({ path: url });
    check(Buffer.isBuffer(data) && data.equals(bytes[rel]), `${rel}: read() byte-exact`);
    const served = await serveVia(store, "/" + sub); // Ghost's /content/<kind>/<sub> route
    check(!served.err && served.body.equals(bytes[rel]), `${rel}: serve() byte-exact`,
      served.err || served.body.length);
    const r = await anonFetch(url.split("/").map((s, i) => (i < 3 ? s : encodeURIComponent(s))).join("/"));
    const ext = rel.split(".").pop();
    check(r.status === 200 && r.body.equals(bytes[rel]), `${rel}: anonymous GET byte-exact`,
      r.status);
    check(r.headers.get("content-type") === CTYPE[ext], `${rel}: Content-Type ${CTYPE[ext]}`,
      r.headers.get("content-type"));
  }
  check(!(await stores.images.exists("ghost.db", "content/images/data")), "data/ not migrated");

  // the URLs old posts keep: __GHOST_URL__/content/images/2024/01/x.jpg (and size variants),
  // rewritten to the assetHost as the step by step says, resolve to the same bytes
  for (const rel of ["images/2024/01/x.jpg", "images/size/w600/2024/01/x.jpg",
    "images/size/w1000/2024/01/x.jpg", "images/2024/01/x_o.jpg"]) {
    const stored = `__GHOST_URL__/content/${rel}`;
    const url = stored.replace("__GHOST_URL__", `${endpoint}/${BUCKET}`);
    const r = await anonFetch(url);
    check(r.status === 200 && r.body.equals(bytes[rel]), `database URL ${stored} resolves`, url);
  }
  for (const rel of Object.keys(LOCAL_ONLY)) {
    const r = await anonFetch(`${endpoint}/${BUCKET}/content/images/${rel}`);
    check(r.status === 403 || r.status === 404, `${rel} is not in the bucket`, r.status);
  }

  // a rerun finds everything there and sends nothing
  out = execFileSync(process.env.TERN_MIGRATE, args, { env, encoding: "utf8" });
  check(/^transferred: 0 files/m.test(out) && new RegExp(`^already present: ${n} files`, "m").test(out),
    "a rerun sends nothing", out);
  out = execFileSync(process.env.TERN_MIGRATE, [...args, "--verify"], { env, encoding: "utf8" });
  check(new RegExp(`^verified: ${n} objects match`, "m").test(out), "--verify passes", out);
}

main().then(
  () => { console.log(`${passed} passed, ${failed} failed`); process.exit(failed || !passed ? 1 : 0); },
  (err) => { console.error("unexpected error:", err); console.log(`${passed} passed, ${failed + 1} failed`); process.exit(1); },
);
