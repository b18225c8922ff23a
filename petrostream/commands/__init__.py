"""One module per command group of `petrostream`; each registers its commands on the app."""
