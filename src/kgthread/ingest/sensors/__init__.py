"""OPC UA adapters: NodeSet2 information models and live subscription summaries."""
