/*
 * Paced RTP load generator for the load benchmark (scripts/bench/load-bench.ts).
 *
 * Sends 20 ms G.711 µ-law packets (PT 0, 160 bytes of payload) to N streams on 127.0.0.1,
 * 50 packets/s per stream, for a bounded duration. Each stream carries its own sine tone so a
 * recording can be checked afterwards. Pacing: the 20 ms period is split into `slots` sub-ticks
 * (default 20 × 1 ms); stream i sends in slot i % slots, so the load is spread evenly instead
 * of arriving as one burst per period. Every sub-tick sleeps to an absolute CLOCK_MONOTONIC
 * deadline (clock_nanosleep TIMER_ABSTIME), so lateness never accumulates, and sends its
 * streams with sendmmsg in batches of up to BATCH messages.
 *
 * Usage: rtp-sender -p PLAN [-d SECONDS] [-s SLOTS] [-r REPORT.json]
 *   PLAN: one stream per line, "PORT FREQ_HZ [SSRC]" (lines starting with # are skipped).
 * Prints a JSON report (to REPORT or stdout): packets sent per stream, send errors and tick
 * lateness (how long after its deadline each sub-tick finished sending).
 * SIGINT/SIGTERM stop early and still report. Only 127.0.0.1 is ever addressed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PERIOD_NS 20000000LL
#define SAMPLES 160
#define RATE 8000
#define HDR 12
#define PKT (HDR + SAMPLES)
/* One second of tone: an integer frequency fits a whole number of periods, so the 50
 * precomputed payloads loop without a phase jump. */
#define FRAMES_PER_S (RATE / SAMPLES)
#define BATCH 256
#define MAX_STREAMS 100000
#define MAX_SECONDS 3600
#define LATE_BUCKETS 2001 /* lateness histogram in 10 µs steps up to 20 ms, last = more */

struct stream {
  struct sockaddr_in to;
  int freq;
  uint32_t ssrc;
  uint16_t seq;
  uint32_t ts;
  uint64_t sent;
  const uint8_t *tone; /* FRAMES_PER_S × SAMPLES µ-law bytes */
};

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static uint8_t ulaw_encode(int16_t pcm) {
  const int bias = 0x84, clip = 32635;
  int sign = (pcm >> 8) & 0x80;
  int s = pcm;
  if (sign) s = -s;
  if (s > clip) s = clip;
  s += bias;
  int exponent = 7;
  for (int mask = 0x4000; (s & mask) == 0 && exponent > 0; mask >>= 1) exponent--;
  int mantissa = (s >> (exponent + 3)) & 0x0f;
  return (uint8_t)~(sign | (exponent << 4) | mantissa);
}

/* Tones are shared between streams with the same frequency. */
struct tone { int freq; uint8_t *data; };
static struct tone *tones;
static int ntones;

static const uint8_t *tone_for(int freq) {
  for (int i = 0; i < ntones; i++) if (tones[i].freq == freq) return tones[i].data;
  tones = realloc(tones, sizeof(*tones) * (size_t)(ntones + 1));
  uint8_t *d = malloc(FRAMES_PER_S * SAMPLES);
  if (tones == NULL || d == NULL) { perror("malloc"); exit(3); }
  for (int n = 0; n < FRAMES_PER_S * SAMPLES; n++)
    d[n] = ulaw_encode((int16_t)lrint(8000.0 * sin(2.0 * M_PI * freq * n / RATE)));
  tones[ntones].freq = freq;
  tones[ntones].data = d;
  ntones++;
  return d;
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void sleep_until(int64_t deadline) {
  struct timespec t = { .tv_sec = deadline / 1000000000LL, .tv_nsec = deadline % 1000000000LL };
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR && !stop_flag) {}
}

static int load_plan(const char *path, struct stream **out) {
  FILE *f = fopen(path, "r");
  if (f == NULL) { perror(path); exit(1); }
  struct stream *s = calloc(MAX_STREAMS, sizeof(*s));
  if (s == NULL) { perror("calloc"); exit(3); }
  char line[256];
  int n = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    if (line[0] == '#' || line[0] == '\n') continue;
    unsigned port = 0, ssrc = 0;
    int freq = 0;
    int got = sscanf(line, "%u %d %u", &port, &freq, &ssrc);
    if (got < 2 || port == 0 || port > 65535 || freq < 50 || freq >= RATE / 2) {
      fprintf(stderr, "bad plan line: %s", line);
      exit(1);
    }
    if (n == MAX_STREAMS) { fprintf(stderr, "more than %d streams\n", MAX_STREAMS); exit(1); }
    struct stream *st = &s[n];
    st->to.sin_family = AF_INET;
    st->to.sin_port = htons((uint16_t)port);
    st->to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    st->freq = freq;
    st->ssrc = got >= 3 ? ssrc : 0x10000000u + (uint32_t)n;
    st->seq = (uint16_t)(n * 7919);
    st->ts = (uint32_t)n * 1000003u;
    st->tone = tone_for(freq);
    n++;
  }
  fclose(f);
  *out = s;
  return n;
}

static void build_packet(uint8_t *p, struct stream *s, uint64_t frame) {
  p[0] = 0x80;
  p[1] = (uint8_t)(frame == 0 ? 0x80 : 0x00); /* marker on the first packet, PT 0 */
  p[2] = (uint8_t)(s->seq >> 8); p[3] = (uint8_t)s->seq;
  p[4] = (uint8_t)(s->ts >> 24); p[5] = (uint8_t)(s->ts >> 16);
  p[6] = (uint8_t)(s->ts >> 8); p[7] = (uint8_t)s->ts;
  p[8] = (uint8_t)(s->ssrc >> 24); p[9] = (uint8_t)(s->ssrc >> 16);
  p[10] = (uint8_t)(s->ssrc >> 8); p[11] = (uint8_t)s->ssrc;
  memcpy(p + HDR, s->tone + (frame % FRAMES_PER_S) * SAMPLES, SAMPLES);
}

static double tv_s(struct timeval t) { return (double)t.tv_sec + (double)t.tv_usec / 1e6; }

int main(int argc, char **argv) {
  const char *plan = NULL, *report = NULL;
  double seconds = 5;
  int slots = 20;
  int opt;
  while ((opt = getopt(argc, argv, "p:d:s:r:")) != -1) {
    switch (opt) {
      case 'p': plan = optarg; break;
      case 'd': seconds = atof(optarg); break;
      case 's': slots = atoi(optarg); break;
      case 'r': report = optarg; break;
      default: fprintf(stderr, "usage: %s -p PLAN [-d SECONDS] [-s SLOTS] [-r REPORT]\n", argv[0]); return 1;
    }
  }
  if (plan == NULL || !(seconds > 0 && seconds <= MAX_SECONDS) || slots < 1 || slots > 200) {
    fprintf(stderr, "usage: %s -p PLAN [-d SECONDS (0-%d]] [-s SLOTS 1-200] [-r REPORT]\n", argv[0], MAX_SECONDS);
    return 1;
  }
  struct stream *st;
  int n = load_plan(plan, &st);
  if (n == 0) { fprintf(stderr, "empty plan\n"); return 1; }

  struct sigaction sa = { .sa_handler = on_signal };
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) { perror("socket"); return 3; }
  int sndbuf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (bind(fd, (struct sockaddr *)&me, sizeof me) < 0) { perror("bind"); return 3; }

  static uint8_t bufs[BATCH][PKT];
  static struct iovec iov[BATCH];
  static struct mmsghdr msgs[BATCH];
  static struct stream *batch_of[BATCH];
  static uint64_t late_hist[LATE_BUCKETS];
  uint64_t errors = 0, ticks = 0, late_sum_ns = 0, late_max_ns = 0, overruns = 0;

  const uint64_t frames = (uint64_t)llround(seconds * FRAMES_PER_S);
  const int64_t slot_ns = PERIOD_NS / slots;
  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  /* Start on the next whole period, a little ahead, so all sub-ticks have a future deadline. */
  const int64_t t0 = now_ns() + 2 * PERIOD_NS;
  uint64_t frame = 0;
  for (; frame < frames && !stop_flag; frame++) {
    for (int slot = 0; slot < slots && !stop_flag; slot++) {
      const int64_t deadline = t0 + (int64_t)frame * PERIOD_NS + slot * slot_ns;
      sleep_until(deadline);
      int k = 0;
      for (int i = slot; i < n; i += slots) {
        struct stream *s = &st[i];
        build_packet(bufs[k], s, frame);
        batch_of[k] = s;
        iov[k].iov_base = bufs[k];
        iov[k].iov_len = PKT;
        memset(&msgs[k].msg_hdr, 0, sizeof msgs[k].msg_hdr);
        msgs[k].msg_hdr.msg_name = &s->to;
        msgs[k].msg_hdr.msg_namelen = sizeof s->to;
        msgs[k].msg_hdr.msg_iov = &iov[k];
        msgs[k].msg_hdr.msg_iovlen = 1;
        s->seq++;
        s->ts += SAMPLES;
        k++;
        if (k == BATCH || i + slots >= n) {
          int done = 0;
          while (done < k) {
            int r = sendmmsg(fd, msgs + done, (unsigned)(k - done), 0);
            if (r < 0) {
              if (errno == EINTR) continue;
              /* Count the packet as not sent and skip it: a loopback error is the sender's. */
              errors++;
              done++;
              continue;
            }
            for (int j = done; j < done + r; j++) batch_of[j]->sent++;
            done += r;
          }
          k = 0;
        }
      }
      const int64_t late = now_ns() - deadline;
      const uint64_t l = late > 0 ? (uint64_t)late : 0;
      ticks++;
      late_sum_ns += l;
      if (l > late_max_ns) late_max_ns = l;
      if (l >= (uint64_t)slot_ns) overruns++;
      uint64_t b = l / 10000;
      late_hist[b < LATE_BUCKETS ? b : LATE_BUCKETS - 1]++;
    }
  }
  const double elapsed = (double)(now_ns() - t0) / 1e9;
  getrusage(RUSAGE_SELF, &ru1);

  uint64_t total = 0;
  for (int i = 0; i < n; i++) total += st[i].sent;
  double p50 = 0, p99 = 0, p999 = 0;
  {
    uint64_t acc = 0;
    int have50 = 0, have99 = 0, have999 = 0;
    for (int b = 0; b < LATE_BUCKETS; b++) {
      acc += late_hist[b];
      double us = (b + 1) * 10.0;
      if (!have50 && acc * 2 >= ticks) { p50 = us; have50 = 1; }
      if (!have99 && acc * 100 >= ticks * 99) { p99 = us; have99 = 1; }
      if (!have999 && acc * 1000 >= ticks * 999) { p999 = us; have999 = 1; }
    }
  }
  FILE *out = report != NULL ? fopen(report, "w") : stdout;
  if (out == NULL) { perror(report); return 3; }
  fprintf(out,
          "{\"streams\":%d,\"framesPerStream\":%llu,\"plannedSeconds\":%.3f,\"elapsedSeconds\":%.3f,"
          "\"slots\":%d,\"packetsSent\":%llu,\"sendErrors\":%llu,\"stoppedEarly\":%s,"
          "\"ticks\":%llu,\"latenessUs\":{\"mean\":%.1f,\"p50\":%.0f,\"p99\":%.0f,\"p999\":%.0f,\"max\":%.1f},"
          "\"overruns\":%llu,\"cpuUserSeconds\":%.3f,\"cpuSystemSeconds\":%.3f,\"perStream\":[",
          n, (unsigned long long)frame, seconds, elapsed, slots, (unsigned long long)total,
          (unsigned long long)errors, stop_flag ? "true" : "false", (unsigned long long)ticks,
          ticks ? (double)late_sum_ns / (double)ticks / 1e3 : 0.0, p50, p99, p999, (double)late_max_ns / 1e3,
          (unsigned long long)overruns, tv_s(ru1.ru_utime) - tv_s(ru0.ru_utime),
          tv_s(ru1.ru_stime) - tv_s(ru0.ru_stime));
  for (int i = 0; i < n; i++) fprintf(out, "%s%llu", i ? "," : "", (unsigned long long)st[i].sent);
  fprintf(out, "]}\n");
  if (out != stdout) fclose(out);
  close(fd);
  return 0;
}
