"""A tile's streams: one owner per stream kind (``container.StreamKind``, the format's
numbers), each behind one interface (``base.StreamOwner``), all chosen from one table
(``table.OWNERS``) by the encoder and the decoder alike."""
