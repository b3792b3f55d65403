"""The exit statuses of the ``labeler`` program, and the line a Ctrl-C prints: shared by
the commands, which choose them, and the process handling in ``labeler.cli``."""

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a program a closed pipe ended
INTERRUPTED = ["labeler: interrupted"]  # the one line Ctrl-C prints; a command may say more
