// test_sdk_v3.cjs — the AWS SDK for JavaScript v3 (@aws-sdk/client-s3, lib-storage,
// s3-request-presigner, versions pinned in package-lock.json) against a tern cluster, with the
// SDK's DEFAULT settings (request checksums "when supported": CRC32 trailers on aws-chunked
// bodies). Run by tests/clients/run_node.py, which provides TERN_ENDPOINT/TERN_AK/TERN_SK.
"use strict";
const crypto = require("crypto");
const {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
  ListObjectsV2Command, DeleteObjectCommand, DeleteBucketCommand, ListBucketsCommand,
} = require("@aws-sdk/client-s3");
const { Upload } = require("@aws-sdk/lib-storage");
const { getSignedUrl } = require("@aws-sdk/s3-request-presigner");

let passed = 0, failed = 0;
function check(cond, what, detail) {
  if (cond) passed++;
  else { failed++; console.error(`not ok - ${what}\n    ${detail === undefined ? "" : detail}`); }
}
const md5 = (b) => '"' + crypto.createHash("md5").update(b).digest("hex") + '"';

async function errorOf(p) {
  try { await p; return null; } catch (e) { return e; }
}

async function main() {
  const ver = require("@aws-sdk/client-s3/package.json").version;
  console.log(`@aws-sdk/client-s3 ${ver}, node ${process.version}`);
  const s3 = new S3Client({
    endpoint: process.env.TERN_ENDPOINT, region: "us-east-1", forcePathStyle: true,
    credentials: { accessKeyId: process.env.TERN_AK, secretAccessKey: process.env.TERN_SK },
    maxAttempts: 1,
  });
  const B = "tern-sdk-v3";
  await s3.send(new CreateBucketCommand({ Bucket: B }));
  const names = (await s3.send(new ListBucketsCommand({}))).Buckets.map((b) => b.Name);
  check(names.includes(B), "ListBuckets shows the bucket", names);

  // small PUT (one aws-chunked body with a CRC32 trailer by default), GET, HEAD
  const small = crypto.randomBytes(3000);
  const put = await s3.send(new PutObjectCommand({
    Bucket: B, Key: "dir/small.bin", Body: small, ContentType: "image/png",
    CacheControl: "max-age=31536000", Metadata: { origin: "sdk-v3" },
  }));
  check(put.ETag === md5(small), "PutObject ETag is the MD5", put.ETag);
  const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "dir/small.bin" }));
  const gotBytes = Buffer.from(await got.Body.transformToByteArray());
  check(gotBytes.equals(small), "GetObject bytes", gotBytes.length);
  check(got.ContentType === "image/png" && got.CacheControl === "max-age=31536000",
    "GetObject content headers", `${got.ContentType} ${got.CacheControl}`);
  const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "dir/small.bin" }));
  check(head.ContentLength === small.length && head.Metadata.origin === "sdk-v3",
    "HeadObject length and metadata", JSON.stringify(head.Metadata));
  const rng = await s3.send(new GetObjectCommand({ Bucket: B, Key: "dir/small.bin", Range: "bytes=10-19" }));
  const rngBytes = Buffer.from(await rng.Body.transformToByteArray());
  check(rngBytes.equals(small.subarray(10, 20)), "ranged GetObject", rngBytes.length);

  // a string body and an empty body
  await s3.send(new PutObjectCommand({ Bucket: B, Key: "text.txt", Body: "hello tern" }));
  const t = await s3.send(new GetObjectCommand({ Bucket: B, Key: "text.txt" }));
  check((await t.Body.transformToString()) === "hello tern", "string body round trip");
  await s3.send(new PutObjectCommand({ Bucket: B, Key: "empty", Body: "" }));
  check((await s3.send(new HeadObjectCommand({ Bucket: B, Key: "empty" }))).ContentLength === 0,
    "empty object");

  // lib-storage: 17 MiB in 5 MiB parts (multipart) and a stream of unknown length
  const big = crypto.randomBytes(17 * 1024 * 1024 + 123);
  const up = new Upload({ client: s3, params: { Bucket: B, Key: "big.bin", Body: big },
    partSize: 5 * 1024 * 1024, queueSize: 2 });
  const upRes = await up.done();
  check(/-4"$/.test(upRes.ETag), "lib-storage multipart ETag has -4", upRes.ETag);
  const bigGot = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: B, Key: "big.bin" }))).Body.transformToByteArray());
  check(bigGot.equals(big), "multipart object reads back byte-exact", bigGot.length);
  const smallUp = new Upload({ client: s3, params: { Bucket: B, Key: "via-upload.bin", Body: small } });
  await smallUp.done();
  const su = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: B, Key: "via-upload.bin" }))).Body.transformToByteArray());
  check(su.equals(small), "lib-storage single-part upload", su.length);

  // list
  const l = await s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: "dir/" }));
  check(l.KeyCount === 1 && l.Contents[0].Key === "dir/small.bin" && l.Contents[0].Size === small.length,
    "ListObjectsV2 with prefix", JSON.stringify(l.Contents));
  const ld = await s3.send(new ListObjectsV2Command({ Bucket: B, Delimiter: "/" }));
  check(ld.CommonPrefixes.length === 1 && ld.CommonPrefixes[0].Prefix === "dir/",
    "ListObjectsV2 with delimiter", JSON.stringify(ld.CommonPrefixes));

  // presigned GET and PUT, and an expired one
  const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: B, Key: "dir/small.bin" }), { expiresIn: 300 });
  let r = await fetch(getUrl);
  check(r.status === 200 && Buffer.from(await r.arrayBuffer()).equals(small), "presigned GET", r.status);
  const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: B, Key: "presigned-put" }), { expiresIn: 300 });
  r = await fetch(putUrl, { method: "PUT", body: "via presigned url" });
  check(r.status === 200, "presigned PUT", r.status);
  const pp = await s3.send(new GetObjectCommand({ Bucket: B, Key: "presigned-put" }));
  check((await pp.Body.transformToString()) === "via presigned url", "presigned PUT stored the body");
  const shortUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: B, Key: "dir/small.bin" }), { expiresIn: 1 });
  await new Promise((res) => setTimeout(res, 2100));
  r = await fetch(shortUrl);
  const body = await r.text();
  check(r.status === 403 && body.includes("<Code>AccessDenied</Code>") && body.includes("expired"),
    "expired presigned URL: 403 AccessDenied", `${r.status} ${body}`);

  // errors
  let e = await errorOf(s3.send(new GetObjectCommand({ Bucket: B, Key: "missing" })));
  check(e && e.name === "NoSuchKey" && e.$metadata.httpStatusCode === 404, "NoSuchKey", e && e.name);
  e = await errorOf(s3.send(new HeadObjectCommand({ Bucket: B, Key: "missing" })));
  check(e && e.$metadata.httpStatusCode === 404, "HeadObject missing: 404", e && e.name);
  e = await errorOf(s3.send(new GetObjectCommand({ Bucket: "tern-no-such-bucket", Key: "k" })));
  check(e && e.name === "NoSuchBucket", "NoSuchBucket", e && e.name);

  // delete everything, then the bucket
  for (const k of ["dir/small.bin", "text.txt", "empty", "big.bin", "via-upload.bin", "presigned-put"]) {
    const d = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: k }));
    check(d.$metadata.httpStatusCode === 204, `DeleteObject ${k}`, d.$metadata.httpStatusCode);
  }
  const d2 = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "never-existed" }));
  check(d2.$metadata.httpStatusCode === 204, "DeleteObject of a missing key: 204");
  await s3.send(new DeleteBucketCommand({ Bucket: B }));
  e = await errorOf(s3.send(new HeadObjectCommand({ Bucket: B, Key: "x" })));
  check(e && e.$metadata.httpStatusCode === 404, "bucket gone");
}

main().then(
  () => { console.log(`${passed} passed, ${failed} failed`); process.exit(failed || !passed ? 1 : 0); },
  (err) => { console.error("unexpected error:", err); console.log(`${passed} passed, ${failed + 1} failed`); process.exit(1); },
);
