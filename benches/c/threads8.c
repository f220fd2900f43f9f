/* Eight threads making syscalls concurrently (getppid, N each): the
 * single-tracer-thread case of benches/strace_compare.sh.
 *
 *   cc -O2 -pthread -o threads8 threads8.c && ./threads8 [N]
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static long n = 20000;

static void *work(void *arg) {
    for (long i = 0; i < n; i++)
        getppid();
    return arg;
}

int main(int argc, char **argv) {
    if (argc > 1)
        n = atol(argv[1]);
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, work, NULL);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    return 0;
}
