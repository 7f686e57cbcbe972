"""The arguments every command that reads or writes a customer or order file starts with."""

FORMAT_FROM_EXTENSION = "Default: from the extension."


def file_arguments_add(parser, *, formats, format_help: str = FORMAT_FROM_EXTENSION) -> None:
    """PATH, then --format (one of `formats`; left out, the command infers it from PATH)."""
    parser.add_argument("path")
    parser.add_argument("--format", choices=formats, help=format_help)
