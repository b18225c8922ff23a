import os
import sys


def handler(event, context):
    print(f"echo {event.get('say')}")
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "env": {
            key: os.environ.get(key) for key in ("GREETING", "AWS_REGION", "AWS_EXECUTION_ENV", "_HANDLER")
        },
        "sys_path": sys.path,
    }
