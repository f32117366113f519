"""Layer 1 of the xcom library, the codec: bytes to frames and back, with no I/O at all."""
