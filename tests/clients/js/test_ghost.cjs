// test_ghost.cjs — Ghost's storage path against a tern cluster, two ways:
//  1. the npm `ghost-storage-adapter-s3` (aws-sdk v2), configured as its README documents
//     (endpoint, forcePathStyle, assetHost, bucket, keys): save() of a real PNG (it sends
//     x-amz-acl: public-read and Cache-Control), the returned URL fetched anonymously (whole
//     and with a Range, as video players do), exists() (GetObject; NoSuchKey = free name),
//     read(), serve() and delete();
//  2. the same calls through @aws-sdk/client-s3 v3 with default checksums, as the adapter's
//     maintained forks and Ghost's own media/files storage make them (PutObject with ACL and
//     CacheControl, HeadObject, GetObject, DeleteObject, lib-storage multipart).
// Run by tests/clients/run_node.py (TERN_ENDPOINT, TERN_AK, TERN_SK, TERN_TMP).
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const { PassThrough } = require("stream");
const GhostS3 = require("ghost-storage-adapter-s3");
const {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
  DeleteObjectCommand,
} = require("@aws-sdk/client-s3");
const { Upload } = require("@aws-sdk/lib-storage");

let passed = 0, failed = 0;
function check(cond, what, detail) {
  if (cond) passed++;
  else { failed++; console.error(`not ok - ${what}\n    ${detail === undefined ? "" : detail}`); }
}

// A real PNG: w x h RGB gradient with noise (so it does not compress to nothing).
function makePng(w, h) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(zlib.crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  const raw = Buffer.alloc((w * 3 + 1) * h);
  const noise = crypto.randomBytes(w * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = (x * 255 / w) & 0xff; raw[o + 1] = (y * 255 / h) & 0xff; raw[o + 2] = noise[y * w + x];
    }
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

async function anonFetch(url, headers) {
  const r = await fetch(url, { headers: headers || {} });
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}

async function viaAdapter(endpoint, bucket, png) {
  const awsVer = require("aws-sdk/package.json").version;
  const adVer = require("ghost-storage-adapter-s3/package.json").version;
  console.log(`ghost-storage-adapter-s3 ${adVer} (aws-sdk ${awsVer})`);
  const store = new GhostS3({
    accessKeyId: process.env.TERN_AK, secretAccessKey: process.env.TERN_SK, region: "us-east-1",
    bucket, endpoint, forcePathStyle: true, assetHost: `${endpoint}/${bucket}`,
  });
  const file = path.join(process.env.TERN_TMP, "ghost-upload.png");
  fs.writeFileSync(file, png);
  const image = { path: file, name: "My Photo.png", type: "image/png" };

  const url = await store.save(image);
  const dir = store.getTargetDir();
  check(url === `${endpoint}/${bucket}/${dir}/My-Photo.png`, "save() returns the asset URL", url);
  let r = await anonFetch(url);
  check(r.status === 200 && r.body.equals(png), "anonymous GET of the saved image", r.status);
  check(r.headers.get("content-type") === "image/png", "Content-Type kept", r.headers.get("content-type"));
  check(r.headers.get("cache-control") === `max-age=${30 * 24 * 60 * 60}`, "Cache-Control kept",
    r.headers.get("cache-control"));
  r = await anonFetch(url, { Range: "bytes=100-1123" });
  check(r.status === 206 && r.body.equals(png.subarray(100, 1124)), "anonymous ranged GET: 206",
    `${r.status} ${r.body.length}`);
  check(r.headers.get("content-range") === `bytes 100-1123/${png.length}`, "Content-Range",
    r.headers.get("content-range"));

  const url2 = await store.save(image);
  check(url2 === `${endpoint}/${bucket}/${dir}/My-Photo-1.png`, "a second save() gets a free name",
    url2);
  check(await store.exists("My-Photo.png", dir), "exists() of a saved file");
  check(!(await store.exists("Not-There.png", dir)), "exists() of a free name is false");

  const data = await store.read({ path: url });
  check(Buffer.isBuffer(data) && data.equals(png), "read() returns the bytes");

  // serve(): an express-like response that is also a writable stream
  const served = await new Promise((resolve) => {
    const res = new PassThrough();
    const parts = [];
    res.headersSet = null;
    res.statusCode = 200;
    res.set = (h) => { res.headersSet = h; return res; };
    res.status = (s) => { res.statusCode = s; return res; };
    res.on("data", (d) => parts.push(d));
    res.on("end", () => resolve({ res, body: Buffer.concat(parts), err: null }));
    const req = { path: `/${dir}/My-Photo.png` };
    store.serve()(req, res, (err) => resolve({ res, body: Buffer.concat(parts), err }));
  });
  check(!served.err && served.body.equals(png), "serve() streams the bytes",
    served.err || served.body.length);
  check(served.res.headersSet && served.res.headersSet["content-type"] === "image/png",
    "serve() passes the object's headers", JSON.stringify(served.res.headersSet));

  check(await store.delete("My-Photo.png", dir), "delete() reports success");
  check(await store.delete("My-Photo-1.png", dir), "delete() of the second copy");
  check(!(await store.exists("My-Photo.png", dir)), "exists() after delete is false");
  r = await anonFetch(url);
  check(r.status === 404 || r.status === 403, "anonymous GET after delete fails", r.status);
}

async function viaSdkV3(endpoint, bucket, png) {
  console.log(`@aws-sdk/client-s3 ${require("@aws-sdk/client-s3/package.json").version}`);
  const s3 = new S3Client({
    endpoint, region: "us-east-1", forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: process.env.TERN_AK, secretAccessKey: process.env.TERN_SK },
  });
  const key = "content/images/2026/11/v3-photo.png";
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: png, ACL: "public-read",
    CacheControl: "max-age=31536000", ContentType: "image/png" }));
  const url = `${endpoint}/${bucket}/${key}`;
  let r = await anonFetch(url);
  check(r.status === 200 && r.body.equals(png), "v3: anonymous GET of a public-read object", r.status);
  r = await anonFetch(url, { Range: "bytes=0-99" });
  check(r.status === 206 && r.body.equals(png.subarray(0, 100)), "v3: anonymous ranged GET", r.status);
  const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  check(h.ContentLength === png.length && h.CacheControl === "max-age=31536000", "v3: HeadObject",
    `${h.ContentLength} ${h.CacheControl}`);
  const g = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  check(Buffer.from(await g.Body.transformToByteArray()).equals(png), "v3: GetObject");
  let e = null;
  try { await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "content/images/free.png" })); } catch (x) { e = x; }
  check(e && e.name === "NoSuchKey", "v3: a free name is NoSuchKey", e && e.name);

  // a private object is not readable anonymously
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "private.bin", Body: "secret" }));
  r = await anonFetch(`${endpoint}/${bucket}/private.bin`);
  check(r.status === 403 && r.body.toString().includes("<Code>AccessDenied</Code>"),
    "v3: anonymous GET of a private object: 403 AccessDenied", r.status);

  // Ghost's media storage uploads big files with lib-storage (multipart above 5 MiB parts)
  const video = crypto.randomBytes(12 * 1024 * 1024 + 7);
  const vkey = "content/media/2026/11/clip.mp4";
  await new Upload({ client: s3, params: { Bucket: bucket, Key: vkey, Body: video, ACL: "public-read",
    ContentType: "video/mp4", CacheControl: "max-age=31536000" }, partSize: 5 * 1024 * 1024 }).done();
  r = await anonFetch(`${endpoint}/${bucket}/${vkey}`, { Range: "bytes=6000000-6999999" });
  check(r.status === 206 && r.body.equals(video.subarray(6000000, 7000000)),
    "v3: multipart video, anonymous ranged GET across parts", r.status);
  r = await anonFetch(`${endpoint}/${bucket}/${vkey}`);
  check(r.status === 200 && r.body.equals(video), "v3: multipart video, whole", r.status);

  for (const k of [key, "private.bin", vkey]) {
    const d = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: k }));
    check(d.$metadata.httpStatusCode === 204, `v3: DeleteObject ${k}`);
  }
  r = await anonFetch(url);
  check(r.status !== 200, "v3: deleted object is gone", r.status);
}

async function main() {
  const endpoint = process.env.TERN_ENDPOINT;
  const png = makePng(200, 150);
  const admin = new S3Client({
    endpoint, region: "us-east-1", forcePathStyle: true,
    credentials: { accessKeyId: process.env.TERN_AK, secretAccessKey: process.env.TERN_SK },
  });
  await admin.send(new CreateBucketCommand({ Bucket: "ghost-site-a" }));
  await viaAdapter(endpoint, "ghost-site-a", png);
  await viaSdkV3(endpoint, "ghost-site-a", png);
}

main().then(
  () => { console.log(`${passed} passed, ${failed} failed`); process.exit(failed || !passed ? 1 : 0); },
  (err) => { console.error("unexpected error:", err); console.log(`${passed} passed, ${failed + 1} failed`); process.exit(1); },
);
