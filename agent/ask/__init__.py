"""Questions about what the cameras saw: a question becomes a typed query, the query runs
against the event history, and the answer is a template sentence built from the result."""
