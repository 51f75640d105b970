/* Terminal raw mode with restore on every exit path. */
#include "host/term.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* Process-wide by nature: there is one controlling terminal, and a signal
 * handler must find the saved mode without a context pointer. */
static struct termios saved;
static int saved_fd = -1;

void term_restore(void)
{
    if (saved_fd >= 0) {
        tcsetattr(saved_fd, TCSAFLUSH, &saved);
        saved_fd = -1;
    }
}

static void on_fatal_signal(int sig)
{
    term_restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

bool term_raw_enter(int fd)
{
    static const int fatal[] = { SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS,
                                 SIGABRT, SIGFPE, SIGILL };
    struct termios raw;
    struct sigaction sa;

    if (!isatty(fd) || tcgetattr(fd, &saved) < 0)
        return false;
    raw = saved;
    cfmakeraw(&raw);
    raw.c_oflag |= OPOST | ONLCR;   /* keep "\n" -> "\r\n" for our own logs */
    if (tcsetattr(fd, TCSAFLUSH, &raw) < 0)
        return false;
    saved_fd = fd;
    atexit(term_restore);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
        struct sigaction old;
        /* Keep a handler someone else installed (SIGTERM's clean stop). */
        if (sigaction(fatal[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
            sigaction(fatal[i], &sa, NULL);
    }
    return true;
}
