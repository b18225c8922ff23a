class WellOffline(Exception):
    pass


def handler(event, context):
    raise WellOffline(f"well {event.get('well')} is offline")
