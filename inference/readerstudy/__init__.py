"""The reader-study engine: protocols, reading lists, durable answers, audit, exports, stats."""
