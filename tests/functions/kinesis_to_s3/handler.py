import base64
import json
import os

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    records = event["Records"]
    lines = [base64.b64decode(r["kinesis"]["data"]).decode() for r in records]
    key = f"batches/{records[0]['kinesis']['sequenceNumber']}.json"
    s3.put_object(Bucket=os.environ["BUCKET"], Key=key, Body=json.dumps(lines).encode())
    return {"batchItemFailures": []}
