/*
 * rtp-reader: the media receiver's socket layer as a Node-API addon.
 *
 * Why: node:dgram costs one libuv read, one 64 KiB allocation, one Buffer, one rinfo object
 * and one JS callback (with its microtask checkpoint) per datagram. At 125 000 packets/s that
 * alone was most of a core. Here every UDP socket of the receiver sits in one epoll set that
 * libuv watches through a single uv_poll handle; when it is readable we drain every ready
 * socket with recvmmsg into one preallocated batch buffer and call JS once per batch.
 *
 * Batch record layout (little-endian, each record starts 4-byte aligned):
 *   u32 id        the id JS gave the socket in open()
 *   u16 length    datagram bytes stored (≤ MAX_DGRAM)
 *   u16 flags     1 = truncated (datagram longer than MAX_DGRAM), 2 = IPv6 source
 *   u16 port      source port
 *   u16 age       ms between the kernel receiving it and the drain (the batch callback's nowMs)
 *   u8  addr[16]  source address (IPv4 in the first 4 bytes, network order)
 *   u8  data[length], padded to 4
 * The buffer is reused after the callback returns: JS must consume it synchronously.
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
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define BATCH_BYTES (1u << 20)
#define RECORD_HEADER 28u
#define MAX_DGRAM 2048u
#define VLEN 32
#define MAX_EVENTS 512
/* Bounds per readiness callback, so one flood cannot starve timers and SIP. */
#define MAX_ROUNDS 8
#define MAX_RECV_PER_SOCKET 4
#define COALESCE_MS 2
#define BUSY_PACKETS 10
/* SO_RCVBUF asked for per socket (the kernel doubles it, up to 2 × net.core.rmem_max): a 20 ms
   G.711 datagram costs ~1-2 KiB of socket memory, so this holds several seconds of a stream
   while the event loop is stalled (GC, a slow disk, SIGSTOP) instead of dropping it. */
#define RCVBUF_BYTES (512 * 1024)
/* catchUp(): passes over the sockets the per-socket bound left unfinished (128 datagrams each). */
#define CATCH_UP_PASSES 64

/* The shared state's fields, in order: the contract with FAST_STATE in fast-state.ts. */
#define STATE_FIELDS(X)                                                                    \
  X(ARMED) X(LATCH) X(FAST_PT) X(RATIO) X(CLOCK_RATE) X(SAMPLES_PER_BYTE) X(CODEC_SAMPLE_RATE) \
  X(SAMPLE_RATE) X(ORIGIN_MS) X(MAX_AHEAD_SAMPLES) X(MASK) X(SLOT_BYTES) X(HAS_SOURCE) X(SSRC) \
  X(NEED_ANCHOR) X(EXT_OFFSET) X(REF_TS) X(REF_POS) X(REF_END) X(EMITTED) X(READ_IDX)         \
  X(MAX_IDX) X(PENDING) X(PACKETS) X(BYTES) X(LAST_PACKET_MS) X(SEQ_STARTED) X(SEQ_MAX)       \
  X(SEQ_CYCLES) X(SEQ_BASE_EXT) X(SEQ_RECEIVED) X(SEQ_BAD) X(JITTER_HAS_TRANSIT)              \
  X(JITTER_TRANSIT) X(JITTER) X(FAST_PACKETS) X(FAST_CODEC) X(AUDIBLE) X(FAST_READS) X(CARRY_LEN)
#define AS_ENUM(n) ST_##n,
#define AS_NAME(n) #n,
enum { STATE_FIELDS(AS_ENUM) ST_FIELDS };
static const char *const state_names[] = {STATE_FIELDS(AS_NAME)};
/* One ring slot: packet index, output position, payload length, payload type (-1: decoded). */
enum { S_IDX, S_POS, S_LEN, S_PT, SLOT_FIELDS };
/* FAST_CODEC values: what emit() decodes itself (anything else is decoded in JS). */
enum { CODEC_OTHER, CODEC_PCMU, CODEC_PCMA };
/* G.711 byte → PCM16, copied from JS (media/g711.ts) so both paths use the very same tables. */
static int16_t g711_tables[3][256];
static int g711_ready;

/* RFC 3550 A.1: a forward step below this is the next packet (with loss), as in stats.ts. */
#define MAX_DROPOUT 3000u

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

#define CHECK(call)                                                                         \
  do {                                                                                      \
    if ((call) != napi_ok) {                                                                \
      napi_throw_error(env, "CV_ERR_MEDIA_NATIVE", "node-api call failed: " #call);        \
      return NULL;                                                                          \
    }                                                                                       \
  } while (0)

static napi_value throw_errno(napi_env env, int err, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  /* The error's code is the errno name (EADDRINUSE…), as node:dgram reports it. */
  const char *code = err == EADDRINUSE ? "EADDRINUSE"
                     : err == EACCES   ? "EACCES"
                     : err == EADDRNOTAVAIL ? "EADDRNOTAVAIL"
                     : err == EMFILE   ? "EMFILE"
                     : err == ENFILE   ? "ENFILE"
                     : err == EINVAL   ? "EINVAL"
                                       : "EIO";
  napi_throw_error(env, code, msg);
  return NULL;
}

static void flush(reader_t *r) {
  if (r->count == 0 || r->failed) return;
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, argv[3], result;
  uint32_t count = r->count, used = r->used;
  r->count = 0;
  r->used = 0;
  if (napi_get_reference_value(env, r->callback, &cb) == napi_ok && napi_get_global(env, &recv) == napi_ok &&
      napi_create_uint32(env, count, &argv[0]) == napi_ok && napi_create_uint32(env, used, &argv[1]) == napi_ok &&
      napi_create_double(env, r->batch_now, &argv[2]) == napi_ok) {
    if (r->sync) {
      /* Inside a call from JS (catchUp): a plain call; an exception stays pending for the caller. */
      if (napi_call_function(env, recv, cb, 3, argv, &result) == napi_pending_exception) r->failed = 1;
      napi_close_handle_scope(env, scope);
      return;
    }
    napi_status st = napi_make_callback(env, r->actx, recv, cb, 3, argv, &result);
    if (st == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void append(reader_t *r, uint32_t id, const uint8_t *data, uint32_t len, int truncated,
                   const struct sockaddr_storage *from, double arrival) {
  uint32_t stored = len > MAX_DGRAM ? MAX_DGRAM : len;
  uint32_t need = RECORD_HEADER + ((stored + 3u) & ~3u);
  if (r->used + need > BATCH_BYTES) flush(r);
  if (r->used + need > BATCH_BYTES) return; /* the callback threw in catchUp(): nothing more */
  uint8_t *p = r->batch + r->used;
  uint16_t flags = truncated ? 1 : 0, port = 0;
  double age_ms = r->batch_now - arrival;
  uint16_t age = age_ms <= 0 ? 0 : age_ms >= 65535 ? 65535 : (uint16_t)age_ms;
  memset(p + 12, 0, 16);
  if (from->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)from;
    port = ntohs(a->sin_port);
    memcpy(p + 12, &a->sin_addr, 4);
  } else if (from->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)from;
    port = ntohs(a->sin6_port);
    memcpy(p + 12, &a->sin6_addr, 16);
    flags |= 2;
  }
  uint16_t len16 = (uint16_t)stored;
  memcpy(p, &id, 4);
  memcpy(p + 4, &len16, 2);
  memcpy(p + 6, &flags, 2);
  memcpy(p + 8, &port, 2);
  memcpy(p + 10, &age, 2);
  memcpy(p + RECORD_HEADER, data, stored);
  r->used += need;
  r->count++;
  r->drained++;
}

static double wall_ms(void) {
  /* Date.now(): whole milliseconds of the real-time clock. */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Math.round: halves go up. */
static double js_round(double x) {
  double f = floor(x);
  return x - f >= 0.5 ? f + 1.0 : f;
}

static uint32_t rd16(const uint8_t *p) { return ((uint32_t)p[0] << 8) | p[1]; }
static uint32_t rd32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static int same_source(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family) return 0;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->ss_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
    return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
  }
  return 0;
}

/*
 * When the kernel received the datagram (whole ms, as Date.now()), from its SO_TIMESTAMPNS control
 * message; `now` when there is none or it lies ahead. Why: after an event-loop stall the drain time
 * says nothing about when a queued datagram arrived, and arrival anchors a stream's first packet,
 * decides "too far ahead" and feeds the jitter estimate.
 */
static double arrival_ms(struct msghdr *h, double now) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
    struct timespec ts;
    memcpy(&ts, CMSG_DATA(c), sizeof ts);
    double ms = (double)((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    return ms > 0 && ms < now ? ms : now;
  }
  return now;
}

/*
 * StreamTimeline.push() for the one case it sees almost always; returns 0 (touching nothing)
 * when the datagram needs anything else. Every figure is computed with the same double
 * operations in the same order as timeline.ts and stats.ts, so the results are identical.
 */
static int fast_store(binding_t *b, const uint8_t *d, uint32_t len, const struct sockaddr_storage *from,
                      double now) {
  double *st = b->st;
  if (st[ST_ARMED] != 1.0 || len < 12) return 0;
  uint32_t b0 = d[0], b1 = d[1];
  if ((b0 >> 6) != 2 || (b0 & 0x20) != 0) return 0; /* version; padding is rare: JS */
  if (b1 >= 192 && b1 <= 223) return 0;            /* RTCP multiplexed on the RTP port */
  double pt = (double)(b1 & 0x7f);
  if (pt != st[ST_FAST_PT]) return 0;
  if (st[ST_LATCH] == 1.0 && !same_source(&b->last_src, from)) return 0;
  uint32_t off = 12u + 4u * (b0 & 0x0f);
  if (off > len) return 0;
  if ((b0 & 0x10) != 0) {
    if (off + 4 > len) return 0;
    off += 4u + 4u * rd16(d + off + 2);
    if (off > len) return 0;
  }
  uint32_t plen = len - off;
  if (st[ST_HAS_SOURCE] != 1.0 || (double)rd32(d + 8) != st[ST_SSRC] || st[ST_SEQ_STARTED] != 1.0 ||
      st[ST_NEED_ANCHOR] != 0.0)
    return 0;
  uint32_t seq = rd16(d + 2), ts = rd32(d + 4);
  double max_seq = st[ST_SEQ_MAX];
  uint32_t delta = (seq + 65536u - (uint32_t)max_seq) % 65536u;
  if (delta == 0 || delta >= MAX_DROPOUT) return 0; /* duplicate, reordered or a jump: JS */
  double cycles = st[ST_SEQ_CYCLES];
  if ((double)seq < max_seq) cycles += 65536.0;
  double idx = (cycles + (double)seq) + st[ST_EXT_OFFSET];
  double mask = st[ST_MASK], max_idx = st[ST_MAX_IDX], read_idx = st[ST_READ_IDX];
  if (idx + mask < max_idx || idx < read_idx || idx - read_idx > mask) return 0;
  size_t s = (size_t)((int64_t)idx & (int64_t)mask);
  double slot_bytes = st[ST_SLOT_BYTES];
  if (s >= b->slot_count || (double)plen > slot_bytes ||
      (double)s * slot_bytes + (double)plen > (double)b->payload_bytes)
    return 0;
  double *slot = b->slots + s * SLOT_FIELDS;
  if (slot[S_IDX] == idx) return 0;
  double ref_pos = st[ST_REF_POS], emitted = st[ST_EMITTED];
  double pos = ref_pos + (double)(int32_t)(ts - (uint32_t)st[ST_REF_TS]) * st[ST_RATIO];
  double wall = js_round(((now - st[ST_ORIGIN_MS]) * st[ST_SAMPLE_RATE]) / 1000.0);
  if (!(wall > 0)) wall = 0;
  if (pos < ref_pos || pos < emitted || pos - wall > st[ST_MAX_AHEAD_SAMPLES]) return 0; /* re-anchor */

  st[ST_SEQ_MAX] = (double)seq;
  st[ST_SEQ_CYCLES] = cycles;
  st[ST_SEQ_BAD] = -1.0;
  st[ST_REF_TS] = (double)ts;
  st[ST_REF_POS] = pos;
  st[ST_SEQ_RECEIVED] += 1.0;
  st[ST_PACKETS] += 1.0;
  st[ST_BYTES] += (double)plen;
  st[ST_LAST_PACKET_MS] = now;
  /* stats.ts updateJitter */
  double transit = fmod((now * st[ST_CLOCK_RATE]) / 1000.0 - (double)ts, 4294967296.0);
  if (st[ST_JITTER_HAS_TRANSIT] == 1.0) {
    double dd = transit - st[ST_JITTER_TRANSIT];
    if (dd > 2147483648.0) dd -= 4294967296.0;
    else if (dd < -2147483648.0) dd += 4294967296.0;
    st[ST_JITTER] += (fabs(dd) - st[ST_JITTER]) / 16.0;
  }
  st[ST_JITTER_TRANSIT] = transit;
  st[ST_JITTER_HAS_TRANSIT] = 1.0;
  if (idx > max_idx) st[ST_MAX_IDX] = idx;
  /* timeline.ts #store */
  if (slot[S_PT] >= 0) {
    slot[S_PT] = -1.0;
    st[ST_PENDING] -= 1.0;
  }
  slot[S_IDX] = idx;
  slot[S_POS] = pos;
  slot[S_LEN] = (double)plen;
  slot[S_PT] = pt;
  st[ST_PENDING] += 1.0;
  memcpy(b->payload + s * (size_t)slot_bytes, d + off, plen);
  size_t next = (size_t)(((int64_t)idx + 1) & (int64_t)mask);
  if (next < b->slot_count) {
    b->next_slot = b->slots + next * SLOT_FIELDS;
    b->next_payload = b->payload + next * (size_t)slot_bytes;
  }
  double end = pos + ((double)plen * st[ST_SAMPLES_PER_BYTE] * st[ST_SAMPLE_RATE]) / st[ST_CODEC_SAMPLE_RATE];
  if (end > st[ST_REF_END]) st[ST_REF_END] = end;
  st[ST_FAST_PACKETS] += 1.0;
  return 1;
}

/* Drains one socket; `now` (Date.now() at the start of the drain) stamps what the fast path stores.
   Returns 1 when the bound stopped it with datagrams possibly left (edge-triggered: remember). */
static int drain_socket(reader_t *r, uint64_t tag, double now) {
  int fd = (int)(uint32_t)tag;
  uint32_t id = (uint32_t)(tag >> 32);
  for (int k = 0; k < MAX_RECV_PER_SOCKET; k++) {
    /* The raw system call: glibc's wrapper is a cancellation point, and switching
       cancellation on and off around every call cost more than the wrapper's whole job. */
    int n = (int)syscall(SYS_recvmmsg, fd, r->msgs, VLEN, MSG_DONTWAIT, NULL);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EBADF && errno != ENOTSOCK)
      continue; /* a pending socket error, consumed by this call: the data behind it is still there */
    if (n <= 0) return 0;
    binding_t *b = id < r->binding_count && r->bindings[id].bound ? &r->bindings[id] : NULL;
    for (int i = 0; i < n; i++) {
      int truncated = (r->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
      double arrival = arrival_ms(&r->msgs[i].msg_hdr, now);
      if (b != NULL && !truncated && fast_store(b, r->dgram[i], r->msgs[i].msg_len, &r->from[i], arrival)) {
        r->fast_packets += 1;
        r->drained++;
      } else {
        if (b != NULL) {
          /* JS must see this one first: the stream stays on the slow path until it re-arms. */
          b->st[ST_ARMED] = 0;
          b->last_src = r->from[i];
        }
        append(r, id, r->dgram[i], r->msgs[i].msg_len, truncated, &r->from[i], arrival);
      }
      /* The kernel shortened the address and control lengths: restore them for the next call
         (the only input fields recvmmsg changes; the headers are set up once in create()). */
      r->msgs[i].msg_hdr.msg_namelen = sizeof r->from[i];
      r->msgs[i].msg_hdr.msg_controllen = sizeof r->ctrl[i];
    }
    if (n < VLEN) return 0;
  }
  return 1;
}

static void remember_unfinished(reader_t *r, uint64_t tag) {
  if (r->unfinished_count == r->unfinished_cap) {
    uint32_t cap = r->unfinished_cap == 0 ? 64 : r->unfinished_cap * 2;
    uint64_t *grown = realloc(r->unfinished, cap * sizeof *grown);
    if (grown == NULL) return; /* it is drained again when its next datagram arrives */
    r->unfinished = grown;
    r->unfinished_cap = cap;
  }
  r->unfinished[r->unfinished_count++] = tag;
}

/*
 * Fetches the stream state of every ready socket before draining any: each is cold (2 500
 * streams, one packet per 20 ms), and asking for all of them at once overlaps the misses that
 * the packet path would otherwise take one after another. noipa: GCC finds a function of
 * prefetches alone free of side effects and drops every call to it (it did, unnoticed).
 */
__attribute__((noipa)) static void prefetch_state(const reader_t *r, const struct epoll_event *evs, int n) {
  for (int i = 0; i < n; i++) {
    uint32_t id = (uint32_t)(evs[i].data.u64 >> 32);
    if (id < r->binding_count) __builtin_prefetch(&r->bindings[id]);
  }
  for (int i = 0; i < n; i++) {
    uint32_t id = (uint32_t)(evs[i].data.u64 >> 32);
    if (id >= r->binding_count || !r->bindings[id].bound) continue;
    const binding_t *b = &r->bindings[id];
    const char *st = (const char *)b->st;
    for (size_t off = 0; off < ST_FIELDS * sizeof(double); off += 64) __builtin_prefetch(st + off, 1);
    /* The ring slot and payload bytes the next datagram continues into (prefetch never faults,
       so a pointer into arrays replaced since is harmless). */
    if (b->next_slot != NULL) {
      __builtin_prefetch(b->next_slot, 1);
      for (size_t off = 0; off < 192; off += 64) __builtin_prefetch(b->next_payload + off, 1);
    }
  }
}

/* Drains every ready socket (bounded) into the batch and hands it to JS; returns datagrams. */
static uint32_t drain_ready(reader_t *r) {
  struct epoll_event evs[MAX_EVENTS];
  uint32_t before = r->drained;
  /* One clock read per drain: every datagram drained here arrived within the last wake-up. */
  double now = wall_ms();
  r->batch_now = now;
  /* Sockets the bound cut short last time get no new edge until more arrives: drain them first. */
  uint32_t left = r->unfinished_count;
  if (left > 0) {
    uint64_t *tags = r->unfinished;
    r->unfinished = NULL;
    r->unfinished_count = 0;
    r->unfinished_cap = 0;
    for (uint32_t i = 0; i < left; i++)
      if (drain_socket(r, tags[i], now)) remember_unfinished(r, tags[i]);
    free(tags);
  }
  for (int round = 0; round < MAX_ROUNDS; round++) {
    int n = epoll_wait(r->epfd, evs, MAX_EVENTS, 0);
    if (n <= 0) break;
    prefetch_state(r, evs, n);
    for (int i = 0; i < n; i++)
      if (drain_socket(r, evs[i].data.u64, now)) remember_unfinished(r, evs[i].data.u64);
    if (n < MAX_EVENTS) break;
  }
  flush(r);
  return r->drained - before;
}

static void on_timer(uv_timer_t *t);

static void on_readable(uv_poll_t *h, int status, int events) {
  (void)events;
  reader_t *r = (reader_t *)h->data;
  if (status < 0 || r->closing) return;
  r->window_packets += drain_ready(r);
  if (r->closing) return;
  uint64_t now = uv_now(h->loop);
  uint64_t elapsed = now - r->window_start;
  /* Sockets left unfinished raise no new edge: only the timer comes back for them. */
  int unfinished = r->unfinished_count > 0;
  if (elapsed < COALESCE_MS && !unfinished) return;
  if (unfinished || r->window_packets >= BUSY_PACKETS * (elapsed / COALESCE_MS)) {
    uv_poll_stop(&r->poll);
    uv_timer_start(&r->timer, on_timer, COALESCE_MS, COALESCE_MS);
  }
  r->window_start = now;
  r->window_packets = 0;
}

static void on_timer(uv_timer_t *t) {
  reader_t *r = (reader_t *)t->data;
  if (r->closing) return;
  r->timer_drains++;
  uint32_t n = drain_ready(r);
  if (r->closing || n >= BUSY_PACKETS || r->unfinished_count > 0) return;
  /* Quiet again: back to waking on readiness. */
  uv_timer_stop(&r->timer);
  r->window_start = uv_now(t->loop);
  r->window_packets = 0;
  uv_poll_start(&r->poll, UV_READABLE, on_readable);
}

static void on_closed(uv_handle_t *h) {
  /* The batch buffer belongs to its ArrayBuffer (freed by free_batch when JS lets go of it). */
  reader_t *r = (reader_t *)h->data;
  if (--r->open_handles == 0) free(r);
}

static void free_batch(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

static reader_t *unwrap(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, "CV_ERR_MEDIA_NATIVE", "not a reader handle");
    return NULL;
  }
  reader_t *r = (reader_t *)p;
  if (r->closing) {
    napi_throw_error(env, "CV_ERR_MEDIA_CLOSED", "reader is closed");
    return NULL;
  }
  return r;
}

/*
 * The prologue of every call on a reader: argv filled with `want` arguments, the reader from the
 * first one. NULL after throwing (a usage error naming the call, or a closed reader).
 */
static reader_t *reader_call(napi_env env, napi_callback_info info, size_t want, napi_value *argv,
                             const char *usage) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, "CV_ERR_MEDIA_NATIVE", usage);
    return NULL;
  }
  return unwrap(env, argv[0]);
}

static void release_binding(napi_env env, binding_t *b) {
  for (int k = 0; k < 4; k++)
    if (b->refs[k] != NULL) {
      napi_delete_reference(env, b->refs[k]);
      b->refs[k] = NULL;
    }
  b->bound = 0;
  b->st = NULL;
  b->slots = NULL;
  b->next_slot = NULL;
  b->next_payload = NULL;
  b->payload = NULL;
  b->carry = NULL;
}

static void update_ref(reader_t *r) {
  /* Like a dgram socket: an open socket keeps the process alive, none does not. */
  if (r->sockets > 0) {
    uv_ref((uv_handle_t *)&r->poll);
    uv_ref((uv_handle_t *)&r->timer);
  } else {
    uv_unref((uv_handle_t *)&r->poll);
    uv_unref((uv_handle_t *)&r->timer);
  }
}

/* create(callback) → [handle, ArrayBuffer] */
static napi_value create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype t;
  CHECK(napi_typeof(env, argv[0], &t));
  if (argc < 1 || t != napi_function) {
    napi_throw_type_error(env, "CV_ERR_MEDIA_NATIVE", "create(callback) needs a function");
    return NULL;
  }
  reader_t *r = calloc(1, sizeof *r);
  if (r == NULL) return throw_errno(env, ENOMEM, "reader allocation");
  r->batch = malloc(BATCH_BYTES);
  r->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (r->batch == NULL || r->epfd < 0) {
    int err = r->batch == NULL ? ENOMEM : errno;
    if (r->epfd >= 0) close(r->epfd);
    free(r->batch);
    free(r);
    return throw_errno(env, err, "epoll_create1");
  }
  r->env = env;
  for (int i = 0; i < VLEN; i++) {
    r->iov[i].iov_base = r->dgram[i];
    r->iov[i].iov_len = MAX_DGRAM;
    r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
    r->msgs[i].msg_hdr.msg_iovlen = 1;
    r->msgs[i].msg_hdr.msg_name = &r->from[i];
    r->msgs[i].msg_hdr.msg_namelen = sizeof r->from[i];
    r->msgs[i].msg_hdr.msg_control = r->ctrl[i].bytes;
    r->msgs[i].msg_hdr.msg_controllen = sizeof r->ctrl[i];
  }
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  if (uv_poll_init(loop, &r->poll, r->epfd) != 0) {
    close(r->epfd);
    free(r->batch);
    free(r);
    return throw_errno(env, EIO, "uv_poll_init");
  }
  r->poll.data = r;
  uv_timer_init(loop, &r->timer);
  r->timer.data = r;
  r->open_handles = 2;
  r->window_start = uv_now(loop);
  uv_poll_start(&r->poll, UV_READABLE, on_readable);
  update_ref(r);
  CHECK(napi_create_reference(env, argv[0], 1, &r->callback));
  napi_value name, resource, handle, ab, out;
  CHECK(napi_create_string_utf8(env, "callvault.rtp-reader", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_object(env, &resource));
  CHECK(napi_async_init(env, resource, name, &r->actx));
  CHECK(napi_create_external(env, r, NULL, NULL, &handle));
  CHECK(napi_create_external_arraybuffer(env, r->batch, BATCH_BYTES, free_batch, NULL, &ab));
  CHECK(napi_create_reference(env, ab, 1, &r->buffer_ref));
  CHECK(napi_create_array_with_length(env, 2, &out));
  CHECK(napi_set_element(env, out, 0, handle));
  CHECK(napi_set_element(env, out, 1, ab));
  return out;
}

/* open(handle, id, address, port) → fd; binds a non-blocking UDP socket and watches it. */
static napi_value open_socket(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  reader_t *r = reader_call(env, info, 4, argv, "open(handle, id, address, port)");
  if (r == NULL) return NULL;
  uint32_t id, port;
  char addr[INET6_ADDRSTRLEN + 1];
  size_t alen;
  CHECK(napi_get_value_uint32(env, argv[1], &id));
  CHECK(napi_get_value_string_utf8(env, argv[2], addr, sizeof addr, &alen));
  CHECK(napi_get_value_uint32(env, argv[3], &port));
  if (port > 65535) return throw_errno(env, EINVAL, "port");
  struct sockaddr_storage ss;
  socklen_t sl;
  memset(&ss, 0, sizeof ss);
  int family;
  struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
    family = AF_INET;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    sl = sizeof *a4;
  } else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
    family = AF_INET6;
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    sl = sizeof *a6;
  } else {
    return throw_errno(env, EINVAL, "bind address");
  }
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  /* Room for a stalled event loop: what the kernel holds is placed by its RTP timestamp once
     the loop runs again, what it drops is lost (see RCVBUF_BYTES). Capped by net.core.rmem_max. */
  int rcvbuf = RCVBUF_BYTES, on = 1;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  if (family == AF_INET6) {
    /* Like node:dgram: the IPv6 any-address also receives IPv4 (as v4-mapped sources). */
    int v6only = IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr) ? 0 : 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
  }
  if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "bind");
  }
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  /* Edge-triggered: level-triggered epoll re-polls every socket it reported on the next wait,
     which at 2 500 sockets was a tenth of the reader's time; the bound is handled by
     remember_unfinished(). */
  ev.events = EPOLLIN | EPOLLET;
  ev.data.u64 = ((uint64_t)id << 32) | (uint32_t)fd;
  if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "epoll_ctl");
  }
  r->sockets++;
  update_ref(r);
  napi_value out;
  CHECK(napi_create_int32(env, fd, &out));
  return out;
}

/* close(handle, fd): stops watching and closes one socket. */
static napi_value close_socket(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  reader_t *r = reader_call(env, info, 2, argv, "close(handle, fd)");
  if (r == NULL) return NULL;
  int32_t fd;
  CHECK(napi_get_value_int32(env, argv[1], &fd));
  /* A closed fd may be reused at once: it must not stay on the unfinished list. */
  for (uint32_t i = 0; i < r->unfinished_count;)
    if ((int)(uint32_t)r->unfinished[i] == fd) r->unfinished[i] = r->unfinished[--r->unfinished_count];
    else i++;
  if (epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL) == 0) {
    close(fd);
    if (r->sockets > 0) r->sockets--;
    update_ref(r);
  }
  return NULL;
}

/* destroy(handle): closes the epoll set (sockets must be closed first) and frees the reader. */
static napi_value destroy(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  reader_t *r = reader_call(env, info, 1, argv, "destroy(handle)");
  if (r == NULL) return NULL;
  for (uint32_t i = 0; i < r->binding_count; i++) release_binding(env, &r->bindings[i]);
  free(r->bindings);
  free(r->unfinished);
  r->unfinished = NULL;
  r->unfinished_count = 0;
  r->bindings = NULL;
  r->binding_count = 0;
  r->closing = 1;
  uv_poll_stop(&r->poll);
  uv_timer_stop(&r->timer);
  close(r->epfd);
  napi_delete_reference(env, r->callback);
  napi_delete_reference(env, r->buffer_ref);
  napi_async_destroy(env, r->actx);
  uv_close((uv_handle_t *)&r->poll, on_closed);
  uv_close((uv_handle_t *)&r->timer, on_closed);
  return NULL;
}

/* A typed array's data and element count, if it is of the wanted type; NULL otherwise. */
static void *typed_data(napi_env env, napi_value v, napi_typedarray_type want, size_t *count) {
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return NULL;
  napi_typedarray_type type;
  void *data = NULL;
  if (napi_get_typedarray_info(env, v, &type, count, &data, NULL, NULL) != napi_ok || type != want) return NULL;
  return data;
}

/*
 * bind(handle, id, state, slots, payload, carry): the fast path may store socket id's datagrams
 * into these arrays (Float64Array state, Float64Array slots, Uint8Array payload) and read them
 * out through carry (Int16Array) in emit(). Called again with new arrays when the ring grows;
 * the source last handed to JS is kept across calls.
 */
static napi_value bind_stream(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  reader_t *r = reader_call(env, info, 6, argv, "bind(handle, id, state, slots, payload, carry)");
  if (r == NULL) return NULL;
  uint32_t id;
  CHECK(napi_get_value_uint32(env, argv[1], &id));
  size_t st_len = 0, slots_len = 0, payload_len = 0, carry_len = 0;
  double *st = typed_data(env, argv[2], napi_float64_array, &st_len);
  double *slots = typed_data(env, argv[3], napi_float64_array, &slots_len);
  uint8_t *payload = typed_data(env, argv[4], napi_uint8_array, &payload_len);
  int16_t *carry = typed_data(env, argv[5], napi_int16_array, &carry_len);
  if (st == NULL || slots == NULL || payload == NULL || carry == NULL || st_len < ST_FIELDS || slots_len < SLOT_FIELDS) {
    napi_throw_type_error(env, "CV_ERR_MEDIA_NATIVE", "bind: state, slots or payload has the wrong type or size");
    return NULL;
  }
  if (id >= r->binding_count) {
    uint32_t count = id + 1 > r->binding_count * 2 ? id + 1 : r->binding_count * 2;
    binding_t *grown = realloc(r->bindings, count * sizeof *grown);
    if (grown == NULL) return throw_errno(env, ENOMEM, "bind");
    memset(grown + r->binding_count, 0, (count - r->binding_count) * sizeof *grown);
    r->bindings = grown;
    r->binding_count = count;
  }
  binding_t *b = &r->bindings[id];
  struct sockaddr_storage last = b->last_src;
  int had = b->bound;
  release_binding(env, b);
  if (!had) memset(&last, 0, sizeof last);
  for (int k = 0; k < 4; k++) CHECK(napi_create_reference(env, argv[2 + k], 1, &b->refs[k]));
  b->carry = carry;
  b->carry_len = carry_len;
  b->st = st;
  b->slots = slots;
  b->slot_count = slots_len / SLOT_FIELDS;
  b->payload = payload;
  b->payload_bytes = payload_len;
  b->last_src = last;
  b->bound = 1;
  return NULL;
}

/* unbind(handle, id): the socket's datagrams all go to JS again (before close, on release). */
static napi_value unbind_stream(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  reader_t *r = reader_call(env, info, 2, argv, "unbind(handle, id)");
  if (r == NULL) return NULL;
  uint32_t id;
  CHECK(napi_get_value_uint32(env, argv[1], &id));
  if (id < r->binding_count) release_binding(env, &r->bindings[id]);
  return NULL;
}

/*
 * emit(handle, id, out, target) → samples written, or -1: StreamTimeline #emitInto for a G.711
 * stream at its own rate (the common case). -1 changes nothing and JS does the read (another
 * codec is due). Same figures as timeline.ts and pcm.ts placeSamples: output [emitted, target)
 * zeroed, the carry first, then every pending slot before target at round(pos − emitted), what
 * falls past the read into the carry.
 */
static napi_value emit_stream(napi_env env, napi_callback_info info) {
  napi_value argv[4], result;
  reader_t *r = reader_call(env, info, 4, argv, "emit(handle, id, out, target)");
  if (r == NULL) return NULL;
  uint32_t id;
  double target;
  size_t out_len = 0;
  CHECK(napi_get_value_uint32(env, argv[1], &id));
  CHECK(napi_get_value_double(env, argv[3], &target));
  int16_t *out = typed_data(env, argv[2], napi_int16_array, &out_len);
  double written = -1;
  binding_t *b = id < r->binding_count && r->bindings[id].bound ? &r->bindings[id] : NULL;
  if (b != NULL && out != NULL && g711_ready) {
    double *st = b->st;
    int codec = (int)st[ST_FAST_CODEC];
    double emitted = st[ST_EMITTED], n = target - emitted, carry_len = st[ST_CARRY_LEN];
    double mask = st[ST_MASK], read_idx = st[ST_READ_IDX], max_idx = st[ST_MAX_IDX];
    double slot_bytes = st[ST_SLOT_BYTES], fast_pt = st[ST_FAST_PT];
    int ok = (codec == CODEC_PCMU || codec == CODEC_PCMA) && n > 0 && n <= (double)out_len &&
             carry_len <= (double)b->carry_len && st[ST_SAMPLE_RATE] == st[ST_CODEC_SAMPLE_RATE] &&
             st[ST_SAMPLES_PER_BYTE] == 1.0;
    /* Pass 1: every slot due in this read must be ours to decode. */
    double idx = read_idx;
    for (; ok && idx <= max_idx; idx++) {
      size_t s = (size_t)((int64_t)idx & (int64_t)mask);
      if (s >= b->slot_count) {
        ok = 0;
        break;
      }
      const double *slot = b->slots + s * SLOT_FIELDS;
      if (slot[S_IDX] != idx || slot[S_PT] < 0) continue;
      if (slot[S_POS] >= target) break;
      if (slot[S_PT] != fast_pt || slot[S_LEN] > slot_bytes ||
          (double)s * slot_bytes + slot[S_LEN] > (double)b->payload_bytes)
        ok = 0;
    }
    if (ok) {
      const int16_t *table = g711_tables[codec];
      int64_t count = (int64_t)n, cap = (int64_t)b->carry_len, clen = (int64_t)carry_len;
      int16_t *carry = b->carry;
      double audible = 0;
      memset(out, 0, (size_t)count * sizeof *out);
      if (clen > 0) {
        audible = 1;
        int64_t c = clen < count ? clen : count;
        memcpy(out, carry, (size_t)c * sizeof *out);
        memmove(carry, carry + c, (size_t)(clen - c) * sizeof *carry);
        clen -= c;
      }
      double next = read_idx;
      for (idx = read_idx; idx <= max_idx; idx++) {
        size_t s = (size_t)((int64_t)idx & (int64_t)mask);
        double *slot = b->slots + s * SLOT_FIELDS;
        if (slot[S_IDX] != idx || slot[S_PT] < 0) continue;
        if (slot[S_POS] >= target) break;
        slot[S_PT] = -1.0;
        st[ST_PENDING] -= 1.0;
        next = idx + 1;
        audible = 1;
        int64_t start = (int64_t)js_round(slot[S_POS] - emitted), len = (int64_t)slot[S_LEN];
        const uint8_t *src = b->payload + s * (size_t)slot_bytes;
        for (int64_t i = start < 0 ? -start : 0; i < len; i++) {
          int64_t o = start + i;
          if (o < count) {
            out[o] = table[src[i]];
            continue;
          }
          int64_t c = o - count;
          if (c >= cap) break;
          if (c > clen) memset(carry + clen, 0, (size_t)(c - clen) * sizeof *carry);
          carry[c] = table[src[i]];
          if (c + 1 > clen) clen = c + 1;
        }
      }
      st[ST_READ_IDX] = next;
      st[ST_EMITTED] = target;
      st[ST_CARRY_LEN] = (double)clen;
      st[ST_AUDIBLE] = audible;
      st[ST_FAST_READS] += 1.0;
      written = n;
    }
  }
  CHECK(napi_create_double(env, written, &result));
  return result;
}

/*
 * catchUp(handle) → datagrams drained: drains every socket now, synchronously, until none is left
 * unfinished (bounded), and hands the batches to JS before returning. The receiver calls it
 * before the recorder reads audio, so a read never runs ahead of datagrams that arrived before
 * it: after an event-loop stall the timer that reads can fire before the poll phase has drained
 * what the kernel queued meanwhile, and that audio would be emitted as silence and then arrive
 * "late" (placed after the stall instead of at its RTP time).
 */
static napi_value catch_up(napi_env env, napi_callback_info info) {
  napi_value argv[1], out;
  reader_t *r = reader_call(env, info, 1, argv, "catchUp(handle)");
  if (r == NULL) return NULL;
  uint32_t total = 0;
  r->sync = 1;
  r->failed = 0;
  for (int pass = 0; pass < CATCH_UP_PASSES && !r->failed && !r->closing; pass++) {
    total += drain_ready(r);
    if (r->unfinished_count == 0) break;
  }
  r->sync = 0;
  if (r->unfinished_count > 0 && !r->closing && !uv_is_active((uv_handle_t *)&r->timer)) {
    /* Left over past the bound: they raise no new edge, so the timer must come back for them. */
    uv_poll_stop(&r->poll);
    uv_timer_start(&r->timer, on_timer, COALESCE_MS, COALESCE_MS);
  }
  if (r->failed) {
    /* The batch callback threw: the rest of the batch is dropped, the exception is the caller's. */
    r->failed = 0;
    r->count = 0;
    r->used = 0;
    return NULL;
  }
  CHECK(napi_create_uint32(env, total, &out));
  return out;
}

/* g711(ulaw, alaw): the decode tables emit() uses (Int16Array[256] each, from media/g711.ts). */
static napi_value set_g711(napi_env env, napi_callback_info info) {
  size_t argc = 2, n1 = 0, n2 = 0;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  const int16_t *ulaw = argc == 2 ? typed_data(env, argv[0], napi_int16_array, &n1) : NULL;
  const int16_t *alaw = argc == 2 ? typed_data(env, argv[1], napi_int16_array, &n2) : NULL;
  if (ulaw == NULL || alaw == NULL || n1 != 256 || n2 != 256) {
    napi_throw_type_error(env, "CV_ERR_MEDIA_NATIVE", "g711(ulaw, alaw) needs two Int16Array(256)");
    return NULL;
  }
  memcpy(g711_tables[CODEC_PCMU], ulaw, sizeof g711_tables[0]);
  memcpy(g711_tables[CODEC_PCMA], alaw, sizeof g711_tables[0]);
  g711_ready = 1;
  return NULL;
}

/* stats(handle) → [timer drains so far, 1 while coalescing, datagrams the fast path stored] */
static napi_value stats(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  reader_t *r = reader_call(env, info, 1, argv, "stats(handle)");
  if (r == NULL) return NULL;
  napi_value out, v;
  CHECK(napi_create_array_with_length(env, 3, &out));
  CHECK(napi_create_uint32(env, r->timer_drains, &v));
  CHECK(napi_set_element(env, out, 0, v));
  CHECK(napi_create_uint32(env, uv_is_active((uv_handle_t *)&r->timer) ? 1 : 0, &v));
  CHECK(napi_set_element(env, out, 1, v));
  CHECK(napi_create_double(env, r->fast_packets, &v));
  CHECK(napi_set_element(env, out, 2, v));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"stats", NULL, stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"create", NULL, create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"open", NULL, open_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, close_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"destroy", NULL, destroy, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bind", NULL, bind_stream, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unbind", NULL, unbind_stream, NULL, NULL, NULL, napi_enumerable, NULL},
      {"emit", NULL, emit_stream, NULL, NULL, NULL, napi_enumerable, NULL},
      {"catchUp", NULL, catch_up, NULL, NULL, NULL, napi_enumerable, NULL},
      {"g711", NULL, set_g711, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  /* stateLayout: { ARMED: 0, …, FIELDS: n, SLOT_FIELDS: 4 } for the check in native-reader.ts */
  napi_value layout, v;
  if (napi_create_object(env, &layout) != napi_ok) return NULL;
  for (int i = 0; i < ST_FIELDS; i++)
    if (napi_create_int32(env, i, &v) != napi_ok || napi_set_named_property(env, layout, state_names[i], v) != napi_ok)
      return NULL;
  if (napi_create_int32(env, ST_FIELDS, &v) != napi_ok || napi_set_named_property(env, layout, "FIELDS", v) != napi_ok)
    return NULL;
  if (napi_create_int32(env, SLOT_FIELDS, &v) != napi_ok ||
      napi_set_named_property(env, layout, "SLOT_FIELDS", v) != napi_ok)
    return NULL;
  if (napi_set_named_property(env, exports, "stateLayout", layout) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
