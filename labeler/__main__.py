from labeler.cli import entry

entry()
