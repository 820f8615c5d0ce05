/*
 * rtp-reader: the media receiver's socket layer as a Node-API addon — the shared header.
 *
 * Why: node:dgram costs one libuv read, one 64 KiB allocation, one Buffer, one rinfo object
 * and one JS callback (with its microtask checkpoint) per datagram. At 125 000 packets/s that
 * alone was most of a core. Here every UDP socket of the receiver sits in one epoll set that
 * libuv watches through a single uv_poll handle; when it is readable we drain every ready
 * socket with recvmmsg into one preallocated batch buffer and call JS once per batch.
 *
 * One addon (native/build/rtp-reader.node) from three units over this header:
 *   socket.c     the socket layer: epoll, recvmmsg, batches, coalescing, open/close/catchUp;
 *   fast-path.c  the datagrams stored without JS (bind/unbind/emit/g711, fast_store);
 *   addon.c      the reader's life (create/destroy/stats) and the registration.
 * Built with -flto, so the packet path is inlined across units as it was in one file.
 *
 * Batch record layout (little-endian, each record starts 4-byte aligned): record_header_t below,
 * then data[length], padded to 4. agent/src/media/native-reader.ts decodes it (RECORD_HEADER,
 * FLAG_*); the _Static_asserts hold the numbers it uses. The buffer is reused after the
 * callback returns: JS must consume it synchronously.
 *
 * Coalescing: under load, readiness fired 20–35 000 times a second with 4–9 datagrams each, and
 * every wake cost a loop iteration, two epoll_waits and a JS call. Above BUSY_PACKETS per
 * COALESCE_MS (5 000 packets/s, ~50 calls) the reader stops watching readiness and drains on a
 * COALESCE_MS timer instead — a few hundred datagrams per JS call, at most COALESCE_MS of added
 * latency (the recorder's jitter buffer is 60 ms); below it, back to readiness.
 *
 * Fast path: a stream's RTP socket may be bound to its timeline's state and ring (bind(); the
 * layout is agent/src/media/fast-state.ts, checked against stateLayout at load). A datagram
 * that simply continues the stream — armed by JS, same source and SSRC, the next sequence
 * numbers, the payload type last stored, no re-anchor due, room in the ring — is stored here
 * exactly as StreamTimeline.push() would store it, and never reaches JS. Anything else goes into
 * the batch and disarms the stream until JS has handled it, so no datagram overtakes another.
 *
 * Stalls: the receiver calls catchUp() before the recorder reads, which drains every socket on the
 * spot, so a read after an event-loop stall never runs ahead of what the kernel queued meanwhile;
 * and each datagram's arrival time is the kernel's (SO_TIMESTAMPNS), not the drain's.
 *
 * Single-threaded: everything runs on the event-loop thread, as dgram does.
 */
#ifndef CALLVAULT_RTP_READER_H
#define CALLVAULT_RTP_READER_H

#define CV_NATIVE_CODE "CV_ERR_MEDIA_NATIVE"
#include "../napi-util.h"
#include <uv.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH_BYTES (1u << 20)
#define MAX_DGRAM 2048u
#define VLEN 32
/* SO_RCVBUF asked for per socket (the kernel doubles it, up to 2 × net.core.rmem_max): a 20 ms
   G.711 datagram costs ~1-2 KiB of socket memory, so this holds several seconds of a stream
   while the event loop is stalled (GC, a slow disk, SIGSTOP) instead of dropping it. */
#define RCVBUF_BYTES (512 * 1024)
/* Coalescing (see above): the timer period and the readiness rate that switches to it. */
#define COALESCE_MS 2
#define BUSY_PACKETS 10

/* One batch record's header; native-reader.ts reads these offsets (RECORD_HEADER = 28). */
typedef struct record_header {
  uint32_t id;      /* the id JS gave the socket in open() */
  uint16_t length;  /* datagram bytes stored (≤ MAX_DGRAM) */
  uint16_t flags;   /* REC_TRUNCATED, REC_IPV6 */
  uint16_t port;    /* source port */
  uint16_t age;     /* ms between the kernel receiving it and the drain (the batch's nowMs) */
  uint8_t addr[16]; /* source address (IPv4 in the first 4 bytes, network order) */
} record_header_t;
enum { REC_TRUNCATED = 1, REC_IPV6 = 2 };
#define RECORD_HEADER ((uint32_t)sizeof(record_header_t))
_Static_assert(sizeof(record_header_t) == 28, "native-reader.ts RECORD_HEADER");
_Static_assert(offsetof(record_header_t, id) == 0, "record id at 0");
_Static_assert(offsetof(record_header_t, length) == 4, "record length at 4");
_Static_assert(offsetof(record_header_t, flags) == 6, "record flags at 6");
_Static_assert(offsetof(record_header_t, port) == 8, "record port at 8");
_Static_assert(offsetof(record_header_t, age) == 10, "record age at 10");
_Static_assert(offsetof(record_header_t, addr) == 12, "record address at 12");
/* Little-endian as written: JS reads the fields with DataView(..., true). */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "batch records are little-endian");
_Static_assert(RECORD_HEADER % 4 == 0, "records stay 4-byte aligned");
_Static_assert(MAX_DGRAM <= UINT16_MAX, "a stored length fits the u16 length field");
_Static_assert(BATCH_BYTES % 4 == 0 && BATCH_BYTES >= RECORD_HEADER + MAX_DGRAM, "a batch holds a record");

/* The shared state's fields, in order: the contract with FAST_STATE in fast-state.ts. */
#define STATE_FIELDS(X)                                                                    \
  X(ARMED) X(LATCH) X(FAST_PT) X(RATIO) X(CLOCK_RATE) X(SAMPLES_PER_BYTE) X(CODEC_SAMPLE_RATE) \
  X(SAMPLE_RATE) X(ORIGIN_MS) X(MAX_AHEAD_SAMPLES) X(MASK) X(SLOT_BYTES) X(HAS_SOURCE) X(SSRC) \
  X(NEED_ANCHOR) X(EXT_OFFSET) X(REF_TS) X(REF_POS) X(REF_END) X(EMITTED) X(READ_IDX)         \
  X(MAX_IDX) X(PENDING) X(PACKETS) X(BYTES) X(LAST_PACKET_MS) X(SEQ_STARTED) X(SEQ_MAX)       \
  X(SEQ_CYCLES) X(SEQ_BASE_EXT) X(SEQ_RECEIVED) X(SEQ_BAD) X(JITTER_HAS_TRANSIT)              \
  X(JITTER_TRANSIT) X(JITTER) X(FAST_PACKETS) X(FAST_CODEC) X(AUDIBLE) X(FAST_READS) X(CARRY_LEN)
#define AS_ENUM(n) ST_##n,
enum { STATE_FIELDS(AS_ENUM) ST_FIELDS };
#undef AS_ENUM
/* One ring slot: packet index, output position, payload length, payload type (-1: decoded). */
enum { S_IDX, S_POS, S_LEN, S_PT, SLOT_FIELDS };
/* FAST_CODEC values: what emit() decodes itself (anything else is decoded in JS). */
enum { CODEC_OTHER, CODEC_PCMU, CODEC_PCMA };
/* fast-state.ts: 40 doubles (320 bytes), first ARMED, last CARRY_LEN; SLOT = {IDX, POS, LEN, PT};
   fastCodec 1 PCMU, 2 PCMA. stateLayout repeats the table at run time; these hold it at build. */
_Static_assert(ST_FIELDS == 40 && ST_FIELDS * sizeof(double) == 320, "FAST_STATE_FIELDS");
_Static_assert(ST_ARMED == 0 && ST_FAST_PT == 2 && ST_MASK == 10 && ST_SSRC == 13, "FAST_STATE order");
_Static_assert(ST_READ_IDX == 20 && ST_MAX_IDX == 21 && ST_SEQ_STARTED == 26 && ST_JITTER == 34,
               "FAST_STATE order");
_Static_assert(ST_FAST_PACKETS == 35 && ST_FAST_CODEC == 36 && ST_CARRY_LEN == 39, "FAST_STATE order");
_Static_assert(SLOT_FIELDS == 4 && S_IDX == 0 && S_POS == 1 && S_LEN == 2 && S_PT == 3, "SLOT");
_Static_assert(CODEC_PCMU == 1 && CODEC_PCMA == 2, "fastCodec values");

/* A stream's timeline as the fast path sees it; the arrays belong to JS (held by refs). */
typedef struct binding {
  int bound;
  double *st;
  double *slots;
  size_t slot_count;
  uint8_t *payload;
  size_t payload_bytes;
  /* Decoded samples past the last read (timeline.ts #carry); CARRY_LEN of them are valid. */
  int16_t *carry;
  size_t carry_len;
  napi_ref refs[4];
  /* Where the stream's next datagram will go (set by fast_store; prefetched before draining). */
  const double *next_slot;
  const uint8_t *next_payload;
  /* Source of the last datagram handed to JS: what the stream latched onto when it armed. */
  struct sockaddr_storage last_src;
} binding_t;

typedef struct reader {
  napi_env env;
  int epfd;
  uv_poll_t poll;
  uv_timer_t timer;
  /* Handles still to be closed by destroy(); the reader is freed when both are. */
  int open_handles;
  /* Readiness mode: datagrams drained since window_start (loop time, ms). */
  uint64_t window_start;
  uint32_t window_packets;
  int closing;
  uint32_t sockets;
  napi_ref callback;
  napi_ref buffer_ref;
  napi_async_context actx;
  uint8_t *batch;
  uint32_t used;
  uint32_t count;
  /* Datagrams appended since create (wraps; only differences are used). */
  uint32_t drained;
  /* Drains done by the coalescing timer (for stats()). */
  uint32_t timer_drains;
  /* Edge-triggered sockets left with datagrams by the per-socket bound: drained first next time. */
  uint64_t *unfinished;
  uint32_t unfinished_count;
  uint32_t unfinished_cap;
  /* Datagrams stored by the fast path (for stats()). */
  double fast_packets;
  /* Set while catchUp() drains from inside a JS call; failed: its callback threw. */
  int sync;
  int failed;
  /* Indexed by socket id. */
  binding_t *bindings;
  uint32_t binding_count;
  /* recvmmsg scratch */
  struct mmsghdr msgs[VLEN];
  struct iovec iov[VLEN];
  struct sockaddr_storage from[VLEN];
  /* Control data: the kernel's receive timestamp of each datagram (SO_TIMESTAMPNS). */
  union {
    struct cmsghdr align;
    uint8_t bytes[CMSG_SPACE(sizeof(struct timespec))];
  } ctrl[VLEN];
  /* Date.now() of the drain running (whole ms), handed to JS with each batch. */
  double batch_now;
  uint8_t dgram[VLEN][MAX_DGRAM];
} reader_t;

/* addon.c: the prologue of every call on a reader (argv filled, the reader from argv[0]); NULL
   after throwing (a usage error naming the call, or a closed reader). */
reader_t *rr_reader_call(napi_env env, napi_callback_info info, size_t want, napi_value *argv,
                         const char *usage);

/* socket.c */
void rr_on_readable(uv_poll_t *h, int status, int events);
void rr_on_closed(uv_handle_t *h);
void rr_update_ref(reader_t *r);
void rr_free_batch(napi_env env, void *data, void *hint);
napi_value rr_open(napi_env env, napi_callback_info info);
napi_value rr_close(napi_env env, napi_callback_info info);
napi_value rr_catch_up(napi_env env, napi_callback_info info);

/* fast-path.c */
int rr_fast_store(binding_t *b, const uint8_t *d, uint32_t len, const struct sockaddr_storage *from,
                  double now);
void rr_release_binding(napi_env env, binding_t *b);
napi_value rr_bind(napi_env env, napi_callback_info info);
napi_value rr_unbind(napi_env env, napi_callback_info info);
napi_value rr_emit(napi_env env, napi_callback_info info);
napi_value rr_g711(napi_env env, napi_callback_info info);

#endif
