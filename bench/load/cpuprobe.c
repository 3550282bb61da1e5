/* Two-core availability probe (bench/run-load.sh): N threads (default 2) spin for one second of
 * wall time; prints the CPU seconds the threads got in total divided by the wall time, e.g.
 * "cores=1.98". Two free cores give ~2.0; a withheld core gives ~1.0. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_s = 1.0;
static double cpu[64];

static void* spin(void* arg) {
  long i = (long)arg;
  double end = now(CLOCK_MONOTONIC) + wall_s;
  volatile unsigned long x = 0;
  while (now(CLOCK_MONOTONIC) < end) {
    for (int k = 0; k < 10000; ++k) x += (unsigned long)k;
  }
  cpu[i] = now(CLOCK_THREAD_CPUTIME_ID);
  return NULL;
}

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 2;
  if (argc > 2) wall_s = atof(argv[2]);
  if (n < 1 || n > 64 || wall_s <= 0) return 2;
  pthread_t t[64];
  double start = now(CLOCK_MONOTONIC);
  for (long i = 0; i < n; ++i) pthread_create(&t[i], NULL, spin, (void*)i);
  for (long i = 0; i < n; ++i) pthread_join(t[i], NULL);
  double wall = now(CLOCK_MONOTONIC) - start;
  double total = 0;
  for (long i = 0; i < n; ++i) total += cpu[i];
  printf("cores=%.2f\n", total / wall);
  return 0;
}
