/*
 * rtp-reader socket layer: one epoll set of UDP sockets watched by one uv_poll handle, drained
 * with recvmmsg into the batch handed to JS (see reader.h on batches, coalescing and stalls).
 */
#define _GNU_SOURCE
#include "reader.h"
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_EVENTS 512
/* Bounds per readiness callback, so one flood cannot starve timers and SIP. */
#define MAX_ROUNDS 8
#define MAX_RECV_PER_SOCKET 4
/* catchUp(): passes over the sockets the per-socket bound left unfinished (128 datagrams each). */
#define CATCH_UP_PASSES 64

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
  double age_ms = r->batch_now - arrival;
  record_header_t h;
  memset(&h, 0, sizeof h);
  h.id = id;
  h.length = (uint16_t)stored;
  h.flags = truncated ? REC_TRUNCATED : 0;
  h.age = age_ms <= 0 ? 0 : age_ms >= 65535 ? 65535 : (uint16_t)age_ms;
  if (from->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)from;
    h.port = ntohs(a->sin_port);
    memcpy(h.addr, &a->sin_addr, 4);
  } else if (from->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)from;
    h.port = ntohs(a->sin6_port);
    memcpy(h.addr, &a->sin6_addr, 16);
    h.flags |= REC_IPV6;
  }
  memcpy(p, &h, sizeof h);
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
      if (b != NULL && !truncated && rr_fast_store(b, r->dgram[i], r->msgs[i].msg_len, &r->from[i], arrival)) {
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

void rr_on_readable(uv_poll_t *h, int status, int events) {
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
  uv_poll_start(&r->poll, UV_READABLE, rr_on_readable);
}


void rr_on_closed(uv_handle_t *h) {
  /* The batch buffer belongs to its ArrayBuffer (freed by rr_free_batch when JS lets go of it). */
  reader_t *r = (reader_t *)h->data;
  if (--r->open_handles == 0) free(r);
}

void rr_free_batch(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

void rr_update_ref(reader_t *r) {
  /* Like a dgram socket: an open socket keeps the process alive, none does not. */
  if (r->sockets > 0) {
    uv_ref((uv_handle_t *)&r->poll);
    uv_ref((uv_handle_t *)&r->timer);
  } else {
    uv_unref((uv_handle_t *)&r->poll);
    uv_unref((uv_handle_t *)&r->timer);
  }
}

/* The socket address of a numeric IPv4/IPv6 address and port; 0, or its length. */
static socklen_t to_sockaddr(const char *addr, uint32_t port, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    return sizeof *a4;
  }
  if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    return sizeof *a6;
  }
  return 0;
}

/* open(handle, id, address, port) → fd; binds a non-blocking UDP socket and watches it. */
napi_value rr_open(napi_env env, napi_callback_info info) {
  napi_value argv[4], out;
  reader_t *r = rr_reader_call(env, info, 4, argv, "open(handle, id, address, port)");
  if (r == NULL) return NULL;
  int fd = -1, watched = 0;
  uint32_t id, port;
  char addr[INET6_ADDRSTRLEN + 1];
  size_t alen;
  CV_CHECK(env, napi_get_value_uint32(env, argv[1], &id));
  napi_status st = cv_string(env, argv[2], addr, sizeof addr, &alen);
  if (st == napi_invalid_arg) return cv_throw_errno(env, EINVAL, "bind address"); /* too long */
  CV_CHECK(env, st);
  CV_CHECK(env, napi_get_value_uint32(env, argv[3], &port));
  if (port > 65535) return cv_throw_errno(env, EINVAL, "port");
  struct sockaddr_storage ss;
  socklen_t sl = to_sockaddr(addr, port, &ss);
  if (sl == 0) return cv_throw_errno(env, EINVAL, "bind address");
  int family = ss.ss_family;
  fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return cv_throw_errno(env, errno, "socket");
  /* Room for a stalled event loop: what the kernel holds is placed by its RTP timestamp once
     the loop runs again, what it drops is lost (see RCVBUF_BYTES). Capped by net.core.rmem_max. */
  int rcvbuf = RCVBUF_BYTES, on = 1;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  if (family == AF_INET6) {
    /* Like node:dgram: the IPv6 any-address also receives IPv4 (as v4-mapped sources). */
    int v6only = IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&ss)->sin6_addr) ? 0 : 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
  }
  if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
    cv_throw_errno(env, errno, "bind");
    goto fail;
  }
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  /* Edge-triggered: level-triggered epoll re-polls every socket it reported on the next wait,
     which at 2 500 sockets was a tenth of the reader's time; the bound is handled by
     remember_unfinished(). */
  ev.events = EPOLLIN | EPOLLET;
  ev.data.u64 = ((uint64_t)id << 32) | (uint32_t)fd;
  if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    cv_throw_errno(env, errno, "epoll_ctl");
    goto fail;
  }
  watched = 1;
  CV_CHECK(env, napi_create_int32(env, fd, &out));
  r->sockets++;
  rr_update_ref(r);
  return out;
fail:
  if (watched) epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL);
  if (fd >= 0) close(fd);
  return NULL;
}

/* close(handle, fd): stops watching and closes one socket. */
napi_value rr_close(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  reader_t *r = rr_reader_call(env, info, 2, argv, "close(handle, fd)");
  if (r == NULL) return NULL;
  int32_t fd;
  CV_CHECK(env, napi_get_value_int32(env, argv[1], &fd));
  /* A closed fd may be reused at once: it must not stay on the unfinished list. */
  for (uint32_t i = 0; i < r->unfinished_count;)
    if ((int)(uint32_t)r->unfinished[i] == fd) r->unfinished[i] = r->unfinished[--r->unfinished_count];
    else i++;
  if (epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL) == 0) {
    close(fd);
    if (r->sockets > 0) r->sockets--;
    rr_update_ref(r);
  }
fail:
  return NULL;
}

/*
 * catchUp(handle) → datagrams drained: drains every socket now, synchronously, until none is left
 * unfinished (bounded), and hands the batches to JS before returning. The receiver calls it
 * before the recorder reads audio, so a read never runs ahead of datagrams that arrived before
 * it: after an event-loop stall the timer that reads can fire before the poll phase has drained
 * what the kernel queued meanwhile, and that audio would be emitted as silence and then arrive
 * "late" (placed after the stall instead of at its RTP time).
 */
napi_value rr_catch_up(napi_env env, napi_callback_info info) {
  napi_value argv[1], out;
  reader_t *r = rr_reader_call(env, info, 1, argv, "catchUp(handle)");
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
  CV_CHECK(env, napi_create_uint32(env, total, &out));
  return out;
fail:
  return NULL;
}
