/* apireq: one request to a VM's control socket, for the integration tests
 * (no curl in the image). Built by t_api.sh with src/api/client.c.
 *   apireq SOCK METHOD PATH [BODY]   print the body; exit 0 on 2xx, else
 *                                    "HTTP N: body" on stderr and exit 1
 *   apireq SOCK --events             print event lines until the stream
 *                                    ends (the VM ended); exit 0 */
#include <stdio.h>
#include <string.h>

#include "api/client.h"

#define TIMEOUT_MS 10000
#define EVENTS_IDLE_MS 900000

static int print_line(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    fwrite(line, 1, len, stdout);
    putchar('\n');
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    struct api_response r;
    struct api_http_head h;
    int rc;

    if (argc == 3 && !strcmp(argv[2], "--events")) {
        rc = api_client_stream(argv[1], "/events", EVENTS_IDLE_MS, print_line,
                               NULL, &h);
        if (rc < 0)
            fprintf(stderr, "apireq: %s\n", strerror(-rc));
        return rc < 0;
    }
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: apireq SOCK METHOD PATH [BODY] | SOCK --events\n");
        return 2;
    }
    rc = api_client_request(argv[1], argv[2], argv[3], argc == 5 ? argv[4] : NULL,
                            TIMEOUT_MS, &r);
    if (rc < 0) {
        fprintf(stderr, "apireq: %s %s: %s\n", argv[2], argv[3], strerror(-rc));
        return 1;
    }
    fwrite(r.body, 1, r.len, stdout);
    if (r.status / 100 != 2)
        fprintf(stderr, "HTTP %u: %.*s\n", r.status, (int)r.len, r.body);
    rc = r.status / 100 == 2 ? 0 : 1;
    api_response_free(&r);
    return rc;
}
