/*
 * rtp-reader addon: a reader's life (create, destroy, stats) and the module's registration.
 * The socket layer is socket.c, the fast path fast-path.c; reader.h says what the addon does.
 */
#define _GNU_SOURCE
#include "reader.h"
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static reader_t *unwrap(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    cv_throw_type(env, CV_NATIVE_CODE, "not a reader handle");
    return NULL;
  }
  reader_t *r = (reader_t *)p;
  if (r->closing) {
    cv_throw(env, "CV_ERR_MEDIA_CLOSED", "reader is closed");
    return NULL;
  }
  return r;
}

reader_t *rr_reader_call(napi_env env, napi_callback_info info, size_t want, napi_value *argv,
                         const char *usage) {
  if (!cv_args(env, info, want, argv)) {
    cv_throw_type(env, CV_NATIVE_CODE, usage);
    return NULL;
  }
  return unwrap(env, argv[0]);
}

/*
 * create(callback) → [handle, ArrayBuffer]. Every fallible Node-API step comes first, the libuv
 * handles last: until uv_poll_init succeeds the reader is plain memory, so each failure unwinds
 * on the spot (references, async context, epoll fd, batch, reader) and leaves nothing running.
 * The batch belongs to the ArrayBuffer once that exists (its finalizer frees it).
 */
static napi_value create(napi_env env, napi_callback_info info) {
  napi_value argv[1], name, resource, handle, ab, out;
  napi_valuetype t = napi_undefined;
  reader_t *r = NULL;
  int batch_owned = 0;
  if (!cv_args(env, info, 1, argv) || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function)
    return cv_throw_type(env, CV_NATIVE_CODE, "create(callback) needs a function");
  r = calloc(1, sizeof *r);
  if (r == NULL) return cv_throw_errno(env, ENOMEM, "reader allocation");
  r->epfd = -1;
  r->batch = malloc(BATCH_BYTES);
  if (r->batch == NULL) {
    cv_throw_errno(env, ENOMEM, "batch allocation");
    goto fail;
  }
  r->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (r->epfd < 0) {
    cv_throw_errno(env, errno, "epoll_create1");
    goto fail;
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
  CV_CHECK(env, napi_create_reference(env, argv[0], 1, &r->callback));
  CV_CHECK(env, napi_create_string_utf8(env, "callvault.rtp-reader", NAPI_AUTO_LENGTH, &name));
  CV_CHECK(env, napi_create_object(env, &resource));
  CV_CHECK(env, napi_async_init(env, resource, name, &r->actx));
  CV_CHECK(env, napi_create_external(env, r, NULL, NULL, &handle));
  CV_CHECK(env, napi_create_external_arraybuffer(env, r->batch, BATCH_BYTES, rr_free_batch, NULL, &ab));
  batch_owned = 1;
  CV_CHECK(env, napi_create_reference(env, ab, 1, &r->buffer_ref));
  CV_CHECK(env, napi_create_array_with_length(env, 2, &out));
  CV_CHECK(env, napi_set_element(env, out, 0, handle));
  CV_CHECK(env, napi_set_element(env, out, 1, ab));
  uv_loop_t *loop;
  CV_CHECK(env, napi_get_uv_event_loop(env, &loop));
  /* uv_timer_init cannot fail (it only fills the struct); uv_poll_init can (a bad fd). */
  int err = CV_FAULT() ? UV_EINVAL : uv_poll_init(loop, &r->poll, r->epfd);
  if (err != 0) {
    cv_throw_errno(env, -err, "uv_poll_init");
    goto fail;
  }
  uv_timer_init(loop, &r->timer);
  r->poll.data = r;
  r->timer.data = r;
  r->open_handles = 2;
  r->window_start = uv_now(loop);
  uv_poll_start(&r->poll, UV_READABLE, rr_on_readable);
  rr_update_ref(r);
  return out;
fail:
  if (r->buffer_ref != NULL) napi_delete_reference(env, r->buffer_ref);
  if (r->actx != NULL) napi_async_destroy(env, r->actx);
  if (r->callback != NULL) napi_delete_reference(env, r->callback);
  if (r->epfd >= 0) close(r->epfd);
  /* The handle external (if made) has no finalizer and nothing reads it once this throws. */
  if (!batch_owned) free(r->batch);
  free(r);
  return NULL;
}

/* destroy(handle): closes the epoll set (sockets must be closed first) and frees the reader. */
static napi_value destroy(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  reader_t *r = rr_reader_call(env, info, 1, argv, "destroy(handle)");
  if (r == NULL) return NULL;
  for (uint32_t i = 0; i < r->binding_count; i++) rr_release_binding(env, &r->bindings[i]);
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
  uv_close((uv_handle_t *)&r->poll, rr_on_closed);
  uv_close((uv_handle_t *)&r->timer, rr_on_closed);
  return NULL;
}

/* stats(handle) → [timer drains so far, 1 while coalescing, datagrams the fast path stored] */
static napi_value stats(napi_env env, napi_callback_info info) {
  napi_value argv[1], out, v;
  reader_t *r = rr_reader_call(env, info, 1, argv, "stats(handle)");
  if (r == NULL) return NULL;
  CV_CHECK(env, napi_create_array_with_length(env, 3, &out));
  CV_CHECK(env, napi_create_uint32(env, r->timer_drains, &v));
  CV_CHECK(env, napi_set_element(env, out, 0, v));
  CV_CHECK(env, napi_create_uint32(env, uv_is_active((uv_handle_t *)&r->timer) ? 1 : 0, &v));
  CV_CHECK(env, napi_set_element(env, out, 1, v));
  CV_CHECK(env, napi_create_double(env, r->fast_packets, &v));
  CV_CHECK(env, napi_set_element(env, out, 2, v));
  return out;
fail:
  return NULL;
}

/* The field names of STATE_FIELDS, for stateLayout. */
#define AS_NAME(n) #n,
static const char *const state_names[] = {STATE_FIELDS(AS_NAME)};
#undef AS_NAME

static napi_status set_int(napi_env env, napi_value obj, const char *key, int32_t n) {
  napi_value v;
  napi_status st = napi_create_int32(env, n, &v);
  return st == napi_ok ? napi_set_named_property(env, obj, key, v) : st;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value layout;
  CV_DEFINE_METHODS(env, exports, CV_METHOD("stats", stats, napi_enumerable),
                    CV_METHOD("create", create, napi_enumerable),
                    CV_METHOD("open", rr_open, napi_enumerable),
                    CV_METHOD("close", rr_close, napi_enumerable),
                    CV_METHOD("destroy", destroy, napi_enumerable),
                    CV_METHOD("bind", rr_bind, napi_enumerable),
                    CV_METHOD("unbind", rr_unbind, napi_enumerable),
                    CV_METHOD("emit", rr_emit, napi_enumerable),
                    CV_METHOD("catchUp", rr_catch_up, napi_enumerable),
                    CV_METHOD("g711", rr_g711, napi_enumerable));
  /* stateLayout: { ARMED: 0, …, FIELDS: n, SLOT_FIELDS: 4 } for the check in native-reader.ts */
  CV_CHECK(env, napi_create_object(env, &layout));
  for (int i = 0; i < ST_FIELDS; i++) CV_CHECK(env, set_int(env, layout, state_names[i], i));
  CV_CHECK(env, set_int(env, layout, "FIELDS", ST_FIELDS));
  CV_CHECK(env, set_int(env, layout, "SLOT_FIELDS", SLOT_FIELDS));
  CV_CHECK(env, napi_set_named_property(env, exports, "stateLayout", layout));
  return exports;
fail:
  return NULL;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
