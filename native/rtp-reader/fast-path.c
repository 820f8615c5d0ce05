/*
 * rtp-reader fast path: the datagrams a stream's timeline takes without JS (see reader.h), and
 * emit(), the G.711 read of such a stream. bind()/unbind() share a timeline's arrays with it.
 */
#define _GNU_SOURCE
#include "reader.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* G.711 byte → PCM16, copied from JS (media/g711.ts) so both paths use the very same tables. */
static int16_t g711_tables[3][256];
static int g711_ready;

/* RFC 3550 A.1: a forward step below this is the next packet (with loss), as in stats.ts. */
#define MAX_DROPOUT 3000u

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
 * StreamTimeline.push() for the one case it sees almost always; returns 0 (touching nothing)
 * when the datagram needs anything else. Every figure is computed with the same double
 * operations in the same order as timeline.ts and stats.ts, so the results are identical.
 */
int rr_fast_store(binding_t *b, const uint8_t *d, uint32_t len, const struct sockaddr_storage *from,
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

void rr_release_binding(napi_env env, binding_t *b) {
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
 * the source last handed to JS is kept across calls. On failure the socket is left unbound.
 */
napi_value rr_bind(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  reader_t *r = rr_reader_call(env, info, 6, argv, "bind(handle, id, state, slots, payload, carry)");
  if (r == NULL) return NULL;
  binding_t *b = NULL;
  uint32_t id;
  CV_CHECK(env, napi_get_value_uint32(env, argv[1], &id));
  size_t st_len = 0, slots_len = 0, payload_len = 0, carry_len = 0;
  double *st = typed_data(env, argv[2], napi_float64_array, &st_len);
  double *slots = typed_data(env, argv[3], napi_float64_array, &slots_len);
  uint8_t *payload = typed_data(env, argv[4], napi_uint8_array, &payload_len);
  int16_t *carry = typed_data(env, argv[5], napi_int16_array, &carry_len);
  if (st == NULL || slots == NULL || payload == NULL || carry == NULL || st_len < ST_FIELDS || slots_len < SLOT_FIELDS)
    return cv_throw_type(env, CV_NATIVE_CODE, "bind: state, slots or payload has the wrong type or size");
  if (id >= r->binding_count) {
    uint32_t count = id + 1 > r->binding_count * 2 ? id + 1 : r->binding_count * 2;
    binding_t *grown = realloc(r->bindings, count * sizeof *grown);
    if (grown == NULL) return cv_throw_errno(env, ENOMEM, "bind");
    memset(grown + r->binding_count, 0, (count - r->binding_count) * sizeof *grown);
    r->bindings = grown;
    r->binding_count = count;
  }
  b = &r->bindings[id];
  struct sockaddr_storage last = b->last_src;
  int had = b->bound;
  rr_release_binding(env, b);
  if (!had) memset(&last, 0, sizeof last);
  for (int k = 0; k < 4; k++) CV_CHECK(env, napi_create_reference(env, argv[2 + k], 1, &b->refs[k]));
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
fail:
  /* The references made before the failure; the binding stays unbound (all datagrams to JS). */
  if (b != NULL) rr_release_binding(env, b);
  return NULL;
}

/* unbind(handle, id): the socket's datagrams all go to JS again (before close, on release). */
napi_value rr_unbind(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  reader_t *r = rr_reader_call(env, info, 2, argv, "unbind(handle, id)");
  if (r == NULL) return NULL;
  uint32_t id;
  CV_CHECK(env, napi_get_value_uint32(env, argv[1], &id));
  if (id < r->binding_count) rr_release_binding(env, &r->bindings[id]);
fail:
  return NULL;
}

/*
 * emit(handle, id, out, target) → samples written, or -1: StreamTimeline #emitInto for a G.711
 * stream at its own rate (the common case). -1 changes nothing and JS does the read (another
 * codec is due). Same figures as timeline.ts and pcm.ts placeSamples: output [emitted, target)
 * zeroed, the carry first, then every pending slot before target at round(pos − emitted), what
 * falls past the read into the carry.
 */
napi_value rr_emit(napi_env env, napi_callback_info info) {
  napi_value argv[4], result;
  reader_t *r = rr_reader_call(env, info, 4, argv, "emit(handle, id, out, target)");
  if (r == NULL) return NULL;
  uint32_t id;
  double target;
  size_t out_len = 0;
  CV_CHECK(env, napi_get_value_uint32(env, argv[1], &id));
  CV_CHECK(env, napi_get_value_double(env, argv[3], &target));
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
  CV_CHECK(env, napi_create_double(env, written, &result));
  return result;
fail:
  return NULL;
}

/* g711(ulaw, alaw): the decode tables emit() uses (Int16Array[256] each, from media/g711.ts). */
napi_value rr_g711(napi_env env, napi_callback_info info) {
  size_t n1 = 0, n2 = 0;
  napi_value argv[2];
  const int16_t *ulaw = NULL, *alaw = NULL;
  if (cv_args(env, info, 2, argv)) {
    ulaw = typed_data(env, argv[0], napi_int16_array, &n1);
    alaw = typed_data(env, argv[1], napi_int16_array, &n2);
  }
  if (ulaw == NULL || alaw == NULL || n1 != 256 || n2 != 256)
    return cv_throw_type(env, CV_NATIVE_CODE, "g711(ulaw, alaw) needs two Int16Array(256)");
  memcpy(g711_tables[CODEC_PCMU], ulaw, sizeof g711_tables[0]);
  memcpy(g711_tables[CODEC_PCMA], alaw, sizeof g711_tables[0]);
  g711_ready = 1;
  return NULL;
}
