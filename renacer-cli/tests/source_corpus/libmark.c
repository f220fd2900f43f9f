/* A shared library of the corpus, dlopen()ed by marks.c. */
#include <sys/stat.h>

int mark_in_library(void) {
    struct stat st;
    int r = stat("/nonexistent/renacer-mark/12", &st); /* @mark 12 */
    return r + 1;
}
