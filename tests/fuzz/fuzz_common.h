/* What the fuzz targets share: a private sandbox directory for the targets
 * that go through the real file readers (trust checks, line reader, inih,
 * libconfuse), and a whole-buffer write that replaces a file the way an
 * editor does. Each target is one file, built with -fsanitize=fuzzer. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* the sandbox (created once, 0700, removed at exit): DIR/services, DIR/run,
 * DIR/log and DIR/svcctl.conf naming them */
const char *fuzz_sandbox(void);
/* writes len bytes to DIR/rel, mode 0644; 0 or -1 */
int fuzz_put(const char *rel, const uint8_t *data, size_t len);
/* "DIR/rel" in a static buffer */
const char *fuzz_path(const char *rel);

#endif
