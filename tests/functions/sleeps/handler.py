import time


def handler(event, context):
    print("going to sleep")
    time.sleep(event.get("seconds", 30))
    return "woke up"
