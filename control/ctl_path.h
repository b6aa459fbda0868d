/*
 * ctl_path.h — where the control socket is (DESIGN.md section 7,
 * docs/control-protocol.md), one rule for sluiced and sluicectl alike:
 *
 *   1. --socket PATH on the command line;
 *   2. else $SLUICE_SOCKET, when set and not empty;
 *   3. else $XDG_RUNTIME_DIR/sluice/ctl.sock, when XDG_RUNTIME_DIR is set
 *      and not empty (systemd makes it /run/user/<uid>, mode 0700);
 *   4. else /tmp/sluice-<uid>/ctl.sock.
 *
 * A Unix socket path holds at most SL_CTL_PATH_MAX - 1 bytes (sun_path);
 * longer ones are refused here rather than cut at connect() or bind().
 */
#ifndef SL_CTL_PATH_H
#define SL_CTL_PATH_H

#include <stddef.h>

/* sizeof(((struct sockaddr_un *)0)->sun_path) on Linux. */
#define SL_CTL_PATH_MAX 108

/* The default socket (rules 3 and 4) into buf; 0, or -ENAMETOOLONG when it
 * does not fit in len bytes or in a socket address (buf then holds "" when
 * len > 0). */
int sl_ctl_default_socket(char *buf, size_t len);

/* The socket to use (rules 1 to 4): opt is --socket's value or NULL.
 * 0, -EINVAL for an empty opt, -ENAMETOOLONG as above. */
int sl_ctl_socket_path(const char *opt, char *buf, size_t len);

#endif
