"""Pipeline logic shared by the Lambdas, the producer and the CLI (pure Python, no AWS calls)."""
