/* SPDX-License-Identifier: MIT */
#include "common/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

static enum log_level current_level = LOG_INFO;
static const char *program = "nfvisor";
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static void log_read_env(void)
{
	const char *v = getenv("NFV_LOG");

	if (!v)
		return;
	if (!strcasecmp(v, "debug"))
		current_level = LOG_DEBUG;
	else if (!strcasecmp(v, "info"))
		current_level = LOG_INFO;
	else if (!strcasecmp(v, "warn"))
		current_level = LOG_WARN;
	else if (!strcasecmp(v, "error"))
		current_level = LOG_ERR;
}

void log_set_level(enum log_level level)
{
	pthread_once(&env_once, log_read_env);
	current_level = level;
}

enum log_level log_get_level(void)
{
	pthread_once(&env_once, log_read_env);
	return current_level;
}

void log_set_program(const char *name)
{
	program = name;
}

void log_msg(enum log_level level, const char *prefix, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	char buf[1024];
	va_list ap;
	int n;

	if (level > log_get_level())
		return;
	n = snprintf(buf, sizeof(buf), "%s: %s%s%s: ", program, prefix ? prefix : "",
		     prefix ? ": " : "", names[level]);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per message so lines from several threads do not interleave. */
	fprintf(stderr, "%s\n", buf);
}
