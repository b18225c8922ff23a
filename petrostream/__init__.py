"""PetroStream's operator-facing application: the `petrostream` command and what it runs.

The local AWS platform (LocalStack, Terraform, Lambda zips, settings) lives in services/; the
pure pipeline logic in pipeline/. This package puts them to use: deploy, demo, status, queries,
dead-letter replay and plots.
"""
