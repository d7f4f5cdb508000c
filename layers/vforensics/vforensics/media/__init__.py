"""Reading uploaded media safely: type sniffing, limits, decoding to arrays."""
