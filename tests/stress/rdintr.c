/*
 * rdintr.c - read(2) a file with a signal on the way, to see what an
 * interrupted read returns through a mount:
 *
 *   rdintr FILE SECONDS
 *	opens FILE, arms SIGALRM (a handler that does nothing, no
 *	SA_RESTART) for SECONDS, reads up to 64 KiB and prints "EINTR",
 *	"read N" (then the bytes on the next line) or the error.
 *   rdintr -k FILE SECONDS
 *	Ctrl-C: a child with SIGINT's default action (which a shell's
 *	background job would not have) reads 128 KiB; after SECONDS it gets
 *	SIGINT.  Prints "killed" if that ended it within 10 s, else "stuck".
 * Exit 0 unless open fails.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void
nothing(int sig)
{
	(void)sig;
}

static int
ctrl_c(const char *path, unsigned secs)
{
	static char buf[131072];
	pid_t pid;
	int st, fd;

	if ((pid = fork()) == 0) {
		signal(SIGINT, SIG_DFL);
		if ((fd = open(path, O_RDONLY)) < 0)
			_exit(3);
		while (read(fd, buf, sizeof buf) > 0)
			;
		_exit(0);
	}
	sleep(secs);
	kill(pid, SIGINT);
	for (int i = 0; i < 1000; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			printf("%s\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGINT ?
			    "killed" : "exited");
			return 0;
		}
		usleep(10000);
	}
	printf("stuck\n");
	kill(pid, SIGKILL);
	return 0;
}

int
main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = nothing };
	static char buf[65536];
	ssize_t n;
	int fd;

	if (argc == 4 && strcmp(argv[1], "-k") == 0)
		return ctrl_c(argv[2], (unsigned)atoi(argv[3]));
	if (argc != 3)
		errx(2, "usage: rdintr [-k] file seconds");
	if ((fd = open(argv[1], O_RDONLY)) < 0)
		err(1, "%s", argv[1]);
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART */
	alarm((unsigned)atoi(argv[2]));
	n = read(fd, buf, sizeof buf);
	if (n < 0 && errno == EINTR)
		printf("EINTR\n");
	else if (n < 0)
		printf("error %s\n", strerror(errno));
	else
		printf("read %zd\n%.*s\n", n, (int)n, buf);
	return 0;
}
