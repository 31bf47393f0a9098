"""`analytics` publishes no events (DESIGN §3): it only consumes them."""
