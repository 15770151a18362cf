/* A datagram on NOTIFY_SOCKET, as received (notify_parse). */
#define _GNU_SOURCE
#include <string.h>

#include "svcctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct notify_msg m;

	memset(&m, 0, sizeof(m));
	if (notify_parse((const char *)data, size, &m) == 0) {
		/* the status text is always a terminated string that fits */
		if (m.have_status &&
		    strnlen(m.status, sizeof(m.status)) == sizeof(m.status))
			__builtin_trap();
	}
	return 0;
}
