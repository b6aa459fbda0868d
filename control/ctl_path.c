/*
 * ctl_path.c — the control socket's path (the rules are in ctl_path.h).
 */
#include "ctl_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int put_path(char *buf, size_t len, int n)
{
	if (n < 0 || (size_t)n >= len || (size_t)n >= SL_CTL_PATH_MAX) {
		if (len > 0)
			buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

int sl_ctl_default_socket(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;
	if (xdg != NULL && xdg[0] != '\0')
		n = snprintf(buf, len, "%s/sluice/ctl.sock", xdg);
	else
		n = snprintf(buf, len, "/tmp/sluice-%lu/ctl.sock", (unsigned long)getuid());
	return put_path(buf, len, n);
}

int sl_ctl_socket_path(const char *opt, char *buf, size_t len)
{
	if (opt != NULL) {
		if (opt[0] == '\0') {
			if (len > 0)
				buf[0] = '\0';
			return -EINVAL;
		}
		return put_path(buf, len, snprintf(buf, len, "%s", opt));
	}
	const char *env = getenv("SLUICE_SOCKET");
	if (env != NULL && env[0] != '\0')
		return put_path(buf, len, snprintf(buf, len, "%s", env));
	return sl_ctl_default_socket(buf, len);
}
