// SPDX-License-Identifier: MIT
/* libFuzzer target: the switch control socket's request parser
 * (dataplane/ctl_req.c, the part of ctl_handle() before a command runs) on
 * arbitrary request lines. The input is one line (NUL-terminated copy);
 * an accepted request must have a non-NULL command name and a refused one
 * a non-empty message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/ctl_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1), err[256] = "";
	const char *cmd = NULL;
	json_object *req;

	if (!line)
		abort();
	memcpy(line, data, size);
	line[size] = '\0';
	req = ctl_req_parse(line, &cmd, err, sizeof(err));
	if (req) {
		if (!cmd)
			abort();
		(void)strlen(cmd);
		(void)json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
		json_object_put(req);
	} else if (!err[0]) {
		abort();
	}
	free(line);
	return 0;
}
