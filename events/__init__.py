"""Events: the transactional outbox and the change feed read from it."""
