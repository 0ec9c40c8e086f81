"""The runtime: a supervisor that keeps connectors running and the pipeline that handles chat."""
