"""LocalStack 4.14.0, as a host process or a container, behind one interface."""
