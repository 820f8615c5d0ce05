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
 *   u16 reserved
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
 * Single-threaded: everything runs on the event-loop thread, as dgram does.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
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
  /* recvmmsg scratch */
  struct mmsghdr msgs[VLEN];
  struct iovec iov[VLEN];
  struct sockaddr_storage from[VLEN];
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
  if (r->count == 0) return;
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, argv[2], result;
  uint32_t count = r->count, used = r->used;
  r->count = 0;
  r->used = 0;
  if (napi_get_reference_value(env, r->callback, &cb) == napi_ok && napi_get_global(env, &recv) == napi_ok &&
      napi_create_uint32(env, count, &argv[0]) == napi_ok && napi_create_uint32(env, used, &argv[1]) == napi_ok) {
    napi_status st = napi_make_callback(env, r->actx, recv, cb, 2, argv, &result);
    if (st == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void append(reader_t *r, uint32_t id, const uint8_t *data, uint32_t len, int truncated,
                   const struct sockaddr_storage *from) {
  uint32_t stored = len > MAX_DGRAM ? MAX_DGRAM : len;
  uint32_t need = RECORD_HEADER + ((stored + 3u) & ~3u);
  if (r->used + need > BATCH_BYTES) flush(r);
  uint8_t *p = r->batch + r->used;
  uint16_t flags = truncated ? 1 : 0, port = 0, zero = 0;
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
  memcpy(p + 10, &zero, 2);
  memcpy(p + RECORD_HEADER, data, stored);
  r->used += need;
  r->count++;
  r->drained++;
}

static void drain_socket(reader_t *r, uint64_t tag) {
  int fd = (int)(uint32_t)tag;
  uint32_t id = (uint32_t)(tag >> 32);
  for (int k = 0; k < MAX_RECV_PER_SOCKET; k++) {
    int n = recvmmsg(fd, r->msgs, VLEN, MSG_DONTWAIT, NULL);
    if (n <= 0) return; /* EAGAIN, or an error the next readiness will show again */
    for (int i = 0; i < n; i++) {
      int truncated = (r->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
      append(r, id, r->dgram[i], r->msgs[i].msg_len, truncated, &r->from[i]);
      /* The kernel shortened the address length: restore it for the next call (the only
         input field recvmmsg changes; the headers are set up once in create()). */
      r->msgs[i].msg_hdr.msg_namelen = sizeof r->from[i];
    }
    if (n < VLEN) return;
  }
}

/* Drains every ready socket (bounded) into the batch and hands it to JS; returns datagrams. */
static uint32_t drain_ready(reader_t *r) {
  struct epoll_event evs[MAX_EVENTS];
  uint32_t before = r->drained;
  for (int round = 0; round < MAX_ROUNDS; round++) {
    int n = epoll_wait(r->epfd, evs, MAX_EVENTS, 0);
    if (n <= 0) break;
    for (int i = 0; i < n; i++) drain_socket(r, evs[i].data.u64);
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
  if (elapsed < COALESCE_MS) return;
  if (r->window_packets >= BUSY_PACKETS * (elapsed / COALESCE_MS)) {
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
  if (r->closing || n >= BUSY_PACKETS) return;
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
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_type_error(env, "CV_ERR_MEDIA_NATIVE", "open(handle, id, address, port)");
    return NULL;
  }
  reader_t *r = unwrap(env, argv[0]);
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
  ev.events = EPOLLIN;
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
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  reader_t *r = unwrap(env, argv[0]);
  if (r == NULL) return NULL;
  int32_t fd;
  CHECK(napi_get_value_int32(env, argv[1], &fd));
  if (epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL) == 0) {
    close(fd);
    if (r->sockets > 0) r->sockets--;
    update_ref(r);
  }
  return NULL;
}

/* destroy(handle): closes the epoll set (sockets must be closed first) and frees the reader. */
static napi_value destroy(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  reader_t *r = unwrap(env, argv[0]);
  if (r == NULL) return NULL;
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

/* stats(handle) → [timer drains so far, 1 while coalescing] */
static napi_value stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  reader_t *r = unwrap(env, argv[0]);
  if (r == NULL) return NULL;
  napi_value out, v;
  CHECK(napi_create_array_with_length(env, 2, &out));
  CHECK(napi_create_uint32(env, r->timer_drains, &v));
  CHECK(napi_set_element(env, out, 0, v));
  CHECK(napi_create_uint32(env, uv_is_active((uv_handle_t *)&r->timer) ? 1 : 0, &v));
  CHECK(napi_set_element(env, out, 1, v));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"stats", NULL, stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"create", NULL, create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"open", NULL, open_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, close_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"destroy", NULL, destroy, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
