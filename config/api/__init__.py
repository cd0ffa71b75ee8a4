"""What every endpoint of /api/v1/ shares: the error format, paging, strict input, idempotent POSTs."""
