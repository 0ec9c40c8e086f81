"""Console connector: chat typed in the terminal."""
