/*
 * NAME
 *   forbidden - test-only LD_PRELOAD shim: a message that makes its worker
 *   call what the sandbox forbids
 * SYNOPSIS
 *   LD_PRELOAD=.../libpc_forbidden.so portcullis milter -c CONF
 * DESCRIPTION
 *   Interposes GMime's g_mime_parser_init_with_stream, which a worker
 *   calls once per message with the message in a memory stream. When the
 *   message holds the marker PC-FORBIDDEN-SYSCALL, it first makes a system
 *   call outside the worker's allow-list: socket(AF_UNIX), or fork() when
 *   the marker is PC-FORBIDDEN-SYSCALL-FORK. Under the filter the worker
 *   dies with SIGSYS there; without it (milter.sandbox = no) the call
 *   succeeds, the socket is closed (the child exits at once) and the scan
 *   goes on. Built by CMake as a MODULE for tests/milter/sandbox_test.py;
 *   never installed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <gmime/gmime.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MARKER "PC-FORBIDDEN-SYSCALL"

void g_mime_parser_init_with_stream(GMimeParser *parser, GMimeStream *stream)
{
	static void (*real)(GMimeParser *, GMimeStream *);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "g_mime_parser_init_with_stream");
	if (GMIME_IS_STREAM_MEM(stream)) {
		GByteArray *a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
		const char *m = a ? memmem(a->data, a->len, MARKER, strlen(MARKER)) : NULL;
		if (m && (size_t)(m - (const char *)a->data) + strlen(MARKER) + 5 <= a->len &&
		    !memcmp(m + strlen(MARKER), "-FORK", 5)) {
			pid_t pid = fork();
			if (pid == 0)
				_exit(0);
			if (pid > 0)
				waitpid(pid, NULL, 0);
		} else if (m) {
			int fd = socket(AF_UNIX, SOCK_STREAM, 0);
			if (fd >= 0)
				close(fd);
		}
	}
	real(parser, stream);
}
