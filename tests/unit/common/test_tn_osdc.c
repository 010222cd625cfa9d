/*
 * Unit tests for common/tn_osdc.c and tn_osdc_sync.c: the OSD client against fake OSDs that run
 * in threads of this process on 127.0.0.1 (ephemeral ports), each speaking the frame layer
 * with a scripted behaviour: normal answers for every op, replies held and sent in reverse
 * order, delayed replies, no replies (hung), closing mid-request, bad payload CRC, bad header,
 * replies stamped far ahead. The client runs on the main thread's h2o loop.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <h2o/socket.h>
#include "tn_crc.h"
#include "tn_osdc.h"
#include "tn_osdc_sync.h"
#include "test.h"

/* ---------- clocks ---------- */

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---------- the fake OSD ---------- */

enum {
    M_NORMAL = 0,
    M_REVERSE, /* hold arg replies, then send them in reverse order */
    M_DELAY,   /* sleep arg ms before each reply */
    M_HANG,    /* read requests, never reply */
    M_CLOSE,   /* close the connection when a request arrives */
    M_BADCRC,  /* replies carry a wrong payload CRC */
    M_BADHDR,  /* reply with 48 bytes of garbage */
    M_AHEAD,   /* reply HLC is arg ms ahead of the wall clock */
    M_MUTATE,  /* replies damaged at random (seeded): ids, flags, ops, bodies, CRCs, bytes */
};

#define BLOB_LEN (2u * TN_PROTO_GET_PIECE + 1000u) /* BLOB_GET answers: 3 frames */

typedef struct {
    pthread_t th;
    int lfd;
    int port;
    int32_t osd_id;
    uint64_t epoch;
    atomic_int stop;
    atomic_int mode;
    atomic_int arg;
    atomic_int accepts;
    atomic_int requests;
    atomic_int data_frames;   /* DATA frames of the last put */
    atomic_int put_ok;        /* puts whose END CRC matched */
    atomic_int put_bad;       /* puts refused (CRC, order) */
    atomic_int interleaved;   /* other frames seen between a put's DATA frames */
    atomic_int max_piece;     /* largest DATA piece */
    atomic_ullong last_hlc;   /* HLC of the last request */
    atomic_ullong last_epoch; /* epoch of the last request */
    unsigned seed;            /* M_MUTATE's generator (server thread only) */
    atomic_int silent_ends;   /* ENDs of streams that had an early error */
} fake_t;

static uint8_t blob_byte(uint64_t i)
{
    return (uint8_t)(i * 131u + (i >> 11));
}

static int write_all(int fd, const struct iovec *iov, int n)
{
    struct iovec v[4];
    memcpy(v, iov, (size_t)n * sizeof(*v));
    struct iovec *p = v;
    while (n > 0) {
        ssize_t w = writev(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        while (n > 0 && (size_t)w >= p->iov_len) {
            w -= (ssize_t)p->iov_len;
            p++;
            n--;
        }
        if (n > 0) {
            p->iov_base = (char *)p->iov_base + w;
            p->iov_len -= (size_t)w;
        }
    }
    return 0;
}

/* Encodes one reply frame into a malloc'd buffer (header + payload). */
static uint8_t *make_reply(fake_t *f, const tn_frame_hdr_t *req, uint16_t status, uint8_t flags,
                           const void *payload, size_t len, size_t *outlen)
{
    tn_frame_hdr_t h;
    memset(&h, 0, sizeof(h));
    h.flags = (uint8_t)(TN_FRAME_F_REPLY | flags);
    h.op = req->op;
    h.status = status;
    h.req_id = req->req_id;
    h.epoch = f->epoch;
    uint64_t now = wall_ms();
    h.hlc = tn_hlc_make(now, 1);
    if (atomic_load(&f->mode) == M_AHEAD)
        h.hlc = tn_hlc_make(now + (uint64_t)atomic_load(&f->arg), 0);
    tn_frame_set_payload(&h, payload, len);
    if (atomic_load(&f->mode) == M_BADCRC)
        h.payload_crc ^= 0x5a5a5a5au;
    int mutation = -1;
    if (atomic_load(&f->mode) == M_MUTATE) {
        mutation = (int)(rand_r(&f->seed) % 9);
        if (mutation == 8 && rand_r(&f->seed) % 5 != 0)
            mutation = 7; /* header damage closes the connection: keep it rarer */
        switch (mutation) {
        case 0: h.req_id = rand_r(&f->seed); break; /* unknown id */
        case 1: h.flags |= TN_FRAME_F_MORE; break;  /* MORE that never ends */
        case 2: h.op ^= 0x100; break;               /* wrong op */
        case 3:                                     /* short body, valid CRC */
            if (len > 0)
                tn_frame_set_payload(&h, payload, len - 1);
            break;
        case 4: h.payload_crc ^= 1; break;           /* bad payload CRC */
        case 5: h.status = TN_FRAME_ST_AGAIN; break; /* an error status */
        default: break;                              /* 6, 7: intact; 8: header byte */
        }
    }
    size_t plen = h.payload_len;
    uint8_t *b = malloc(TN_FRAME_HDR_SIZE + len + 1);
    tn_frame_encode_header(&h, b);
    if (len)
        memcpy(b + TN_FRAME_HDR_SIZE, payload, len);
    if (mutation == 8)
        b[rand_r(&f->seed) % TN_FRAME_HDR_SIZE] ^= (uint8_t)(1u << (rand_r(&f->seed) % 8));
    *outlen = TN_FRAME_HDR_SIZE + plen;
    return b;
}

typedef struct {
    uint8_t *frames[64];
    size_t lens[64];
    int n;
    /* streamed put in progress */
    int put_active;
    uint64_t put_total, put_off;
    uint32_t put_crc;
    int put_failed;
    int put_saw_other;
    int put_silent;
} sess_t;

static void emit(fake_t *f, int fd, sess_t *s, uint8_t *frame, size_t len)
{
    if (atomic_load(&f->mode) == M_REVERSE) {
        s->frames[s->n] = frame;
        s->lens[s->n] = len;
        s->n++;
        if (s->n >= atomic_load(&f->arg)) {
            while (s->n > 0) {
                s->n--;
                struct iovec v = {s->frames[s->n], s->lens[s->n]};
                write_all(fd, &v, 1);
                free(s->frames[s->n]);
            }
        }
        return;
    }
    struct iovec v = {frame, len};
    write_all(fd, &v, 1);
    free(frame);
}

static void reply(fake_t *f, int fd, sess_t *s, const tn_frame_hdr_t *req, uint16_t status,
                  uint8_t flags, const void *payload, size_t len)
{
    size_t n;
    uint8_t *b = make_reply(f, req, status, flags, payload, len, &n);
    emit(f, fd, s, b, n);
}

#define W(buf)                                                                                     \
    tn_wire_w_t w;                                                                                 \
    tn_wire_w_init(&w, (buf), sizeof(buf))
#define WLEN(buf) ((size_t)(w.p - (buf)))

/* Answers one request frame like a (tiny, in-memory) OSD would. */
static void answer(fake_t *f, int fd, sess_t *s, const tn_frame_hdr_t *h, const uint8_t *p)
{
    uint8_t out[4096];
    W(out);
    uint16_t op = h->op;
    if (s->put_active && op != TN_OP_BLOB_PUT_DATA && op != TN_OP_BLOB_PUT_END)
        s->put_saw_other = 1;
    switch (op) {
    case TN_OP_PING: {
        tn_ping_req_t q;
        if (tn_proto_dec_ping_req(p, h->payload_len, &q) != TN_OK) {
            reply(f, fd, s, h, TN_FRAME_ST_PROTO, 0, NULL, 0);
            return;
        }
        /* wall_ms echoes the request's, so tests can match replies to requests */
        tn_ping_rep_t r = {(uint32_t)f->osd_id, 7, q.wall_ms, 7};
        tn_proto_enc_ping_rep(&w, &r);
        reply(f, fd, s, h, 0, 0, out, WLEN(out));
        return;
    }
    case TN_OP_STATS:
        tn_proto_enc_stats_rep_begin(&w, 2);
        tn_proto_enc_stats_rep_entry(&w, "blob.puts", 3);
        tn_proto_enc_stats_rep_entry(&w, "idx.batches", 9);
        reply(f, fd, s, h, 0, 0, out, WLEN(out));
        return;
    case TN_OP_MAP_GET: {
        tn_map_get_req_t q;
        tn_proto_dec_map_get_req(p, h->payload_len, &q);
        if (q.epoch == 99) {
            reply(f, fd, s, h, TN_FRAME_ST_NOT_FOUND, 0, NULL, 0);
            return;
        }
        tn_map_get_rep_t r = {{"MAP-BYTES", 9}};
        tn_proto_enc_map_get_rep(&w, &r);
        reply(f, fd, s, h, 0, 0, out, WLEN(out));
        return;
    }
    case TN_OP_MAP_OFFER: {
        tn_map_offer_req_t q;
        if (tn_proto_dec_map_offer_req(p, h->payload_len, &q) != TN_OK) {
            reply(f, fd, s, h, TN_FRAME_ST_PROTO, 0, NULL, 0);
            return;
        }
        if (q.mode == TN_PROTO_MAP_CAS && q.base_epoch != f->epoch) {
            tn_map_offer_rep_t r = {f->epoch, 0x1234};
            tn_proto_enc_map_offer_rep(&w, &r);
            reply(f, fd, s, h, TN_FRAME_ST_STALE_EPOCH, 0, out, WLEN(out));
            return;
        }
        tn_map_offer_rep_t r = {q.base_epoch + 1, tn_crc32c(0, q.map.base, q.map.len)};
        tn_proto_enc_map_offer_rep(&w, &r);
        reply(f, fd, s, h, 0, 0, out, WLEN(out));
        return;
    }
    case TN_OP_BLOB_PUT_BEGIN: {
        tn_blob_put_begin_t q;
        memset(s->frames, 0, 0);
        s->put_active = tn_proto_dec_blob_put_begin(p, h->payload_len, &q) == TN_OK;
        if (s->put_active && (q.ref.pool == 666 || q.ref.pool == 667)) {
            /* an early error: answer BEGIN, ignore the rest of the stream (END included);
             * 667: and stop reading for a while, so the client's data write is still
             * pending when the error arrives */
            s->put_active = 0;
            s->put_silent = 1;
            if (q.ref.pool == 667)
                sleep_ms(100);
            reply(f, fd, s, h, TN_FRAME_ST_NOSPC, 0, NULL, 0);
            if (q.ref.pool == 667) {
                sleep_ms(300);
            }
            return;
        }
        s->put_total = q.total_len;
        s->put_off = 0;
        s->put_crc = 0;
        s->put_failed = !s->put_active;
        s->put_saw_other = 0;
        atomic_store(&f->data_frames, 0);
        return;
    }
    case TN_OP_BLOB_PUT_DATA: {
        tn_blob_put_data_t q;
        if (s->put_silent)
            return;
        if (tn_proto_dec_blob_put_data(p, h->payload_len, &q) != TN_OK || q.offset != s->put_off ||
            s->put_off + q.data.len > s->put_total)
            s->put_failed = 1;
        s->put_off += q.data.len;
        s->put_crc = tn_crc32c(s->put_crc, q.data.base, q.data.len);
        atomic_fetch_add(&f->data_frames, 1);
        if ((int)q.data.len > atomic_load(&f->max_piece))
            atomic_store(&f->max_piece, (int)q.data.len);
        if (s->put_saw_other)
            atomic_fetch_add(&f->interleaved, 1);
        s->put_saw_other = 0;
        return;
    }
    case TN_OP_BLOB_PUT_END: {
        tn_blob_put_end_t q;
        if (s->put_silent) {
            s->put_silent = 0;
            atomic_fetch_add(&f->silent_ends, 1);
            return;
        }
        int good = tn_proto_dec_blob_put_end(p, h->payload_len, &q) == TN_OK && !s->put_failed &&
                   s->put_off == s->put_total && q.crc32c == s->put_crc;
        s->put_active = 0;
        atomic_fetch_add(good ? &f->put_ok : &f->put_bad, 1);
        reply(f, fd, s, h, good ? 0 : TN_FRAME_ST_CHECKSUM, 0, NULL, 0);
        return;
    }
    case TN_OP_BLOB_GET: {
        tn_blob_get_req_t q;
        tn_proto_dec_blob_get_req(p, h->payload_len, &q);
        if (q.offset > BLOB_LEN) {
            reply(f, fd, s, h, TN_FRAME_ST_INVAL, 0, NULL, 0);
            return;
        }
        uint64_t end = q.len == 0 || q.offset + q.len > BLOB_LEN ? BLOB_LEN : q.offset + q.len;
        uint64_t off = q.offset;
        uint8_t *buf = malloc(TN_PROTO_GET_PIECE + TN_PROTO_GET_REP_PREFIX);
        do {
            uint32_t n = (uint32_t)TN_MIN(end - off, (uint64_t)TN_PROTO_GET_PIECE);
            tn_wire_w_t pw;
            tn_wire_w_init(&pw, buf, TN_PROTO_GET_REP_PREFIX);
            tn_proto_enc_blob_get_rep_prefix(&pw, BLOB_LEN, off, n);
            for (uint32_t i = 0; i < n; i++)
                buf[TN_PROTO_GET_REP_PREFIX + i] = blob_byte(off + i);
            off += n;
            reply(f, fd, s, h, 0, off < end ? TN_FRAME_F_MORE : 0, buf,
                  TN_PROTO_GET_REP_PREFIX + n);
        } while (off < end);
        free(buf);
        return;
    }
    case TN_OP_BLOB_STAT: {
        tn_blob_stat_rep_t r = {1, 1234};
        tn_proto_enc_blob_stat_rep(&w, &r);
        reply(f, fd, s, h, 0, 0, out, WLEN(out));
        return;
    }
    case TN_OP_BLOB_DELETE: reply(f, fd, s, h, 0, 0, NULL, 0); return;
    case TN_OP_ROW_PUT: {
        tn_row_put_req_t q;
        if (tn_proto_dec_row_put_req(p, h->payload_len, &q) != TN_OK) {
            reply(f, fd, s, h, TN_FRAME_ST_PROTO, 0, NULL, 0);
            return;
        }
        if (h->epoch < f->epoch) {
            reply(f, fd, s, h, TN_FRAME_ST_STALE_EPOCH, 0, NULL, 0);
            return;
        }
        if (q.row.len >= 5 && memcmp(q.row.base, "stale", 5) == 0) {
            tn_proto_ver_t v = {555, 7, {0xab}};
            tn_proto_enc_row_put_stale(&w, &v);
            reply(f, fd, s, h, TN_FRAME_ST_STALE_TS, 0, out, WLEN(out));
            return;
        }
        tn_proto_enc_row_put_rep(&w, q.mode == TN_PROTO_ROW_MERGE ? TN_PROTO_RESULT_IGNORED
                                                                  : TN_PROTO_RESULT_APPLIED);
        reply(f, fd, s, h, 0, 0, out, WLEN(out));
        return;
    }
    case TN_OP_ROW_GET: {
        tn_row_get_req_t q;
        tn_proto_dec_row_get_req(p, h->payload_len, &q);
        if (q.key.len == 7 && memcmp(q.key.base, "missing", 7) == 0) {
            reply(f, fd, s, h, TN_FRAME_ST_NOT_FOUND, 0, NULL, 0);
            return;
        }
        char row[2048];
        memcpy(row, "ROW:", 4);
        memcpy(row + 4, q.key.base, TN_MIN(q.key.len, sizeof(row) - 4));
        tn_proto_enc_row(&w, (tn_slice_t){row, 4 + TN_MIN(q.key.len, sizeof(row) - 4)});
        reply(f, fd, s, h, 0, 0, out, WLEN(out));
        return;
    }
    case TN_OP_ROW_LIST: {
        tn_row_list_req_t q;
        tn_proto_dec_row_list_req(p, h->payload_len, &q);
        int inl = (q.flags & TN_PROTO_LIST_WITH_INLINE) != 0;
        static const char *keys[3] = {"k1", "k2", "k3"};
        for (int frame = 0; frame < 2; frame++) {
            uint8_t fb[512];
            tn_wire_w_t fw;
            tn_wire_w_init(&fw, fb, sizeof(fb));
            uint32_t n = frame == 0 ? 2 : 1;
            tn_proto_enc_row_list_rep_begin(&fw, frame == 1, n);
            for (uint32_t i = 0; i < n; i++) {
                const char *k = keys[frame * 2 + (int)i];
                if (inl) {
                    tn_proto_enc_row(&fw, (tn_slice_t){k, 2});
                } else {
                    tn_row_entry_t e = {{k, 2}, {100 + i, 1, {0}}, 0, {"v", 1}, 0};
                    tn_proto_enc_row_entry(&fw, &e);
                }
            }
            reply(f, fd, s, h, 0, frame == 0 ? TN_FRAME_F_MORE : 0, fb, (size_t)(fw.p - fb));
        }
        return;
    }
    case TN_OP_ROW_DELETE:
        tn_wire_put_u8(&w, TN_PROTO_RESULT_PURGED);
        reply(f, fd, s, h, 0, 0, out, WLEN(out));
        return;
    case TN_OP_PG_DIGEST: {
        tn_pg_req_t q;
        tn_proto_dec_pg_req(p, h->payload_len, &q);
        tn_pg_digest_rep_t r;
        memset(&r, 0, sizeof(r));
        r.all.count = q.pool * 10u + q.pg;
        r.blob_count = 4;
        tn_proto_enc_pg_digest_rep(&w, &r);
        reply(f, fd, s, h, 0, 0, out, WLEN(out));
        return;
    }
    case TN_OP_PG_ENUM: {
        tn_blob_item_t b = {{1}, 2, 3};
        tn_proto_enc_pg_enum_rep_begin(&w, 0, (tn_slice_t){"cur1", 4}, 1);
        tn_proto_enc_blob_item(&w, &b);
        reply(f, fd, s, h, 0, 0, out, WLEN(out));
        return;
    }
    case TN_OP_PG_PUSH: {
        tn_proto_iter_t it;
        uint32_t n = 0;
        if (tn_proto_dec_pg_push(p, h->payload_len, &it, &n) != TN_OK) {
            reply(f, fd, s, h, TN_FRAME_ST_PROTO, 0, NULL, 0);
            return;
        }
        tn_proto_enc_pg_push_rep(&w, n, 0);
        reply(f, fd, s, h, 0, 0, out, WLEN(out));
        return;
    }
    default: reply(f, fd, s, h, TN_FRAME_ST_UNSUPPORTED, 0, NULL, 0); return;
    }
}

/* Serves one connection until it closes or the server stops. */
static void serve(fake_t *f, int fd)
{
    size_t cap = TN_FRAME_MAX_PAYLOAD + TN_FRAME_HDR_SIZE, len = 0;
    uint8_t *buf = malloc(cap);
    sess_t s;
    memset(&s, 0, sizeof(s));
    while (!atomic_load(&f->stop)) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, 20) <= 0)
            continue;
        ssize_t r = read(fd, buf + len, cap - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        int closed = 0;
        for (;;) {
            tn_frame_hdr_t h;
            ssize_t n = tn_frame_decode_header(buf, len, TN_FRAME_MAX_PAYLOAD, &h, NULL);
            if (n == TN_PARSE_INCOMPLETE)
                break;
            if (n == TN_PARSE_ERROR || (h.flags & TN_FRAME_F_REPLY)) {
                closed = 1;
                break;
            }
            size_t flen = TN_FRAME_HDR_SIZE + h.payload_len;
            if (len < flen)
                break;
            atomic_fetch_add(&f->requests, 1);
            atomic_store(&f->last_hlc, h.hlc);
            atomic_store(&f->last_epoch, h.epoch);
            const uint8_t *p = buf + TN_FRAME_HDR_SIZE;
            int mode = atomic_load(&f->mode);
            if (mode == M_CLOSE) {
                closed = 1;
                break;
            }
            if (tn_frame_check_payload(&h, p) != TN_OK) {
                reply(f, fd, &s, &h, TN_FRAME_ST_CHECKSUM, 0, NULL, 0);
            } else if (mode == M_HANG) {
                /* swallow */
            } else if (mode == M_BADHDR) {
                uint8_t junk[TN_FRAME_HDR_SIZE];
                memset(junk, 0x77, sizeof(junk));
                struct iovec v = {junk, sizeof(junk)};
                write_all(fd, &v, 1);
            } else {
                if (mode == M_DELAY)
                    sleep_ms((unsigned)atomic_load(&f->arg));
                answer(f, fd, &s, &h, p);
            }
            memmove(buf, buf + flen, len - flen);
            len -= flen;
        }
        if (closed)
            break;
    }
    for (int i = 0; i < s.n; i++)
        free(s.frames[i]);
    free(buf);
    close(fd);
}

static void *fake_main(void *arg)
{
    fake_t *f = arg;
    while (!atomic_load(&f->stop)) {
        struct pollfd pfd = {f->lfd, POLLIN, 0};
        if (poll(&pfd, 1, 20) <= 0)
            continue;
        int fd = accept(f->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        atomic_fetch_add(&f->accepts, 1);
        serve(f, fd);
    }
    close(f->lfd);
    return NULL;
}

/* Starts a fake OSD on port (0 = ephemeral). */
static fake_t *fake_start(int32_t osd_id, int port)
{
    fake_t *f = calloc(1, sizeof(*f));
    f->osd_id = osd_id;
    f->epoch = 10;
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(f->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons((uint16_t)port);
    if (bind(f->lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(f->lfd, 16) != 0) {
        perror("fake bind");
        abort();
    }
    socklen_t sl = sizeof(sin);
    getsockname(f->lfd, (struct sockaddr *)&sin, &sl);
    f->port = ntohs(sin.sin_port);
    pthread_create(&f->th, NULL, fake_main, f);
    return f;
}

static void fake_stop(fake_t *f)
{
    atomic_store(&f->stop, 1);
    pthread_join(f->th, NULL);
    free(f);
}

static void addr_of(int port, char *out, size_t n)
{
    snprintf(out, n, "127.0.0.1:%d", port);
}

/* A port nothing listens on. */
static int dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&sin, sizeof(sin));
    socklen_t sl = sizeof(sin);
    getsockname(fd, (struct sockaddr *)&sin, &sl);
    close(fd);
    return ntohs(sin.sin_port);
}

/* ---------- client-side helpers ---------- */

static h2o_evloop_t *loop;

/* Runs the loop until *counter >= want or max_ms passed. Returns 1 if reached. */
static int run_until(const int *counter, int want, unsigned max_ms)
{
    uint64_t end = mono_ms() + max_ms;
    while (*counter < want && mono_ms() < end)
        h2o_evloop_run(loop, 10);
    return *counter >= want;
}

static void run_for(unsigned ms)
{
    uint64_t end = mono_ms() + ms;
    while (mono_ms() < end)
        h2o_evloop_run(loop, 10);
}

/* One recorded outcome per callback. */
typedef struct {
    int calls;
    int finals;
    int err;
    int order[64];
    int norder;
    uint64_t epoch;
    uint64_t t_done;
    int more_seen;
} rec_t;

typedef struct {
    rec_t *rec;
    int idx;
} tag_t;

static void on_rec(void *arg, int err, const tn_osdc_reply_t *rep)
{
    tag_t *t = arg;
    t->rec->calls++;
    if (rep->more) {
        t->rec->more_seen++;
        return;
    }
    t->rec->finals++;
    t->rec->err = err;
    t->rec->epoch = rep->epoch;
    t->rec->t_done = mono_ms();
    if (t->rec->norder < 64)
        t->rec->order[t->rec->norder++] = t->idx;
}

/* A ping body with wall_ms = v (the fake echoes it). */
static void ping_body(uint8_t b[8], uint64_t v)
{
    tn_wire_w_t w;
    tn_wire_w_init(&w, b, 8);
    tn_ping_req_t q = {v};
    tn_proto_enc_ping_req(&w, &q);
}

typedef struct {
    int calls, finals, errs;
    uint64_t echoed[16];
    int err;
} ping_rec_t;

typedef struct {
    ping_rec_t *pr;
    uint64_t want;
    int idx;
} ping_tag_t;

static void on_ping_echo(void *arg, int err, const tn_osdc_reply_t *rep)
{
    ping_tag_t *t = arg;
    t->pr->calls++;
    t->pr->err = err;
    if (err == 0) {
        tn_ping_rep_t p;
        if (tn_proto_dec_ping_rep(rep->payload.base, rep->payload.len, &p) == TN_OK)
            t->pr->echoed[t->idx] = p.wall_ms;
    } else {
        t->pr->errs++;
    }
}

static tn_osdc_t *new_client(uint32_t req_timeout_ms, tn_hlc_t *hlc)
{
    tn_osdc_opts_t o;
    tn_osdc_opts_default(&o);
    o.request_timeout_ms = req_timeout_ms;
    o.hlc = hlc;
    o.epoch = 10;
    /* h2o's timers count from the loop's cached clock: refresh it after a pause */
    h2o_evloop_run(loop, 0);
    return tn_osdc_create(loop, &o);
}

/* ---------- tests ---------- */

static void test_out_of_order(void)
{
    fake_t *f = fake_start(1, 0);
    atomic_store(&f->arg, 5);
    atomic_store(&f->mode, M_REVERSE);
    tn_osdc_t *c = new_client(2000, NULL);
    char a[64];
    addr_of(f->port, a, sizeof(a));
    is_int(tn_osdc_set_osd(c, 1, a), 0, "set_osd");
    rec_t rec;
    memset(&rec, 0, sizeof(rec));
    tag_t tags[5];
    uint8_t bodies[5][8];
    for (int i = 0; i < 5; i++) {
        tags[i] = (tag_t){&rec, i};
        ping_body(bodies[i], 1000 + (uint64_t)i);
        is_int(tn_osdc_call(c, 1, TN_OP_PING, bodies[i], 8, on_rec, &tags[i], NULL), 0, "call");
    }
    is_uint(tn_osdc_inflight(c, 1), 5, "5 in flight");
    ok(run_until(&rec.finals, 5, 3000), "5 replies");
    is_int(rec.err, 0, "ok");
    int reversed = rec.norder == 5;
    for (int i = 0; i < rec.norder; i++)
        reversed &= rec.order[i] == 4 - i;
    ok(reversed, "replies completed in the server's (reversed) order");
    is_uint(tn_osdc_inflight(c, 1), 0, "nothing in flight");

    /* each reply reaches its own request: the fake echoes wall_ms */
    ping_rec_t pr;
    memset(&pr, 0, sizeof(pr));
    ping_tag_t pt[5];
    for (int i = 0; i < 5; i++) {
        pt[i] = (ping_tag_t){&pr, 5000 + (uint64_t)i, i};
        ping_body(bodies[i], pt[i].want);
        is_int(tn_osdc_call(c, 1, TN_OP_PING, bodies[i], 8, on_ping_echo, &pt[i], NULL), 0, "call");
    }
    ok(run_until(&pr.calls, 5, 3000), "5 echoes");
    int matched = 1;
    for (int i = 0; i < 5; i++)
        matched &= pr.echoed[i] == pt[i].want;
    ok(matched, "every reply matched its request id");
    tn_osdc_stats_t st;
    tn_osdc_stats(c, &st);
    is_uint(st.connects, 1, "one connection reused");
    is_uint(st.requests, 10, "10 requests");
    is_uint(st.completed_ok, 10, "10 ok");
    ok(st.bytes_out >= 10 * (48 + 8) && st.bytes_in >= 10 * (48 + 24), "bytes counted");
    tn_osdc_destroy(c);
    fake_stop(f);
}

/* A busy OSD is not a hung one: a fake that answers one request every 150 ms (serially, like
 * an OSD draining its queue) gets 6 requests at once with a 300 ms timeout. The later ones
 * wait longer than the timeout, but the OSD keeps answering, so their timers are re-armed and
 * every request succeeds (before: the 3rd to 6th timed out). */
static void test_busy_not_hung(void)
{
    fake_t *f = fake_start(1, 0);
    atomic_store(&f->arg, 150);
    atomic_store(&f->mode, M_DELAY);
    tn_osdc_t *c = new_client(300, NULL);
    char a[64];
    addr_of(f->port, a, sizeof(a));
    tn_osdc_set_osd(c, 1, a);
    rec_t r[6];
    tag_t t[6];
    memset(r, 0, sizeof(r));
    uint8_t b[8];
    ping_body(b, 1);
    int finals = 0;
    for (int i = 0; i < 6; i++) {
        t[i].rec = &r[i];
        t[i].idx = i;
        is_int(tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t[i], NULL), 0, "call");
    }
    uint64_t t0 = mono_ms();
    for (int k = 0; k < 400 && finals < 6; k++) {
        run_for(10);
        finals = 0;
        for (int i = 0; i < 6; i++)
            finals += r[i].finals;
    }
    is_int(finals, 6, "every request answered");
    int failed = 0;
    for (int i = 0; i < 6; i++)
        failed += r[i].err != 0;
    is_int(failed, 0, "none timed out: the OSD kept answering");
    ok(r[5].t_done - t0 >= 600, "the last one waited twice the request timeout");
    tn_osdc_stats_t st;
    tn_osdc_stats(c, &st);
    ok(st.busy_waits > 0, "timers re-armed");
    tn_osdc_destroy(c);
    fake_stop(f);
}

static void test_timeout_and_isolation(void)
{
    fake_t *hung = fake_start(1, 0), *good = fake_start(2, 0);
    atomic_store(&hung->mode, M_HANG);
    tn_osdc_t *c = new_client(300, NULL);
    char a[64];
    addr_of(hung->port, a, sizeof(a));
    tn_osdc_set_osd(c, 1, a);
    addr_of(good->port, a, sizeof(a));
    tn_osdc_set_osd(c, 2, a);
    rec_t r1, r2;
    memset(&r1, 0, sizeof(r1));
    memset(&r2, 0, sizeof(r2));
    tag_t t1 = {&r1, 1}, t2 = {&r2, 2};
    uint8_t b[8];
    ping_body(b, 1);
    uint64_t t0 = mono_ms();
    is_int(tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t1, NULL), 0, "call hung");
    is_int(tn_osdc_call(c, 2, TN_OP_PING, b, 8, on_rec, &t2, NULL), 0, "call good");
    ok(run_until(&r2.finals, 1, 2000), "good OSD answered");
    is_int(r2.err, 0, "good OSD ok");
    ok(r2.t_done - t0 < 200, "good OSD not delayed by the hung one");
    is_int(r1.finals, 0, "hung OSD still pending");
    ok(run_until(&r1.finals, 1, 2000), "hung OSD timed out");
    is_int(r1.err, TN_ERR_TIMEOUT, "TN_ERR_TIMEOUT");
    uint64_t took = r1.t_done - t0;
    ok(took >= 250 && took < 1000, "timeout at about request_timeout_ms");
    run_for(100);
    is_int(r1.calls, 1, "timeout reported exactly once");

    /* a reply that comes after the timeout is dropped and counted */
    atomic_store(&hung->arg, 500);
    atomic_store(&hung->mode, M_DELAY);
    memset(&r1, 0, sizeof(r1));
    is_int(tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t1, NULL), 0, "call delayed");
    ok(run_until(&r1.finals, 1, 2000), "delayed reply timed out");
    is_int(r1.err, TN_ERR_TIMEOUT, "late reply: TN_ERR_TIMEOUT");
    run_for(600);
    is_int(r1.calls, 1, "exactly once, late reply dropped");
    tn_osdc_stats_t st;
    tn_osdc_stats(c, &st);
    ok(st.unknown_replies >= 1, "late reply counted as unknown");
    is_uint(st.fail_timeout, 2, "two timeouts counted");
    tn_osdc_destroy(c);
    fake_stop(hung);
    fake_stop(good);
}

static void test_close_and_reconnect(void)
{
    fake_t *f = fake_start(1, 0);
    tn_osdc_t *c = new_client(2000, NULL);
    char a[64];
    addr_of(f->port, a, sizeof(a));
    tn_osdc_set_osd(c, 1, a);
    uint8_t b[8];
    ping_body(b, 1);
    rec_t r;
    memset(&r, 0, sizeof(r));
    tag_t t = {&r, 0};
    tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL);
    ok(run_until(&r.finals, 1, 2000) && r.err == 0, "first ping");

    atomic_store(&f->mode, M_CLOSE);
    memset(&r, 0, sizeof(r));
    for (int i = 0; i < 3; i++)
        is_int(tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL), 0, "call");
    ok(run_until(&r.finals, 3, 2000), "3 failures");
    is_int(r.err, -ECONNRESET, "-ECONNRESET");
    run_for(50);
    is_int(r.calls, 3, "each failed exactly once");

    atomic_store(&f->mode, M_NORMAL);
    memset(&r, 0, sizeof(r));
    is_int(tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL), 0, "call after loss");
    ok(run_until(&r.finals, 1, 2000) && r.err == 0, "next call reconnected");
    tn_osdc_stats_t st;
    tn_osdc_stats(c, &st);
    is_uint(st.reconnects, 1, "one reconnect");
    is_uint(st.fail_conn, 3, "3 connection failures counted");

    /* the server restarts on the same port */
    int port = f->port;
    fake_stop(f);
    memset(&r, 0, sizeof(r));
    tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL);
    ok(run_until(&r.finals, 1, 2000), "call to a stopped server ends");
    ok(r.err == -ECONNRESET || r.err == -ECONNREFUSED, "reset or refused");
    f = fake_start(1, port);
    run_for(450); /* let any back-off pass */
    memset(&r, 0, sizeof(r));
    int rc = tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL);
    if (rc == -ECONNREFUSED) { /* still backing off after two refusals */
        run_for(500);
        rc = tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL);
    }
    is_int(rc, 0, "call after restart accepted");
    ok(run_until(&r.finals, 1, 2000) && r.err == 0, "reconnected to the restarted server");
    tn_osdc_destroy(c);
    fake_stop(f);
}

static void test_fast_failure(void)
{
    tn_osdc_t *c = new_client(2000, NULL);
    char a[64];
    addr_of(dead_port(), a, sizeof(a));
    tn_osdc_set_osd(c, 1, a);
    uint8_t b[8];
    ping_body(b, 1);
    rec_t r;
    memset(&r, 0, sizeof(r));
    tag_t t = {&r, 0};
    uint64_t t0 = mono_ms();
    int rc = tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL);
    if (rc == 0) {
        ok(run_until(&r.finals, 1, 2000), "first call fails");
        is_int(r.err, -ECONNREFUSED, "-ECONNREFUSED");
    } else {
        is_int(rc, -ECONNREFUSED, "refused at once");
    }
    ok(mono_ms() - t0 < 500, "refused quickly");
    /* in back-off: refused without touching the network */
    h2o_evloop_run(loop, 0);
    t0 = mono_ms();
    rc = tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL);
    uint64_t took = mono_ms() - t0;
    is_int(rc, -ECONNREFUSED, "back-off: -ECONNREFUSED returned by the call");
    ok(took < 500, "back-off failure is immediate");
    tn_osdc_stats_t st;
    tn_osdc_stats(c, &st);
    is_uint(st.fast_fail, 1, "fast failure counted");
    /* after the back-off a new attempt is made (and fails again, doubling it) */
    run_for(250);
    memset(&r, 0, sizeof(r));
    rc = tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL);
    if (rc == 0)
        ok(run_until(&r.finals, 1, 2000) && r.err == -ECONNREFUSED, "retried and refused");
    else
        is_int(rc, -ECONNREFUSED, "retried and refused");
    run_for(250); /* 250 < 400: still backing off */
    is_int(tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL), -ECONNREFUSED,
           "back-off doubled");
    tn_osdc_stats(c, &st);
    is_uint(st.connect_fails, 2, "two connect attempts");
    is_int(tn_osdc_call(c, 9, TN_OP_PING, b, 8, on_rec, &t, NULL), -ENOENT, "unknown OSD");
    tn_osdc_destroy(c);
}

static void test_bad_replies(void)
{
    fake_t *f = fake_start(1, 0);
    tn_osdc_t *c = new_client(2000, NULL);
    char a[64];
    addr_of(f->port, a, sizeof(a));
    tn_osdc_set_osd(c, 1, a);
    uint8_t b[8];
    ping_body(b, 1);
    rec_t r;
    memset(&r, 0, sizeof(r));
    tag_t t = {&r, 0};

    atomic_store(&f->mode, M_BADCRC);
    tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL);
    ok(run_until(&r.finals, 1, 2000), "bad CRC reply");
    is_int(r.err, TN_ERR_CHECKSUM, "TN_ERR_CHECKSUM");
    atomic_store(&f->mode, M_NORMAL);
    memset(&r, 0, sizeof(r));
    tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL);
    ok(run_until(&r.finals, 1, 2000) && r.err == 0, "connection survives a bad CRC");
    tn_osdc_stats_t st;
    tn_osdc_stats(c, &st);
    is_uint(st.connects, 1, "same connection");
    is_uint(st.fail_checksum, 1, "checksum failure counted");

    atomic_store(&f->mode, M_BADHDR);
    memset(&r, 0, sizeof(r));
    for (int i = 0; i < 3; i++)
        tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL);
    ok(run_until(&r.finals, 3, 2000), "bad header fails all");
    is_int(r.err, TN_ERR_PROTO, "TN_ERR_PROTO");
    run_for(50);
    is_int(r.calls, 3, "exactly once each");
    tn_osdc_stats(c, &st);
    is_uint(st.fail_proto, 3, "proto failures counted");

    atomic_store(&f->mode, M_NORMAL);
    memset(&r, 0, sizeof(r));
    tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL);
    ok(run_until(&r.finals, 1, 2000) && r.err == 0, "reconnects after a bad header");
    tn_osdc_destroy(c);
    fake_stop(f);
}

typedef struct {
    int frames, finals, err;
    int more_flags[8];
    uint8_t *buf;
    uint64_t got;
    uint64_t blob_len;
    int bad;
} get_rec_t;

static void on_get(void *arg, int err, const tn_osdc_reply_t *rep, const tn_blob_get_rep_t *g)
{
    get_rec_t *gr = arg;
    if (gr->frames < 8)
        gr->more_flags[gr->frames] = rep->more;
    gr->frames++;
    if (g != NULL) {
        gr->blob_len = g->blob_len;
        for (size_t i = 0; i < g->data.len; i++)
            if ((uint8_t)g->data.base[i] != blob_byte(g->offset + i))
                gr->bad = 1;
        gr->got += g->data.len;
    }
    if (!rep->more) {
        gr->finals++;
        gr->err = err;
    }
}

static void test_blob_get_more(void)
{
    fake_t *f = fake_start(1, 0);
    tn_osdc_t *c = new_client(2000, NULL);
    char a[64];
    addr_of(f->port, a, sizeof(a));
    tn_osdc_set_osd(c, 1, a);
    get_rec_t gr;
    memset(&gr, 0, sizeof(gr));
    tn_blob_get_req_t q = {{1, 2, {3}, 4}, 0, 0};
    is_int(tn_osdc_blob_get(c, 1, &q, on_get, &gr, NULL), 0, "blob_get");
    ok(run_until(&gr.finals, 1, 3000), "blob_get done");
    is_int(gr.err, 0, "ok");
    is_int(gr.frames, 3, "3 frames");
    ok(gr.more_flags[0] == 1 && gr.more_flags[1] == 1 && gr.more_flags[2] == 0,
       "MORE on all but the last");
    is_uint(gr.got, BLOB_LEN, "all bytes");
    is_uint(gr.blob_len, BLOB_LEN, "blob_len");
    ok(!gr.bad, "bytes correct");
    /* the 1 MiB input buffer is kept for the next reply, then freed once idle */
    tn_osdc_stats_t st;
    tn_osdc_stats(c, &st);
    is_uint(st.input_trims, 0, "input buffer kept right after the reply");
    run_for(1600);
    tn_osdc_stats(c, &st);
    is_uint(st.input_trims, 1, "and freed after a second with nothing in flight");
    memset(&gr, 0, sizeof(gr));
    is_int(tn_osdc_blob_get(c, 1, &q, on_get, &gr, NULL), 0, "blob_get again");
    ok(run_until(&gr.finals, 1, 3000) && gr.err == 0 && gr.got == BLOB_LEN && !gr.bad,
       "after the trim: all bytes, correct");
    memset(&gr, 0, sizeof(gr));
    q.offset = BLOB_LEN + 5;
    tn_osdc_blob_get(c, 1, &q, on_get, &gr, NULL);
    ok(run_until(&gr.finals, 1, 2000) && gr.err == -EINVAL, "offset past the end: -EINVAL");
    tn_osdc_destroy(c);
    fake_stop(f);
}

static void test_streamed_put(void)
{
    fake_t *f = fake_start(1, 0);
    tn_osdc_t *c = new_client(2000, NULL);
    char a[64];
    addr_of(f->port, a, sizeof(a));
    tn_osdc_set_osd(c, 1, a);
    size_t len = 2 * TN_OSDC_PUT_PIECE + 777;
    uint8_t *data = malloc(len);
    for (size_t i = 0; i < len; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    tn_blobref_t ref = {1, 2, {9}, 0};
    rec_t r, rp;
    memset(&r, 0, sizeof(r));
    memset(&rp, 0, sizeof(rp));
    tag_t t = {&r, 0}, tp = {&rp, 0};
    is_int(tn_osdc_blob_put(c, 1, &ref, data, len, on_rec, &t, NULL), 0, "blob_put");
    uint8_t b[8];
    ping_body(b, 1);
    for (int i = 0; i < 3; i++)
        tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &tp, NULL);
    ok(run_until(&r.finals, 1, 5000), "put done");
    is_int(r.calls, 1, "one completion");
    is_int(r.err, 0, "durable");
    is_int(atomic_load(&f->data_frames), 3, "3 DATA frames");
    is_int(atomic_load(&f->max_piece), (int)TN_OSDC_PUT_PIECE, "pieces of at most 1 MiB");
    is_int(atomic_load(&f->put_ok), 1, "END CRC verified by the OSD");
    ok(atomic_load(&f->interleaved) >= 1, "other requests' frames interleaved with DATA");
    ok(run_until(&rp.finals, 3, 2000) && rp.err == 0, "pings done");

    /* empty blob: BEGIN then END */
    memset(&r, 0, sizeof(r));
    tn_osdc_blob_put(c, 1, &ref, NULL, 0, on_rec, &t, NULL);
    ok(run_until(&r.finals, 1, 2000) && r.err == 0, "empty put");
    is_int(atomic_load(&f->data_frames), 0, "no DATA frames");
    is_int(atomic_load(&f->put_ok), 2, "second put ok");

    /* a put cancelled once BEGIN is on its way: the stream is ended with an END the OSD
     * refuses; no callback, and the caller may free the data as soon as cancel returns (ASan
     * checks that nothing reads it later) */
    memset(&r, 0, sizeof(r));
    tn_osdc_req_t *h = NULL;
    is_int(tn_osdc_blob_put(c, 1, &ref, data, len, on_rec, &t, &h), 0, "put to cancel");
    tn_osdc_cancel(h);
    free(data);
    data = NULL;
    run_for(300);
    tn_osdc_stats_t st;
    tn_osdc_stats(c, &st);
    is_uint(st.cancel_resets, 0, "no reset needed");
    is_int(r.calls, 0, "no callback after cancel");
    is_int(atomic_load(&f->put_ok), 2, "cancelled put not accepted");
    is_int(atomic_load(&f->put_bad), 1, "the OSD refused the aborted stream");
    is_uint(tn_osdc_inflight(c, 1), 0, "the refusal was absorbed");
    is_uint(st.unknown_replies, 0, "not as an unknown reply");
    memset(&rp, 0, sizeof(rp));
    tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &tp, NULL);
    ok(run_until(&rp.finals, 1, 2000) && rp.err == 0, "client usable after the cancel");
    free(data);
    tn_osdc_destroy(c);
    fake_stop(f);
}

typedef struct {
    int calls, err, has_stored;
    tn_proto_ver_t stored;
    uint64_t epoch;
    uint8_t result;
} rp_rec_t;

static void on_row_put_rec(void *arg, int err, const tn_osdc_reply_t *rep,
                           const tn_row_put_rep_t *r)
{
    rp_rec_t *x = arg;
    x->calls++;
    x->err = err;
    x->epoch = rep->epoch;
    if (r != NULL) {
        x->has_stored = r->has_stored;
        x->stored = r->stored;
        x->result = r->result;
    }
}

static void test_stale(void)
{
    fake_t *f = fake_start(1, 0);
    tn_osdc_t *c = new_client(2000, NULL);
    char a[64];
    addr_of(f->port, a, sizeof(a));
    tn_osdc_set_osd(c, 1, a);
    rp_rec_t x;
    memset(&x, 0, sizeof(x));
    tn_osdc_set_epoch(c, 5);
    is_uint(tn_osdc_epoch(c), 5, "epoch set");
    is_int(tn_osdc_row_put(c, 1, TN_PROTO_ROW_PUT, "row-bytes", 9, on_row_put_rec, &x, NULL), 0,
           "row_put");
    ok(run_until(&x.calls, 1, 2000), "replied");
    is_int(x.err, TN_ERR_STALE_EPOCH, "TN_ERR_STALE_EPOCH");
    is_uint(x.epoch, 10, "reply carries the OSD's epoch");
    is_uint(atomic_load(&f->last_epoch), 5, "request carried the client's epoch");

    tn_osdc_set_epoch(c, 10);
    memset(&x, 0, sizeof(x));
    tn_osdc_row_put(c, 1, TN_PROTO_ROW_PUT, "stale-row", 9, on_row_put_rec, &x, NULL);
    ok(run_until(&x.calls, 1, 2000), "replied");
    is_int(x.err, TN_ERR_STALE_TS, "TN_ERR_STALE_TS");
    ok(x.has_stored && x.stored.hlc == 555 && x.stored.origin == 7 && x.stored.vid[0] == 0xab,
       "stored version decoded");

    memset(&x, 0, sizeof(x));
    tn_osdc_row_put(c, 1, TN_PROTO_ROW_MERGE, "fresh-row", 9, on_row_put_rec, &x, NULL);
    ok(run_until(&x.calls, 1, 2000) && x.err == 0, "merge ok");
    is_int(x.result, TN_PROTO_RESULT_IGNORED, "result decoded");
    is_int(tn_osdc_row_put(c, 1, 7, "x", 1, on_row_put_rec, &x, NULL), -EINVAL, "bad mode");
    tn_osdc_destroy(c);
    fake_stop(f);
}

static void on_hedge_rec(void *arg, tn_osdc_req_t *req)
{
    (void)req;
    rec_t *r = arg;
    r->more_seen++;
    r->t_done = mono_ms();
}

static void test_cancel_and_hedge(void)
{
    fake_t *f = fake_start(1, 0);
    atomic_store(&f->arg, 150);
    atomic_store(&f->mode, M_DELAY);
    tn_osdc_t *c = new_client(2000, NULL);
    char a[64];
    addr_of(f->port, a, sizeof(a));
    tn_osdc_set_osd(c, 1, a);
    uint8_t b[8];
    ping_body(b, 1);
    rec_t r;
    memset(&r, 0, sizeof(r));
    tag_t t = {&r, 0};

    /* cancelled before anything was sent (still connecting) */
    tn_osdc_req_t *h = NULL;
    is_int(tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, &h), 0, "call");
    tn_osdc_cancel(h);
    is_uint(tn_osdc_inflight(c, 1), 0, "unsent request dropped at once");
    /* cancelled while the OSD works on it */
    tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, &h);
    run_for(50);
    tn_osdc_cancel(h);
    run_for(300);
    is_int(r.calls, 0, "no callback after cancel");
    is_uint(tn_osdc_inflight(c, 1), 0, "cancelled request freed when its reply came");
    tn_osdc_stats_t st;
    tn_osdc_stats(c, &st);
    is_uint(st.cancelled, 2, "cancels counted");
    is_uint(st.unknown_replies, 0, "the reply was absorbed, not unknown");

    /* cancelling a zero-copy request whose bytes are being written resets the connection;
     * the other requests on it fail with -ECONNRESET, but not inside tn_osdc_cancel */
    rec_t other;
    memset(&other, 0, sizeof(other));
    tag_t to = {&other, 0};
    tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &to, NULL);
    run_for(20);
    uint8_t *big = malloc(4096);
    memset(big, 1, 4096);
    is_int(tn_osdc_call(c, 1, 0x7777, big, 4096, on_rec, &t, &h), 0, "zero-copy call");
    tn_osdc_cancel(h);
    free(big);
    is_int(other.calls, 0, "no callbacks inside cancel");
    ok(run_until(&other.finals, 1, 1000), "other request failed");
    is_int(other.err, -ECONNRESET, "with -ECONNRESET");
    is_int(r.calls, 0, "the cancelled one stays silent");
    tn_osdc_stats(c, &st);
    is_uint(st.cancel_resets, 1, "reset counted");

    /* hedge: notified after hedge_ms, the request goes on */
    rec_t hr;
    memset(&hr, 0, sizeof(hr));
    memset(&r, 0, sizeof(r));
    uint64_t t0 = mono_ms();
    tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, &h);
    tn_osdc_hedge(h, on_hedge_rec, &hr);
    ok(run_until(&r.finals, 1, 2000), "request finished");
    is_int(r.err, 0, "request ok despite the hedge");
    is_int(hr.more_seen, 1, "hedge fired once");
    ok(hr.t_done - t0 >= 40 && hr.t_done < r.t_done, "hedge fired at ~50 ms, before the reply");
    /* a hedge on a fast request never fires */
    atomic_store(&f->mode, M_NORMAL);
    memset(&hr, 0, sizeof(hr));
    memset(&r, 0, sizeof(r));
    tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, &h);
    tn_osdc_hedge(h, on_hedge_rec, &hr);
    ok(run_until(&r.finals, 1, 2000), "fast request done");
    run_for(100);
    is_int(hr.more_seen, 0, "no hedge after completion");
    tn_osdc_destroy(c);
    fake_stop(f);
}

static void test_hlc(void)
{
    fake_t *f = fake_start(1, 0);
    tn_hlc_t hlc;
    tn_hlc_init(&hlc, 0);
    tn_osdc_t *c = new_client(2000, &hlc);
    char a[64];
    addr_of(f->port, a, sizeof(a));
    tn_osdc_set_osd(c, 1, a);
    uint8_t b[8];
    ping_body(b, 1);
    rec_t r;
    memset(&r, 0, sizeof(r));
    tag_t t = {&r, 0};
    atomic_store(&f->arg, 2000);
    atomic_store(&f->mode, M_AHEAD);
    uint64_t before = wall_ms();
    tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL);
    ok(run_until(&r.finals, 1, 2000) && r.err == 0, "reply 2 s ahead accepted");
    uint64_t req_hlc = atomic_load(&f->last_hlc);
    ok(tn_hlc_physical_ms(req_hlc) >= before && tn_hlc_physical_ms(req_hlc) < before + 1000,
       "request stamped with the client's HLC");
    uint64_t last = tn_hlc_last(&hlc);
    ok(tn_hlc_physical_ms(last) >= before + 2000, "client clock pulled past the OSD's");
    atomic_store(&f->arg, 60000);
    memset(&r, 0, sizeof(r));
    tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL);
    ok(run_until(&r.finals, 1, 2000), "replied");
    is_int(r.err, TN_ERR_CLOCK, "a minute ahead: TN_ERR_CLOCK");
    ok(tn_hlc_physical_ms(tn_hlc_last(&hlc)) < before + 60000, "clock not pulled that far");
    tn_osdc_stats_t st;
    tn_osdc_stats(c, &st);
    is_uint(st.fail_clock, 1, "clock failure counted");
    tn_osdc_destroy(c);
    fake_stop(f);
}

static void test_addresses(void)
{
    fake_t *f1 = fake_start(1, 0), *f2 = fake_start(2, 0);
    tn_osdc_t *c = new_client(2000, NULL);
    is_int(tn_osdc_set_osd(c, 1, "127.0.0.1"), -EINVAL, "no port");
    is_int(tn_osdc_set_osd(c, 1, "127.0.0.1:0"), -EINVAL, "port 0");
    is_int(tn_osdc_set_osd(c, 1, "127.0.0.1:99999"), -EINVAL, "port too big");
    is_int(tn_osdc_set_osd(c, 1, "::1:80"), -EINVAL, "bare IPv6");
    is_int(tn_osdc_set_osd(c, 1, "[::1]:80"), 0, "bracketed IPv6");
    is_int(tn_osdc_set_osd(c, 1, "[::1:80"), -EINVAL, "unclosed bracket");
    char a[64];
    snprintf(a, sizeof(a), "localhost:%d", f1->port);
    is_int(tn_osdc_set_osd(c, 1, a), 0, "hostname");
    addr_of(f1->port, a, sizeof(a));
    is_int(tn_osdc_set_osd(c, 1, a), 0, "IPv4");
    uint8_t b[8];
    ping_body(b, 1);
    ping_rec_t pr;
    memset(&pr, 0, sizeof(pr));
    ping_tag_t pt = {&pr, 1, 0};
    tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_ping_echo, &pt, NULL);
    ok(run_until(&pr.calls, 1, 2000) && pr.err == 0, "ping on first address");
    is_int(tn_osdc_set_osd(c, 1, a), 0, "same address again");
    addr_of(f2->port, a, sizeof(a));
    is_int(tn_osdc_set_osd(c, 1, a), 0, "address changed");
    tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_ping_echo, &pt, NULL);
    ok(run_until(&pr.calls, 2, 2000) && pr.err == 0, "ping on the new address");
    is_int(atomic_load(&f1->requests), 1, "old server got one request");
    is_int(atomic_load(&f2->requests), 1, "new server got the next");
    tn_osdc_destroy(c);
    fake_stop(f1);
    fake_stop(f2);
}

static void test_sync(void)
{
    fake_t *f = fake_start(3, 0);
    tn_osdc_opts_t o;
    tn_osdc_opts_default(&o);
    o.epoch = 10;
    tn_osdc_sync_t *s = tn_osdc_sync_create(&o);
    ok(s != NULL, "sync client");
    char a[64];
    addr_of(f->port, a, sizeof(a));
    tn_osdc_set_osd(tn_osdc_sync_client(s), 3, a);

    tn_ping_rep_t pr;
    is_int(tn_osdc_sync_ping(s, 3, &pr), 0, "ping");
    is_int(pr.osd_id, 3, "ping osd id");

    uint8_t *body = NULL;
    size_t len = 0;
    is_int(tn_osdc_sync_stats(s, 3, &body, &len), 0, "stats");
    tn_proto_iter_t it;
    uint32_t n = 0;
    tn_slice_t name;
    uint64_t v = 0;
    ok(tn_proto_dec_stats_rep(body, len, &it, &n) == TN_OK && n == 2, "stats body");
    ok(tn_proto_next_stat(&it, &name, &v) == 1 && name.len == 9 && v == 3, "first stat");
    free(body);

    is_int(tn_osdc_sync_map_get(s, 3, 0, &body, &len), 0, "map_get");
    ok(len == 9 && memcmp(body, "MAP-BYTES", 9) == 0, "map bytes");
    free(body);
    is_int(tn_osdc_sync_map_get(s, 3, 99, &body, &len), TN_ERR_NOT_FOUND, "map_get gone epoch");

    tn_map_offer_rep_t mo;
    tn_map_offer_req_t offer = {TN_PROTO_MAP_CAS, 10, {"NEWMAP", 6}};
    is_int(tn_osdc_sync_map_offer(s, 3, &offer, &mo), 0, "map_offer");
    ok(mo.epoch == 11 && mo.hash == tn_crc32c(0, "NEWMAP", 6), "offer reply (map sent intact)");
    offer.base_epoch = 4;
    memset(&mo, 0, sizeof(mo));
    is_int(tn_osdc_sync_map_offer(s, 3, &offer, &mo), TN_ERR_STALE_EPOCH, "CAS refused");
    ok(mo.epoch == 10 && mo.hash == 0x1234, "STALE_EPOCH body delivered");
    uint64_t ep = 0;
    uint16_t status = 0;
    tn_osdc_sync_last(s, &status, &ep, NULL);
    ok(status == TN_FRAME_ST_STALE_EPOCH && ep == 10, "last reply header");

    tn_blobref_t ref = {1, 2, {3}, 4};
    uint8_t blob[5000];
    for (size_t i = 0; i < sizeof(blob); i++)
        blob[i] = (uint8_t)i;
    /* a put's BEGIN gets no reply: with nothing else waking the loop, h2o 2.2.5 would report
     * its write completion only at the next timer (2 s); the client's kick timer prevents it */
    uint64_t t0 = mono_ms();
    is_int(tn_osdc_sync_blob_put(s, 3, &ref, blob, sizeof(blob)), 0, "blob_put");
    ok(mono_ms() - t0 < 1000, "blob_put not stalled until a timer");
    is_int(atomic_load(&f->put_ok), 1, "put verified");
    tn_blob_get_req_t gq = {ref, 100, 2 * TN_PROTO_GET_PIECE};
    uint64_t blen = 0;
    is_int(tn_osdc_sync_blob_get(s, 3, &gq, &body, &len, &blen), 0, "blob_get range");
    is_uint(len, 2 * TN_PROTO_GET_PIECE, "range length (3 frames merged)");
    is_uint(blen, BLOB_LEN, "blob length");
    ok(body != NULL && body[0] == blob_byte(100) && body[len - 1] == blob_byte(100 + len - 1),
       "range bytes");
    free(body);
    tn_blob_stat_rep_t bs;
    is_int(tn_osdc_sync_blob_stat(s, 3, &ref, &bs), 0, "blob_stat");
    ok(bs.exists == 1 && bs.length == 1234, "stat reply");
    is_int(tn_osdc_sync_blob_delete(s, 3, &ref), 0, "blob_delete");

    tn_row_put_rep_t rp;
    is_int(tn_osdc_sync_row_put(s, 3, TN_PROTO_ROW_PUT, "row", 3, &rp), 0, "row_put");
    is_int(rp.result, TN_PROTO_RESULT_APPLIED, "applied");
    is_int(tn_osdc_sync_row_put(s, 3, TN_PROTO_ROW_PUT, "stale!", 6, &rp), TN_ERR_STALE_TS,
           "row_put stale");
    ok(rp.has_stored && rp.stored.hlc == 555, "stored version");
    /* a long key goes through the heap-body path */
    char key[600];
    memset(key, 'k', sizeof(key));
    tn_row_get_req_t rg = {1, 2, 3, {key, sizeof(key)}};
    is_int(tn_osdc_sync_row_get(s, 3, &rg, &body, &len), 0, "row_get long key");
    ok(len == 4 + sizeof(key) && memcmp(body, "ROW:", 4) == 0 &&
           memcmp(body + 4, key, sizeof(key)) == 0,
       "row echoed");
    free(body);
    rg.key = (tn_slice_t){"missing", 7};
    is_int(tn_osdc_sync_row_get(s, 3, &rg, &body, &len), TN_ERR_NOT_FOUND, "row_get missing");

    tn_row_list_req_t lq = {1, 2, 3, {"k", 1}, {"", 0}, 100, 0};
    is_int(tn_osdc_sync_row_list(s, 3, &lq, &body, &len), 0, "row_list");
    uint8_t more = 9;
    ok(tn_proto_dec_row_list_rep(body, len, &it, &more, &n) == TN_OK && n == 3 && more == 1,
       "frames merged into one body");
    tn_row_entry_t e;
    int keys_ok = 1;
    for (int i = 0; i < 3; i++) {
        keys_ok &= tn_proto_next_row_entry(&it, &e) == 1 && e.key.len == 2 &&
                   e.key.base[1] == (char)('1' + i);
    }
    ok(keys_ok && tn_proto_next_row_entry(&it, &e) == 0, "three entries in order");
    free(body);
    lq.flags = TN_PROTO_LIST_WITH_INLINE;
    is_int(tn_osdc_sync_row_list(s, 3, &lq, &body, &len), 0, "row_list inline");
    tn_slice_t row;
    ok(tn_proto_dec_row_list_rep(body, len, &it, &more, &n) == TN_OK && n == 3 &&
           tn_proto_next_row(&it, &row) == 1 && row.len == 2,
       "inline rows");
    free(body);

    tn_row_delete_req_t dq = {1, 2, 3, {"k1", 2}, {1, 2, {3}}};
    uint8_t result = 0;
    is_int(tn_osdc_sync_row_delete(s, 3, &dq, &result), 0, "row_delete");
    is_int(result, TN_PROTO_RESULT_PURGED, "purged");

    tn_pg_digest_rep_t dg;
    is_int(tn_osdc_sync_pg_digest(s, 3, 4, 5, 0, &dg), 0, "pg_digest");
    ok(dg.all.count == 45 && dg.blob_count == 4, "digest");
    tn_pg_enum_req_t eq = {4, 5, TN_PROTO_ENUM_BLOBS, {"", 0}, 10};
    is_int(tn_osdc_sync_pg_enum(s, 3, &eq, &body, &len), 0, "pg_enum");
    tn_slice_t cur;
    tn_blob_item_t bi;
    ok(tn_proto_dec_pg_enum_rep(body, len, &it, &more, &cur, &n) == TN_OK && n == 1 &&
           cur.len == 4 && tn_proto_next_blob_item(&it, &bi) == 1 && bi.length == 3,
       "enum body");
    free(body);
    tn_slice_t rows[2] = {{"r1", 2}, {"r22", 3}};
    uint32_t applied = 0, ignored = 9;
    is_int(tn_osdc_sync_pg_push(s, 3, rows, 2, &applied, &ignored), 0, "pg_push");
    ok(applied == 2 && ignored == 0, "push counts");

    is_int(tn_osdc_sync_call(s, 3, 0x7777, NULL, 0, &body, &len), TN_ERR_UNSUPPORTED,
           "unknown op: TN_ERR_UNSUPPORTED");
    uint8_t pb[8];
    ping_body(pb, 42);
    is_int(tn_osdc_sync_call(s, 3, TN_OP_PING, pb, 8, &body, &len), 0, "generic call");
    ok(len == 24 && tn_proto_dec_ping_rep(body, len, &pr) == TN_OK && pr.wall_ms == 42,
       "generic reply");
    free(body);
    /* a generic payload over TN_OSDC_INLINE goes zero-copy */
    uint8_t big[4096];
    memset(big, 1, sizeof(big));
    is_int(tn_osdc_sync_call(s, 3, 0x7777, big, sizeof(big), &body, &len), TN_ERR_UNSUPPORTED,
           "large payload sent");

    is_int(tn_osdc_sync_ping(s, 8, &pr), -ENOENT, "unknown OSD");
    addr_of(dead_port(), a, sizeof(a));
    tn_osdc_set_osd(tn_osdc_sync_client(s), 8, a);
    int rc = tn_osdc_sync_ping(s, 8, &pr);
    is_int(rc, -ECONNREFUSED, "dead OSD refused");
    is_int(tn_osdc_sync_ping(s, 8, &pr), -ECONNREFUSED, "then fast failure");

    tn_osdc_sync_destroy(s);
    fake_stop(f);
}

static void test_limits(void)
{
    fake_t *f = fake_start(1, 0);
    tn_osdc_opts_t o;
    tn_osdc_opts_default(&o);
    o.max_inflight = 2;
    o.connect_timeout_ms = 200;
    h2o_evloop_run(loop, 0);
    tn_osdc_t *c = tn_osdc_create(loop, &o);
    char a[64];
    addr_of(f->port, a, sizeof(a));
    tn_osdc_set_osd(c, 1, a);

    /* an early error to a streamed put: one completion, with the OSD's status */
    size_t len = 3 * TN_OSDC_PUT_PIECE;
    uint8_t *data = calloc(1, len);
    tn_blobref_t ref = {666, 1, {1}, 0};
    rec_t r;
    memset(&r, 0, sizeof(r));
    tag_t t = {&r, 0};
    is_int(tn_osdc_blob_put(c, 1, &ref, data, len, on_rec, &t, NULL), 0, "put");
    ok(run_until(&r.finals, 1, 2000), "put ended early");
    is_int(r.err, -ENOSPC, "-ENOSPC from the OSD's early error");
    run_for(100);
    is_int(r.calls, 1, "exactly one completion");
    free(data); /* the library no longer references it */
    for (int i = 0; i < 200 && atomic_load(&f->silent_ends) < 1; i++)
        run_for(10);
    is_int(atomic_load(&f->silent_ends), 1, "the stream was still ended with END");
    /* the same while a data piece is still being written: the error is held until the
     * write has finished with the caller's memory */
    len = 32 * TN_OSDC_PUT_PIECE;
    data = calloc(1, len);
    ref.pool = 667;
    memset(&r, 0, sizeof(r));
    is_int(tn_osdc_blob_put(c, 1, &ref, data, len, on_rec, &t, NULL), 0, "big put");
    ok(run_until(&r.finals, 1, 3000), "big put ended early");
    is_int(r.err, -ENOSPC, "-ENOSPC");
    tn_osdc_stats_t st;
    tn_osdc_stats(c, &st);
    /* the reply came while a data piece was being written: it waited for that write (its end
     * is the kernel's business, so no timing is asserted; ASan checks the free below) */
    is_uint(st.held_replies, 1, "early error held until the data write drained");
    run_for(50);
    is_int(r.calls, 1, "exactly one completion");
    free(data);
    for (int i = 0; i < 200 && atomic_load(&f->silent_ends) < 2; i++)
        run_for(10);
    is_int(atomic_load(&f->silent_ends), 2, "this stream too was ended with END");
    is_uint(tn_osdc_inflight(c, 1), 0, "nothing left in flight");

    /* max_inflight */
    atomic_store(&f->mode, M_HANG);
    uint8_t b[8];
    ping_body(b, 1);
    memset(&r, 0, sizeof(r));
    is_int(tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL), 0, "1st");
    is_int(tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL), 0, "2nd");
    is_int(tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL), -EAGAIN, "3rd: -EAGAIN");
    is_int(tn_osdc_call(c, 1, TN_OP_PING, NULL, 5, on_rec, &t, NULL), -EINVAL, "NULL payload");
    is_int(tn_osdc_call(c, 1, TN_OP_PING, b, 8, NULL, &t, NULL), -EINVAL, "NULL callback");

    /* connect timeout: a listener whose accept queue is full drops our SYN */
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(lfd, (struct sockaddr *)&sin, sizeof(sin));
    listen(lfd, 0);
    socklen_t sl = sizeof(sin);
    getsockname(lfd, (struct sockaddr *)&sin, &sl);
    int fill[3];
    for (int i = 0; i < 3; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fill[i], (struct sockaddr *)&sin, sizeof(sin));
    }
    sleep_ms(50);
    addr_of(ntohs(sin.sin_port), a, sizeof(a));
    tn_osdc_set_osd(c, 2, a);
    memset(&r, 0, sizeof(r));
    h2o_evloop_run(loop, 0); /* refresh h2o's cached clock after the sleep */
    uint64_t t0 = mono_ms();
    is_int(tn_osdc_call(c, 2, TN_OP_PING, b, 8, on_rec, &t, NULL), 0, "call to a full listener");
    ok(run_until(&r.finals, 1, 2000), "connect gave up");
    is_int(r.err, TN_ERR_TIMEOUT, "connect timeout: TN_ERR_TIMEOUT");
    ok(r.t_done - t0 >= 150 && r.t_done - t0 < 1000, "after about connect_timeout_ms");
    is_int(tn_osdc_call(c, 2, TN_OP_PING, b, 8, on_rec, &t, NULL), -ECONNREFUSED, "then back-off");
    for (int i = 0; i < 3; i++)
        close(fill[i]);
    close(lfd);
    tn_osdc_destroy(c);
    fake_stop(f);
}

typedef struct {
    int finals[16];
    int after_final; /* callbacks for a request after its final one */
    int total;
    int errs[8]; /* 0 ok, 1 proto, 2 checksum, 3 timeout, 4 conn, 5 status, 6 other */
} mut_rec_t;

typedef struct {
    mut_rec_t *m;
    int idx;
} mut_tag_t;

static void on_mut_ping(void *arg, int err, const tn_osdc_reply_t *rep, const tn_ping_rep_t *p)
{
    mut_tag_t *t = arg;
    if (t->m->finals[t->idx] != 0)
        t->m->after_final++;
    if (rep->more)
        return;
    if (err == 0 && p == NULL)
        t->m->errs[6]++; /* an OK without a decoded body would be a bug */
    t->m->finals[t->idx]++;
    t->m->total++;
    int k = err == 0                                       ? 0
            : err == TN_ERR_PROTO                          ? 1
            : err == TN_ERR_CHECKSUM                       ? 2
            : err == TN_ERR_TIMEOUT                        ? 3
            : (err == -ECONNRESET || err == -ECONNREFUSED) ? 4
            : err == -EAGAIN                               ? 5
                                                           : 6;
    t->m->errs[k]++;
}

/* Damaged replies, seeded: every request still ends exactly once, with a fitting error. */
static void test_mutated_replies(void)
{
    fake_t *f = fake_start(1, 0);
    f->seed = 12345;
    atomic_store(&f->mode, M_MUTATE);
    tn_osdc_opts_t o;
    tn_osdc_opts_default(&o);
    o.request_timeout_ms = 150;
    o.backoff_ms = 10;
    h2o_evloop_run(loop, 0);
    tn_osdc_t *c = tn_osdc_create(loop, &o);
    char a[64];
    addr_of(f->port, a, sizeof(a));
    tn_osdc_set_osd(c, 1, a);
    int all_once = 1, accepted = 0;
    mut_rec_t m;
    memset(&m, 0, sizeof(m));
    int other = 0, after = 0;
    int kinds[8] = {0};
    for (int wave = 0; wave < 10; wave++) {
        memset(&m, 0, sizeof(m));
        mut_tag_t tags[16];
        int n = 0;
        for (int i = 0; i < 12; i++) {
            tags[i] = (mut_tag_t){&m, i};
            if (tn_osdc_ping(c, 1, on_mut_ping, &tags[i], NULL) == 0) {
                n++;
                accepted++;
            } else {
                m.finals[i] = 1; /* refused up front (back-off): no callback expected */
            }
        }
        run_until(&m.total, n, 2000);
        run_for(20);
        for (int i = 0; i < 12; i++)
            all_once &= m.finals[i] == 1;
        other += m.errs[6];
        after += m.after_final;
        for (int k = 0; k < 8; k++)
            kinds[k] += m.errs[k];
    }
    ok(accepted >= 60, "most requests accepted");
    ok(all_once, "every accepted request ended exactly once");
    is_int(after, 0, "no callback after the final one");
    is_int(other, 0, "no unexpected error kinds");
    ok(kinds[0] > 0 && kinds[1] > 0 && kinds[2] > 0 && kinds[3] > 0,
       "ok, proto, checksum and timeout outcomes all seen");
    tn_osdc_stats_t st;
    tn_osdc_stats(c, &st);
    ok(st.unknown_replies > 0, "unknown ids counted");
    tn_osdc_destroy(c);
    fake_stop(f);
}

static void test_destroy_fails_inflight(void)
{
    fake_t *f = fake_start(1, 0);
    atomic_store(&f->mode, M_HANG);
    tn_osdc_t *c = new_client(2000, NULL);
    char a[64];
    addr_of(f->port, a, sizeof(a));
    tn_osdc_set_osd(c, 1, a);
    uint8_t b[8];
    ping_body(b, 1);
    rec_t r;
    memset(&r, 0, sizeof(r));
    tag_t t = {&r, 0};
    tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL);
    tn_osdc_call(c, 1, TN_OP_PING, b, 8, on_rec, &t, NULL);
    run_for(50);
    tn_osdc_destroy(c);
    is_int(r.finals, 2, "destroy completes every request");
    is_int(r.err, -ECANCELED, "-ECANCELED");
    fake_stop(f);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    loop = h2o_evloop_create();
    subtest("out of order", test_out_of_order);
    subtest("timeout and isolation", test_timeout_and_isolation);
    subtest("busy, not hung", test_busy_not_hung);
    subtest("close and reconnect", test_close_and_reconnect);
    subtest("fast failure", test_fast_failure);
    subtest("bad replies", test_bad_replies);
    subtest("blob get MORE", test_blob_get_more);
    subtest("streamed put", test_streamed_put);
    subtest("stale epoch and ts", test_stale);
    subtest("cancel and hedge", test_cancel_and_hedge);
    subtest("hlc", test_hlc);
    subtest("addresses", test_addresses);
    subtest("sync wrapper", test_sync);
    subtest("limits, early put error, connect timeout", test_limits);
    subtest("mutated replies", test_mutated_replies);
    subtest("destroy", test_destroy_fails_inflight);
    h2o_evloop_run(loop, 0);
    h2o_evloop_destroy(loop);
    return tt_done();
}
