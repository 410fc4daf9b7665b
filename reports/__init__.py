"""Reports: pure functions from the database to pandas frames, and the writers that file them."""
