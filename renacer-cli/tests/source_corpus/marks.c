/* The --source accuracy corpus, C side (compiled by tests/source.rs at -O0
 * and -O2, PIE and not). Every syscall made on purpose names
 * `renacer-mark/NN` in its arguments; the line that makes it carries the
 * comment `@mark NN`, the ground truth the test reads. */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int bad;

__attribute__((noinline)) static int open_it(const char *p) {
    int fd = open(p, O_RDONLY); /* @mark 05 06 */
    return fd >= 0 ? close(fd) : 1;
}

static void *worker(void *arg) {
    struct stat st;
    bad += stat("/nonexistent/renacer-mark/10", &st); /* @mark 10 */
    return arg;
}

int main(int argc, char **argv) {
    struct stat st;
    bad += stat("/nonexistent/renacer-mark/01", &st); /* @mark 01 */
    bad += access("/nonexistent/renacer-mark/02", R_OK); /* @mark 02 */
    bad += mkdir("/nonexistent/renacer-mark/03", 0755); /* @mark 03 */
    bad += unlink("/nonexistent/renacer-mark/04"); /* @mark 04 */
    bad += open_it("/nonexistent/renacer-mark/05");
    bad += open_it("/nonexistent/renacer-mark/06");
    FILE *f = fopen("/nonexistent/renacer-mark/07", "r"); /* @mark 07 */
    bad += f == NULL;
    int fd = open("/dev/null", O_WRONLY);
    bad += write(fd, "renacer-mark/08\n", 16); /* @mark 08 */
    bad += dprintf(fd, "renacer-mark/09\n"); /* @mark 09 */
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        bad += stat("/nonexistent/renacer-mark/11", &st); /* @mark 11 */
        _exit(bad & 1);
    }
    waitpid(pid, NULL, 0);
    /* A library loaded at run time: its frames are found after the maps
     * are read again. */
    if (argc > 1) {
        void *lib = dlopen(argv[1], RTLD_NOW);
        if (lib == NULL) {
            fprintf(stderr, "dlopen: %s\n", dlerror());
            return 3;
        }
        int (*mark)(void) = (int (*)(void))dlsym(lib, "mark_in_library");
        bad += mark();
    }
    bad += stat("/nonexistent/renacer-mark/13", &st); /* @mark 13 */
    return bad == 12345;
}
