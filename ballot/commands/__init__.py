"""One module per ``ballot`` subcommand (see :data:`ballot.cli.COMMANDS`)."""
