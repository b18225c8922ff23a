# duckdb is installed in the project's environment (and pydantic in LocalStack's), but neither is
# in this zip nor in the Lambda runtime: the import must fail here exactly as it would on AWS.
import duckdb


def handler(event, context):
    return duckdb.__version__
