"""LocalStack runtime executor that runs Lambda execution environments as host processes.

LocalStack's default executor starts one Docker container per execution environment. On a
machine without a Docker engine this executor starts one process group per environment
instead: AWS's own runtime interface client (awslambdaric) in an interpreter that sees only
the function's code and what the real Lambda runtime provides, talking to a Lambda Runtime API
served by this plugin inside the LocalStack process.
"""
