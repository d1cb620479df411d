/* SPDX-License-Identifier: MIT */
/* Control request parsing (see ctl_req.h). */
#include "dataplane/ctl_req.h"

#include <stdio.h>

json_object *ctl_req_parse(const char *line, const char **cmd, char *err, size_t errlen)
{
	enum json_tokener_error jerr;
	json_object *in, *c;

	in = json_tokener_parse_verbose(line, &jerr);
	if (!in) {
		snprintf(err, errlen,
			 "malformed JSON request (%s); send one object per line like "
			 "{\"cmd\":\"help\"}",
			 json_tokener_error_desc(jerr));
		return NULL;
	}
	if (!json_object_is_type(in, json_type_object) ||
	    !json_object_object_get_ex(in, "cmd", &c) ||
	    !json_object_is_type(c, json_type_string)) {
		snprintf(err, errlen,
			 "request needs a string field \"cmd\" (try {\"cmd\":\"help\"})");
		json_object_put(in);
		return NULL;
	}
	*cmd = json_object_get_string(c);
	return in;
}
