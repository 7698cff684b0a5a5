"""MongoDB logs: 4.4+ structured JSON (`json_line`, vectorized by `json_block_c` in C where the
extension is built, else by `json_block` in DuckDB) and 2.2-4.2
text (`legacy`, slow operations in `legacy_ops`); query shapes, command names and mongo
shell documents shared by both (`shape`, `commands`, `shell_syntax`)."""
